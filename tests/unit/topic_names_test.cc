// Full Pulsar names (persistent://tenant/namespace/topic) through the one
// door (topic_names.h, topic_access.h; issue 11): allowed exactly where the
// role is authorized for that full name, malformed ones answer the API's
// illegal-name code, and every tenant's metadata namespace and every system
// name stay out of reach whichever way they are named.
#include "topic_names.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "broker_state.h"
#include "core_test_util.h"
#include "groups/offsets_log.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/create_partitions_request.h"
#include "kop/protocol/messages/create_partitions_response.h"
#include "kop/protocol/messages/create_topics_request.h"
#include "kop/protocol/messages/create_topics_response.h"
#include "kop/protocol/messages/delete_topics_request.h"
#include "kop/protocol/messages/delete_topics_response.h"
#include "kop/protocol/messages/fetch_request.h"
#include "kop/protocol/messages/fetch_response.h"
#include "kop/protocol/messages/find_coordinator_request.h"
#include "kop/protocol/messages/find_coordinator_response.h"
#include "kop/protocol/messages/list_offsets_request.h"
#include "kop/protocol/messages/list_offsets_response.h"
#include "kop/protocol/messages/metadata_request.h"
#include "kop/protocol/messages/metadata_response.h"
#include "kop/protocol/messages/offset_commit_request.h"
#include "kop/protocol/messages/offset_commit_response.h"
#include "kop/protocol/messages/offset_fetch_request.h"
#include "kop/protocol/messages/offset_fetch_response.h"
#include "kop/protocol/messages/produce_request.h"
#include "kop/protocol/messages/produce_response.h"
#include "kop/testing/fake_log.h"
#include "kop/testing/fake_security.h"
#include "kop/testing/fake_topics.h"

