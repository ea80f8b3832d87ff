// Several brokers: Metadata names each partition's owner (the TopicPort's
// leaders), FindCoordinator names the owner of the group's
// __consumer_offsets partition, and losing that partition unloads it.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "core_test_util.h"
#include "kop/core/broker.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/find_coordinator_request.h"
#include "kop/protocol/messages/find_coordinator_response.h"
#include "kop/protocol/messages/metadata_request.h"
#include "kop/protocol/messages/metadata_response.h"
#include "kop/testing/fake_log.h"
#include "kop/testing/fake_topics.h"

namespace kop::core {
namespace {

using namespace kop::protocol;  // NOLINT: test brevity

using testing::DecodeResponse;
using testing::RecordingSink;
using testing::RequestFrame;

// Makes `owners[p]` the owner of offsets partition p.
void SetOffsetsOwners(testing::FakeTopics& topics,
                      const std::vector<BrokerNode>& owners) {
  for (size_t p = 0; p < owners.size(); ++p) {
    topics.offsets_owners[static_cast<int32_t>(p)] = owners[p];
  }
}

struct Fixture {
  std::unique_ptr<Broker> broker = Broker::Create({
      {"kop.node.id", "7"},
      {"kop.advertised.host", "a.example"},
      {"kop.advertised.port", "9092"},
      {"offsetsTopicNumPartitions", "4"},
  });
  RecordingSink sink;
  testing::FakeTopics topics;
  testing::FakeLog log;
  std::unique_ptr<Connection> conn = broker->Accept(&sink, &topics, &log);