namespace kop::core {
namespace {

using namespace kop::protocol;  // NOLINT: test brevity

constexpr ErrorCode kIllegal = ErrorCode::INVALID_TOPIC_EXCEPTION;
constexpr ErrorCode kUnknown = ErrorCode::UNKNOWN_TOPIC_OR_PARTITION;
constexpr ErrorCode kRefused = ErrorCode::TOPIC_AUTHORIZATION_FAILED;
const int16_t kDenied = Code(kRefused);
const std::string kOther = "persistent://tenantB/ns1/orders";

TEST_CASE("A well-formed full name passes the name rules", "[names]") {
  const BrokerState b = BrokerState::FromConfig({});
  for (const std::string& name :
       {kOther, std::string("persistent://public/default/orders"),
        std::string("persistent://t-1/ns=a:b.c/_schemas"),
        std::string("persistent://t/ns/a__b"),
        std::string("persistent://t/ns/orders-partition-x"),
        "persistent://t/ns/" + std::string(249 - 18, 'x')}) {
    CAPTURE(name);
    CHECK(CheckClientTopic(b, name, kIllegal) == ErrorCode::NONE);
    CHECK(IsFullTopicName(name));
  }
  CHECK_FALSE(IsFullTopicName("orders"));
}

TEST_CASE("A malformed full name answers the API's illegal-name code",
          "[names]") {
  const BrokerState b = BrokerState::FromConfig({});
  for (const std::string& name : {
           std::string("persistent://"),
           std::string("persistent://t"),
           std::string("persistent://t/ns"),
           std::string("persistent://t/ns/"),          // empty local part
           std::string("persistent:///ns/orders"),     // empty tenant
           std::string("persistent://t//orders"),      // empty namespace
           std::string("persistent://t/c/ns/orders"),  // Pulsar's v1 form
           std::string("persistent://t/ns/a/b"),
           std::string("persistent://t/ns/orders-partition-0"),
           std::string("persistent://t/ns/orders-partition-12"),
           std::string("persistent://t/ns/a b"),
           std::string("persistent://t/ns/a:b"),
           std::string("persistent://t/ns/."),
           std::string("persistent://../ns/orders"),
           std::string("persistent://t/../orders"),
           std::string("persistent://t b/ns/orders"),
           // 250 characters in all: the bound is on the whole name.
           "persistent://t/ns/" + std::string(250 - 18, 'x'),
           std::string("PERSISTENT://t/ns/orders"),
           std::string("http://t/ns/orders"),
       }) {
    CAPTURE(name);
    CHECK(CheckClientTopic(b, name, kIllegal) == kIllegal);
    CHECK(CheckClientTopic(b, name, kUnknown) == kUnknown);
  }
  CHECK(RefusalMessage(kIllegal, "persistent://t/ns/a/b").has_value());
  CHECK_FALSE(RefusalMessage(kIllegal, "a b").has_value());
  CHECK_FALSE(RefusalMessage(ErrorCode::NONE, "persistent://t/ns/x"));
}

TEST_CASE("Every tenant's metadata namespace is out of reach", "[names]") {
  const BrokerState b = BrokerState::FromConfig({});
  for (const char* name : {
           "persistent://public/__kafka/__consumer_offsets",
           "persistent://tenantB/__kafka/__consumer_offsets",
           "persistent://tenantB/__kafka/__consumer_offsets-partition-3",
           "persistent://tenantB/__kafka/orders",
           "persistent://any/__kafka/x/y",  // malformed, refused all the same
           "persistent://any/__kafka/",
       }) {
    CAPTURE(name);
    CHECK(CheckClientTopic(b, name, kIllegal) == kRefused);
  }
  // The namespace follows kafkaMetadataNamespace, for every tenant.
  const BrokerState meta = BrokerState::FromConfig(
      {{"kafkaMetadataTenant", "t"}, {"kafkaMetadataNamespace", "meta"}});
  CHECK(CheckClientTopic(meta, "persistent://t/meta/x", kIllegal) == kRefused);
  CHECK(CheckClientTopic(meta, "persistent://u/meta/x", kIllegal) == kRefused);
  CHECK(CheckClientTopic(meta, "persistent://u/__kafka/x", kIllegal) ==
        ErrorCode::NONE);
  // Short names of a connection whose namespace is a metadata namespace (a
  // SASL user "acme/__kafka").
  CHECK(CheckClientTopic(b, "orders", kIllegal, "persistent://acme/__kafka/") ==
        kRefused);
  CHECK(CheckClientTopic(b, "orders", kIllegal, "persistent://acme/prod/") ==
        ErrorCode::NONE);
}

TEST_CASE("System and internal names in a full name are refused", "[names]") {
  const BrokerState b = BrokerState::FromConfig({});
  for (const char* name : {
           "persistent://tenantB/ns1/__change_events",
           "persistent://tenantB/ns1/__transaction_buffer_snapshot",
           "persistent://tenantB/ns1/__consumer_offsets",
           "persistent://tenantB/ns1/__transaction_state",
           "persistent://tenantB/ns1/__",
           "non-persistent://tenantB/ns1/orders",
           "non-persistent://bad",
       }) {
    CAPTURE(name);
    CHECK(CheckClientTopic(b, name, kIllegal) == kRefused);
    CHECK(RefusalMessage(kRefused, name).has_value());
  }
}

TEST_CASE("One topic, one resolved name, whichever way it is named",
          "[names]") {
  const BrokerState b = BrokerState::FromConfig({});
  const TopicNameMapping plain(b, "");
  CHECK(plain.Full("orders") == "persistent://public/default/orders");
  CHECK(plain.Full(kOther) == kOther);
  CHECK(plain.Resolve("orders") == "orders");
  CHECK(plain.Resolve("persistent://public/default/orders") == "orders");
  CHECK(plain.Resolve(kOther) == kOther);
  CHECK(plain.ClientName("orders") == "orders");
  CHECK(plain.ClientName(kOther) == kOther);

  const TopicNameMapping acme(b, "persistent://acme/prod/");
  CHECK(acme.Full("orders") == "persistent://acme/prod/orders");
  CHECK(acme.Resolve("orders") == "persistent://acme/prod/orders");
  CHECK(acme.Resolve("persistent://acme/prod/orders") ==
        "persistent://acme/prod/orders");
  CHECK(acme.Resolve("persistent://public/default/orders") == "orders");
  CHECK(acme.ClientName("persistent://acme/prod/orders") == "orders");
  // A topic of the broker's Kafka namespace is another namespace here.
  CHECK(acme.ClientName("orders") == "persistent://public/default/orders");
  CHECK(acme.ClientName(kOther) == kOther);
  for (const std::string& name :
       {std::string("orders"), kOther,
        std::string("persistent://public/default/x")}) {
    CHECK(acme.Resolve(acme.ClientName(acme.Resolve(name))) ==
          acme.Resolve(name));
  }
}

// A client on a connection with authorization on (role alice), no answer
// cached, so a grant counts at once.
struct Fixture : testing::RoleConnection {
  explicit Fixture(bool authorizing = true) {
    security.enabled = authorizing;
    Connect({{"kop.node.id", "1"},
             {"offsetsTopicNumPartitions", "1"},
             {"kopAuthorizationCacheRefreshMs", "0"}},
            "alice");
    topics.topics[kOther] = 1;
  }
  void GrantAll(const std::string& topic) {
    for (TopicAction a :
         {TopicAction::kProduce, TopicAction::kConsume, TopicAction::kLookup,
          TopicAction::kCreate, TopicAction::kDelete,
          TopicAction::kAlterPartitions}) {
      security.Grant("alice", topic, a);
    }
  }
  bool Touched(const std::string& topic) const {
    return testing::Touched(log, topics, topic);
  }
};

ProduceRequest Produce(const std::string& topic,
                       const std::vector<uint8_t>& batch) {
  ProduceRequest req;
  req.acks = -1;
  req.timeout_ms = 1000;
  auto& t = req.topic_data.emplace_back();
  t.name = topic;
  t.partition_data.emplace_back().records = RecordsRef::Of(batch);
  return req;
}

FetchRequest Fetch(const std::string& topic) {
  FetchRequest req;
  req.session_epoch = -1;
  auto& t = req.topics.emplace_back();
  t.topic = topic;
  t.partitions.emplace_back().partition_max_bytes = 1 << 20;
  return req;
}

MetadataRequest Metadata(const std::string& topic) {
  MetadataRequest req;
  req.topics.emplace();
  req.topics->emplace_back().name = topic;
  req.allow_auto_topic_creation = true;
  return req;
}

TEST_CASE("A full name is served exactly where the role is authorized",
          "[names]") {
  const std::vector<uint8_t> batch = testing::TestBatch(1);
  Fixture f;
  // Not authorized: every API refuses, no port call for the topic.
  auto p = f.Send<ProduceResponse>(0, 9, Produce(kOther, batch));
  CHECK(p.responses[0].name == kOther);
  CHECK(p.responses[0].partition_responses[0].error_code == kDenied);
  CHECK(f.Send<FetchResponse>(1, 12, Fetch(kOther))
            .responses[0]
            .partitions[0]
            .error_code == kDenied);
  auto m = f.Send<MetadataResponse>(3, 12, Metadata(kOther));
  CHECK(m.topics[0].error_code == kDenied);
  CHECK_FALSE(f.Touched(kOther));
  for (const auto& call : f.security.calls) {
    CHECK(call.role == "alice");
    CHECK(call.topic == kOther);
  }

  // Authorized on that full name: served, the ports get the full name, the
  // responses carry the client's.
  f.GrantAll(kOther);
  p = f.Send<ProduceResponse>(0, 9, Produce(kOther, batch));
  CHECK(p.responses[0].name == kOther);
  CHECK(p.responses[0].partition_responses[0].error_code == 0);
  CHECK(f.log.partitions[{kOther, 0}].entries.size() == 1);
  auto fr = f.Send<FetchResponse>(1, 12, Fetch(kOther));
  CHECK(fr.responses[0].topic == kOther);
  CHECK(fr.responses[0].partitions[0].error_code == 0);
  m = f.Send<MetadataResponse>(3, 12, Metadata(kOther));
  CHECK(m.topics[0].name == kOther);
  CHECK(m.topics[0].error_code == 0);
  CHECK(f.topics.looked_up.back() == kOther);
  ListOffsetsRequest list;
  list.replica_id = -1;
  auto& lt = list.topics.emplace_back();
  lt.name = kOther;
  lt.partitions.emplace_back().timestamp = -1;
  auto lr = f.Send<ListOffsetsResponse>(2, 7, list);
  CHECK(lr.topics[0].name == kOther);
  CHECK(lr.topics[0].partitions[0].error_code == 0);
  CHECK(lr.topics[0].partitions[0].offset == 1);

  // A grant on another topic of that namespace does not reach this one.
  const std::string sibling = "persistent://tenantB/ns1/payments";
  f.topics.topics[sibling] = 1;
  CHECK(f.Send<ProduceResponse>(0, 9, Produce(sibling, batch))
            .responses[0]
            .partition_responses[0]
            .error_code == kDenied);
  CHECK_FALSE(f.log.partitions.contains({sibling, 0}));
}

TEST_CASE("Authorization off: a full name is allowed, as on Pulsar's protocol",
          "[names]") {
  const std::vector<uint8_t> batch = testing::TestBatch(1);
  Fixture f(false);
  CHECK(f.Send<ProduceResponse>(0, 9, Produce(kOther, batch))
            .responses[0]
            .partition_responses[0]
            .error_code == 0);
  CHECK(f.log.partitions.contains({kOther, 0}));
  // Auto-created by Metadata under its full name.
  const std::string fresh = "persistent://tenantB/ns1/fresh";
  auto m = f.Send<MetadataResponse>(3, 12, Metadata(fresh));
  CHECK(m.topics[0].name == fresh);
  CHECK(m.topics[0].error_code == 0);
  CHECK(f.topics.topics.contains(fresh));
  CHECK(f.security.calls.empty());
  // Malformed and system names are refused all the same.
  auto bad = f.Send<ProduceResponse>(
      0, 9, Produce("persistent://tenantB/ns1/orders-partition-0", batch));
  CHECK(bad.responses[0].partition_responses[0].error_code ==
        Code(ErrorCode::INVALID_TOPIC_EXCEPTION));
  CHECK(bad.responses[0].partition_responses[0].error_message.has_value());
  CHECK(f.Send<FetchResponse>(1, 12, Fetch("persistent://tenantB/ns1/a/b"))
            .responses[0]
            .partitions[0]
            .error_code == Code(kUnknown));
  CHECK(f.Send<ProduceResponse>(
             0, 9,
             Produce("persistent://tenantB/__kafka/__consumer_offsets", batch))
            .responses[0]
            .partition_responses[0]
            .error_code == kDenied);
  CHECK_FALSE(f.Touched("persistent://tenantB/__kafka/__consumer_offsets"));
}

TEST_CASE("CreateTopics, DeleteTopics and CreatePartitions by full name",
          "[names]") {
  Fixture f;
  const std::string fresh = "persistent://tenantB/ns1/fresh";
  CreateTopicsRequest create;
  auto& ct = create.topics.emplace_back();
  ct.name = fresh;
  ct.num_partitions = 2;
  ct.replication_factor = 1;
  CHECK(f.Send<CreateTopicsResponse>(19, 7, create).topics[0].error_code ==
        kDenied);
  DeleteTopicsRequest del;
  del.topic_names = {kOther};
  CHECK(f.Send<DeleteTopicsResponse>(20, 5, del).responses[0].error_code ==
        kDenied);
  CreatePartitionsRequest grow;
  auto& g = grow.topics.emplace_back();
  g.name = kOther;
  g.count = 3;
  g.assignments.reset();
  CHECK(f.Send<CreatePartitionsResponse>(37, 3, grow).results[0].error_code ==
        kDenied);
  CHECK_FALSE(f.topics.topics.contains(fresh));
  CHECK(f.topics.topics.at(kOther) == 1);

  f.GrantAll(fresh);
  f.GrantAll(kOther);
  auto cr = f.Send<CreateTopicsResponse>(19, 7, create);
  CHECK(cr.topics[0].name == fresh);
  CHECK(cr.topics[0].error_code == 0);
  CHECK(f.topics.topics.at(fresh) == 2);
  CHECK(f.Send<CreatePartitionsResponse>(37, 3, grow).results[0].error_code ==
        0);
  CHECK(f.topics.topics.at(kOther) == 3);
  auto dr = f.Send<DeleteTopicsResponse>(20, 5, del);
  CHECK(dr.responses[0].name == kOther);
  CHECK(dr.responses[0].error_code == 0);
  CHECK_FALSE(f.topics.topics.contains(kOther));
}

OffsetCommitRequest Commit(const std::string& topic, int64_t offset) {
  OffsetCommitRequest req;
  req.group_id = "g";
  req.generation_id_or_member_epoch = -1;
  auto& t = req.topics.emplace_back();
  t.name = topic;
  t.partitions.emplace_back().committed_offset = offset;
  return req;
}

OffsetFetchRequest FetchOffsets(const std::vector<std::string>& topics) {
  OffsetFetchRequest req;
  req.group_id = "g";
  for (const std::string& name : topics) {
    auto& t = req.topics->emplace_back();
    t.name = name;
    t.partition_indexes = {0};
  }
  return req;
}

TEST_CASE("Offsets by full name: authorized, keyed and mirrored by it",
          "[names]") {
  Fixture f;
  f.log.subscriptions_supported = true;
  FindCoordinatorRequest find;
  find.key = "g";
  REQUIRE(f.Send<FindCoordinatorResponse>(10, 3, find).error_code == 0);
  CHECK(f.Send<OffsetCommitResponse>(8, 8, Commit(kOther, 4))
            .topics[0]
            .partitions[0]
            .error_code == kDenied);
  CHECK(f.log.subscriptions.empty());
  CHECK(f.security.calls.back().topic == kOther);
  CHECK(f.security.calls.back().subscription == "g");

  f.GrantAll(kOther);
  auto c = f.Send<OffsetCommitResponse>(8, 8, Commit(kOther, 4));
  CHECK(c.topics[0].name == kOther);
  CHECK(c.topics[0].partitions[0].error_code == 0);
  CHECK(f.log.subscriptions.count({kOther, 0, "g"}) == 1);
  auto r = f.Send<OffsetFetchResponse>(9, 7, FetchOffsets({kOther}));
  REQUIRE(r.topics.size() == 1);
  CHECK(r.topics[0].name == kOther);
  CHECK(r.topics[0].partitions[0].committed_offset == 4);
  OffsetFetchRequest all;
  all.group_id = "g";
  all.topics.reset();
  r = f.Send<OffsetFetchResponse>(9, 7, all);
  REQUIRE(r.topics.size() == 1);
  CHECK(r.topics[0].name == kOther);
}

TEST_CASE(
    "The Kafka namespace's topic by short and full name has one set of "
    "offsets, each answered by its own name",
    "[names]") {
  Fixture f(false);
  FindCoordinatorRequest find;
  find.key = "g";
  REQUIRE(f.Send<FindCoordinatorResponse>(10, 3, find).error_code == 0);
  const std::string full = "persistent://public/default/orders";
  CHECK(f.Send<OffsetCommitResponse>(8, 8, Commit(full, 9))
            .topics[0]
            .partitions[0]
            .error_code == 0);
  auto r = f.Send<OffsetFetchResponse>(9, 7, FetchOffsets({"orders", full}));
  REQUIRE(r.topics.size() == 2);
  CHECK(r.topics[0].name == "orders");
  CHECK(r.topics[1].name == full);
  for (const auto& t : r.topics) {
    CHECK(t.partitions[0].committed_offset == 9);
  }
  // Metadata of both names: one lookup name, two answers by their names.
  f.topics.topics["orders"] = 1;
  MetadataRequest both;
  both.topics.emplace();
  both.topics->emplace_back().name = "orders";
  both.topics->emplace_back().name = full;
  auto m = f.Send<MetadataResponse>(3, 12, both);
  REQUIRE(m.topics.size() == 2);
  CHECK(m.topics[0].name == "orders");
  CHECK(m.topics[1].name == full);
  CHECK(m.topics[0].topic_id == m.topics[1].topic_id);
  CHECK(f.topics.looked_up.back() == "orders");
}

}  // namespace
}  // namespace kop::core