  const BrokerNode self{7, "a.example", 9092, false};
  const BrokerNode local{-1, "", -1, true};  // as the JNI bridge says "here"
  const BrokerNode other{11, "b.example", 9093, false};
};

MetadataRequest Named(std::vector<std::string> names) {
  MetadataRequest req;
  req.topics.emplace();
  for (auto& n : names) req.topics->emplace_back().name = n;
  req.allow_auto_topic_creation = false;
  return req;
}

TEST_CASE("Metadata names each partition's owning broker", "[ownership]") {
  for (int16_t v : {4, 9, 12}) {
    Fixture f;
    f.topics.topics["orders"] = 4;
    f.topics.leaders["orders"] = {f.local, f.other, BrokerNode{}, f.self};
    f.conn->OnFrame(RequestFrame(3, v, 5, Named({"orders"})));
    REQUIRE(f.sink.frames.size() == 1);
    auto resp = DecodeResponse<MetadataResponse>(f.sink.frames[0], 3, v, 5);
    // This broker first, then every other leader once.
    REQUIRE(resp.brokers.size() == 2);
    CHECK(resp.brokers[0].node_id == 7);
    CHECK(resp.brokers[1].node_id == 11);
    CHECK(resp.brokers[1].host == "b.example");
    CHECK(resp.brokers[1].port == 9093);
    REQUIRE(resp.topics.size() == 1);
    const auto& parts = resp.topics[0].partitions;
    REQUIRE(parts.size() == 4);
    CHECK(parts[0].leader_id == 7);
    CHECK(parts[1].leader_id == 11);
    CHECK(parts[1].replica_nodes == std::vector<int32_t>{11});
    CHECK(parts[1].isr_nodes == std::vector<int32_t>{11});
    // Owned by no broker right now: clients retry.
    CHECK(parts[2].error_code == Code(ErrorCode::LEADER_NOT_AVAILABLE));
    CHECK(parts[2].leader_id == -1);
    CHECK(parts[3].leader_id == 7);
    CHECK(parts[3].error_code == 0);
  }
}

TEST_CASE("Metadata without ownership data: this broker leads everything",
          "[ownership]") {
  Fixture f;
  f.topics.topics["orders"] = 2;
  f.conn->OnFrame(RequestFrame(3, 12, 5, Named({"orders"})));
  auto resp = DecodeResponse<MetadataResponse>(f.sink.frames.at(0), 3, 12, 5);
  REQUIRE(resp.brokers.size() == 1);
  REQUIRE(resp.topics.at(0).partitions.size() == 2);
  CHECK(resp.topics[0].partitions[0].leader_id == 7);
  CHECK(resp.topics[0].partitions[1].leader_id == 7);
}

TEST_CASE("Metadata lists every broker of the cluster, leaders or not",
          "[ownership]") {
  // librdkafka disconnects from brokers a Metadata response leaves out, so
  // even a request for no topics names them all.
  for (int16_t v : {4, 9, 12}) {
    Fixture f;
    const BrokerNode third{13, "c.example", 9094, false};
    f.topics.cluster = {f.other, third, f.self, BrokerNode{}};
    f.topics.topics["orders"] = 2;
    f.topics.leaders["orders"] = {third, f.local};
    MetadataRequest none;
    none.topics.emplace();  // an empty list: brokers only
    f.conn->OnFrame(RequestFrame(3, v, 1, none));
    f.conn->OnFrame(RequestFrame(3, v, 2, Named({"orders"})));
    REQUIRE(f.sink.frames.size() == 2);
    for (int i = 0; i < 2; ++i) {
      auto resp =
          DecodeResponse<MetadataResponse>(f.sink.frames[i], 3, v, i + 1);
      // This broker first, then the others once each; a node without an
      // owner (-1) or this broker again is not a broker to list.
      REQUIRE(resp.brokers.size() == 3);
      CHECK(resp.brokers[0].node_id == 7);
      CHECK(resp.brokers[1].node_id == 11);
      CHECK(resp.brokers[1].host == "b.example");
      CHECK(resp.brokers[2].node_id == 13);
      CHECK(resp.brokers[2].port == 9094);
      CHECK(resp.topics.size() == static_cast<size_t>(i));
    }
    auto resp = DecodeResponse<MetadataResponse>(f.sink.frames[1], 3, v, 2);
    CHECK(resp.topics.at(0).partitions.at(0).leader_id == 13);
    CHECK(resp.topics.at(0).partitions.at(1).leader_id == 7);
  }
}

FindCoordinatorResponse Find(Fixture& f, int16_t v, std::string group,
                             int32_t correlation) {
  FindCoordinatorRequest req;
  req.key_type = 0;
  if (v >= 4) {
    req.coordinator_keys = {group};
  } else {
    req.key = group;
  }
  const size_t before = f.sink.frames.size();
  f.conn->OnFrame(RequestFrame(10, v, correlation, req));
  REQUIRE(f.sink.frames.size() == before + 1);
  return DecodeResponse<FindCoordinatorResponse>(f.sink.frames.back(), 10, v,
                                                 correlation);
}

TEST_CASE("FindCoordinator names the owner of the group's offsets partition",
          "[ownership]") {
  // Groups and their partitions (Java hashCode mod 4): "g0" 1, "g1" 2.
  Fixture f;
  SetOffsetsOwners(f.topics, {f.self, f.other, BrokerNode{}, f.self});
  for (int16_t v : {0, 3}) {
    auto remote = Find(f, v, "g0", 1);
    CHECK(remote.error_code == 0);
    CHECK(remote.node_id == 11);
    CHECK(remote.host == "b.example");
    CHECK(remote.port == 9093);
    auto none = Find(f, v, "g1", 2);
    CHECK(none.error_code == Code(ErrorCode::COORDINATOR_NOT_AVAILABLE));
    CHECK(none.node_id == -1);
  }
  auto batched = Find(f, 4, "g0", 3);
  REQUIRE(batched.coordinators.size() == 1);
  CHECK(batched.coordinators[0].key == "g0");
  CHECK(batched.coordinators[0].node_id == 11);
  CHECK(batched.coordinators[0].host == "b.example");

  // Owned here: this broker answers and starts loading.
  SetOffsetsOwners(f.topics, {f.local, f.local, f.local, f.local});
  auto local = Find(f, 3, "g0", 4);
  CHECK(local.error_code == 0);
  CHECK(local.node_id == 7);
  CHECK(local.host == "a.example");

  // An unknown offsets partition (ownership unknown): this broker answers.
  f.topics.offsets_owners.erase(1);
  auto unknown = Find(f, 3, "g0", 5);
  CHECK(unknown.error_code == 0);
  CHECK(unknown.node_id == 7);

  // The lookup failed (timed out, or refused as the shim once did): no broker
  // is named, least of all this one, and the client asks again.
  for (ErrorCode failure :
       {ErrorCode::REQUEST_TIMED_OUT, ErrorCode::INVALID_TOPIC_EXCEPTION,
        ErrorCode::UNKNOWN_SERVER_ERROR}) {
    f.topics.offsets_errors[1] = failure;
    auto failed = Find(f, 3, "g0", 6);
    CHECK(failed.error_code == Code(ErrorCode::COORDINATOR_NOT_AVAILABLE));
    CHECK(failed.node_id == -1);
    auto batched = Find(f, 4, "g0", 7);
    REQUIRE(batched.coordinators.size() == 1);
    CHECK(batched.coordinators[0].error_code ==
          Code(ErrorCode::COORDINATOR_NOT_AVAILABLE));
  }
}

TEST_CASE("FindCoordinator answers in order while the lookup is pending",
          "[ownership]") {
  Fixture f;
  SetOffsetsOwners(f.topics, {f.other, f.other, f.other, f.other});
  f.topics.defer = true;
  FindCoordinatorRequest req;
  req.key_type = 0;
  req.key = "g0";
  f.conn->OnFrame(RequestFrame(10, 3, 1, req));
  CHECK(f.sink.frames.empty());
  f.topics.RunDeferredNewestFirst();
  REQUIRE(f.sink.frames.size() == 1);
  auto resp =
      DecodeResponse<FindCoordinatorResponse>(f.sink.frames[0], 10, 3, 1);
  CHECK(resp.node_id == 11);
}

TEST_CASE("transaction coordinators are refused without a lookup",
          "[ownership]") {
  Fixture f;
  f.topics.defer = true;  // a lookup would leave the request unanswered
  FindCoordinatorRequest req;
  req.key_type = 1;
  req.key = "txn";
  f.conn->OnFrame(RequestFrame(10, 3, 1, req));
  REQUIRE(f.sink.frames.size() == 1);
  auto resp =
      DecodeResponse<FindCoordinatorResponse>(f.sink.frames[0], 10, 3, 1);
  CHECK(resp.error_code ==
        Code(ErrorCode::TRANSACTIONAL_ID_AUTHORIZATION_FAILED));
}

TEST_CASE("ownership notifications reach the coordinator from the broker",
          "[ownership]") {
  Fixture f;
  // Out-of-range partitions and repeated notifications are harmless.
  f.broker->OffsetsPartitionOwnership("public", -1, false);
  f.broker->OffsetsPartitionOwnership("public", 99, true);
  f.broker->OffsetsPartitionOwnership("public", 2, false);
  f.broker->OffsetsPartitionOwnership("public", 2, false);
  f.broker->OffsetsPartitionOwnership("public", 2, true);
  f.broker->OffsetsPartitionOwnership("no-such-tenant", 2, false);
  auto local = Find(f, 3, "g0", 1);
  CHECK(local.error_code == 0);
  CHECK(local.node_id == 7);
}

}  // namespace
}  // namespace kop::core
