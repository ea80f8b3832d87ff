// Every topic name a client sends goes through CheckClientTopic: internal,
// system and non-persistent topics answer TOPIC_AUTHORIZATION_FAILED in
// every API, and no port call is made for them, while a normal topic in the
// same request is served (issue 11).
#include "topic_access.h"

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
#include "kop/protocol/messages/offset_delete_request.h"
#include "kop/protocol/messages/offset_delete_response.h"
#include "kop/protocol/messages/offset_fetch_request.h"
#include "kop/protocol/messages/offset_fetch_response.h"
#include "kop/protocol/messages/offset_for_leader_epoch_request.h"
#include "kop/protocol/messages/offset_for_leader_epoch_response.h"
#include "kop/protocol/messages/produce_request.h"
#include "kop/protocol/messages/produce_response.h"
#include "kop/testing/fake_log.h"
#include "kop/testing/fake_topics.h"

namespace kop::core {
namespace {

using namespace kop::protocol;  // NOLINT: test brevity
using testing::DecodeResponse;
using testing::RequestFrame;

const std::string kOffsetsTopic =
    "persistent://public/__kafka/__consumer_offsets";
// What no client may name: the coordinator's log, another topic of the
// metadata namespace, a system topic by short name and by full name in
// another namespace, and a non-persistent topic.
const std::vector<std::string> kRefused = {
    kOffsetsTopic,
    "persistent://public/__kafka/orders",
    "__change_events",
    "persistent://tenant/ns/__transaction_buffer_snapshot",
    "non-persistent://public/default/orders",
};
const std::string kNormal = "orders";
const int16_t kDenied = Code(ErrorCode::TOPIC_AUTHORIZATION_FAILED);

struct Fixture {
  std::unique_ptr<Broker> broker = Broker::Create(
      {{"kop.node.id", "1"}, {"offsetsTopicNumPartitions", "1"}});
  testing::RecordingSink sink;
  testing::FakeTopics topics;
  testing::FakeLog log;
  std::unique_ptr<Connection> conn = broker->Accept(&sink, &topics, &log);
  int32_t corr = 0;

  template <typename Response>
  Response Send(int16_t key, int16_t version, const Message& request) {
    return testing::Exchange<Response>(*conn, sink, corr, key, version,
                                       request);
  }

  bool Touched(const std::string& topic) const {
    return testing::Touched(log, topics, topic);
  }
  bool Mirrored(const std::string& topic) const {
    for (const auto& [key, offset] : log.subscriptions) {
      if (std::get<0>(key) == topic) return true;
    }
    return false;
  }
  // Every topic named by an offset commit (or tombstone) in
  // __consumer_offsets, as stored.
  std::vector<std::string> StoredOffsetTopics() {
    std::vector<std::string> out;
    for (const auto& entry : log.partitions[{kOffsetsTopic, 0}].stored) {
      std::vector<groups::LogRecord> records;
      uint64_t last = 0;
      REQUIRE(groups::DecodeLogEntry(entry, records, last).ok());
      for (const auto& r : records) {
        if (const auto* o = std::get_if<groups::OffsetRecord>(&r)) {
          out.push_back(o->topic);
        }
      }
    }
    return out;
  }
  // Loads group g's partition, as a client's FindCoordinator does.
  void FindCoordinator() {
    FindCoordinatorRequest req;
    req.key = "g";
    CHECK(Send<FindCoordinatorResponse>(10, 3, req).error_code == 0);
  }
};

TEST_CASE(
    "CheckClientTopic refuses internal, system and non-persistent topics "
    "before Kafka's name rule",
    "[access]") {
  const BrokerState b = BrokerState::FromConfig({});
  for (const std::string& name : kRefused) {
    CAPTURE(name);
    CHECK(CheckClientTopic(b, name, ErrorCode::INVALID_TOPIC_EXCEPTION) ==
          ErrorCode::TOPIC_AUTHORIZATION_FAILED);
  }
  for (const char* name : {"__consumer_offsets", "__transaction_state",
                           "persistent://public/default/__change_events"}) {
    CHECK(CheckClientTopic(b, name, ErrorCode::INVALID_TOPIC_EXCEPTION) ==
          ErrorCode::TOPIC_AUTHORIZATION_FAILED);
  }
  // Allowed: a single underscore (Schema Registry's _schemas), "__" inside.
  for (const char* name : {"orders", "_schemas", "a__b"}) {
    CHECK(CheckClientTopic(b, name, ErrorCode::INVALID_TOPIC_EXCEPTION) ==
          ErrorCode::NONE);
  }
  // Kafka's rule answers the caller's own code, as before (full names:
  // topic_names_test.cc).
  for (const char* name : {"a b", "", "tenant/ns/orders"}) {
    CHECK(CheckClientTopic(b, name, ErrorCode::UNKNOWN_TOPIC_OR_PARTITION) ==
          ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
  }
  CHECK(RefusalMessage(ErrorCode::TOPIC_AUTHORIZATION_FAILED).has_value());
  CHECK_FALSE(RefusalMessage(ErrorCode::INVALID_TOPIC_EXCEPTION).has_value());

  // The metadata namespace follows the configuration, and short names are
  // in it when it is also the Kafka namespace.
  const BrokerState shared = BrokerState::FromConfig(
      {{"kafkaMetadataTenant", "t"}, {"kafkaMetadataNamespace", "meta"}});
  CHECK(CheckClientTopic(shared, "persistent://t/meta/x",
                         ErrorCode::INVALID_TOPIC_EXCEPTION) ==
        ErrorCode::TOPIC_AUTHORIZATION_FAILED);
  CHECK(CheckClientTopic(shared, "persistent://other/meta/x",
                         ErrorCode::INVALID_TOPIC_EXCEPTION) ==
        ErrorCode::TOPIC_AUTHORIZATION_FAILED);
  CHECK(CheckClientTopic(shared, "persistent://public/__kafka/x",
                         ErrorCode::INVALID_TOPIC_EXCEPTION) ==
        ErrorCode::NONE);
  const BrokerState same =
      BrokerState::FromConfig({{"kafkaMetadataTenant", "public"},
                               {"kafkaMetadataNamespace", "default"}});
  CHECK(CheckClientTopic(same, "orders", ErrorCode::INVALID_TOPIC_EXCEPTION) ==
        ErrorCode::TOPIC_AUTHORIZATION_FAILED);
}

TEST_CASE("Produce to an internal or system topic is refused, unwritten",
          "[access]") {
  const std::vector<uint8_t> batch = testing::TestBatch(1);
  for (int16_t v : {3, 9, 12}) {
    Fixture f;
    ProduceRequest req;
    req.acks = -1;
    req.timeout_ms = 1000;
    for (const std::string& name : kRefused) {
      auto& t = req.topic_data.emplace_back();
      t.name = name;
      t.partition_data.emplace_back().records = RecordsRef::Of(batch);
    }
    auto& t = req.topic_data.emplace_back();
    t.name = kNormal;
    t.partition_data.emplace_back().records = RecordsRef::Of(batch);
    auto r = f.Send<ProduceResponse>(0, v, req);
    REQUIRE(r.responses.size() == kRefused.size() + 1);
    for (size_t i = 0; i < kRefused.size(); ++i) {
      CAPTURE(kRefused[i]);
      const auto& p = r.responses[i].partition_responses.at(0);
      CHECK(p.error_code == kDenied);
      CHECK(p.base_offset == -1);
      if (v >= 8) CHECK(p.error_message.has_value());
      CHECK_FALSE(f.Touched(kRefused[i]));
    }
    CHECK(r.responses.back().partition_responses.at(0).error_code == 0);
    CHECK(f.log.partitions[{kNormal, 0}].entries.size() == 1);
  }
}

FetchRequest FetchAll(int32_t session_id, int32_t epoch,
                      const std::vector<std::string>& names) {
  FetchRequest req;  // max_wait_ms 0: answered at once
  req.session_id = session_id;
  req.session_epoch = epoch;
  for (const std::string& name : names) {
    auto& t = req.topics.emplace_back();
    t.topic = name;
    auto& p = t.partitions.emplace_back();
    p.partition_max_bytes = 1 << 20;
  }
  return req;
}

TEST_CASE("Fetch from an internal or system topic is refused, unread",
          "[access]") {
  std::vector<std::string> names = kRefused;
  names.push_back(kNormal);
  for (int16_t v : {4, 12}) {
    Fixture f;
    auto r = f.Send<FetchResponse>(1, v, FetchAll(0, -1, names));
    REQUIRE(r.responses.size() == names.size());
    for (const auto& t : r.responses) {
      CAPTURE(t.topic);
      const int16_t want = t.topic == kNormal ? 0 : kDenied;
      CHECK(t.partitions.at(0).error_code == want);
    }
    for (const std::string& name : kRefused) CHECK_FALSE(f.Touched(name));
    CHECK(f.Touched(kNormal));
  }
}

TEST_CASE("A fetch session never reads an internal or system topic",
          "[access]") {
  Fixture f;
  // A session opened with a normal topic and the offsets topic ...
  auto opened =
      f.Send<FetchResponse>(1, 12, FetchAll(0, 0, {kNormal, kOffsetsTopic}));
  REQUIRE(opened.session_id != 0);
  for (const auto& t : opened.responses) {
    CHECK(t.partitions.at(0).error_code == (t.topic == kNormal ? 0 : kDenied));
  }
  // ... then a system topic added incrementally.
  auto added = f.Send<FetchResponse>(
      1, 12, FetchAll(opened.session_id, 1, {"__change_events"}));
  bool answered = false;
  for (const auto& t : added.responses) {
    if (t.topic != "__change_events") continue;
    answered = true;
    CHECK(t.partitions.at(0).error_code == kDenied);
  }
  CHECK(answered);
  f.Send<FetchResponse>(1, 12, FetchAll(opened.session_id, 2, {}));
  CHECK_FALSE(f.Touched(kOffsetsTopic));
  CHECK_FALSE(f.Touched("__change_events"));
}

TEST_CASE(
    "ListOffsets and OffsetForLeaderEpoch of an internal or system topic are "
    "refused, unread",
    "[access]") {
  std::vector<std::string> names = kRefused;
  names.push_back(kNormal);
  Fixture f;
  ListOffsetsRequest list;
  list.replica_id = -1;
  for (const std::string& name : names) {
    auto& t = list.topics.emplace_back();
    t.name = name;
    t.partitions.emplace_back().timestamp = -1;  // latest
  }
  auto lr = f.Send<ListOffsetsResponse>(2, 7, list);
  REQUIRE(lr.topics.size() == names.size());
  for (const auto& t : lr.topics) {
    CAPTURE(t.name);
    CHECK(t.partitions.at(0).error_code == (t.name == kNormal ? 0 : kDenied));
  }

  OffsetForLeaderEpochRequest epochs;
  for (const std::string& name : names) {
    auto& t = epochs.topics.emplace_back();
    t.topic = name;
    t.partitions.emplace_back().leader_epoch = 0;
  }
  auto er = f.Send<OffsetForLeaderEpochResponse>(23, 4, epochs);
  REQUIRE(er.topics.size() == names.size());
  for (const auto& t : er.topics) {
    CAPTURE(t.topic);
    CHECK(t.partitions.at(0).error_code == (t.topic == kNormal ? 0 : kDenied));
  }
  for (const std::string& name : kRefused) CHECK_FALSE(f.Touched(name));
}

TEST_CASE(
    "Metadata answers TOPIC_AUTHORIZATION_FAILED for a named internal topic "
    "without looking it up or creating it",
    "[access]") {
  for (int16_t v : {1, 4, 12}) {
    Fixture f;
    MetadataRequest req;
    req.topics.emplace();
    for (const std::string& name : kRefused) {
      req.topics->emplace_back().name = name;
    }
    req.topics->emplace_back().name = kNormal;
    req.allow_auto_topic_creation = true;
    auto r = f.Send<MetadataResponse>(3, v, req);
    REQUIRE(r.topics.size() == kRefused.size() + 1);
    for (const auto& t : r.topics) {
      CAPTURE(t.name);
      CHECK(t.error_code == (t.name == kNormal ? 0 : kDenied));
    }
    for (const std::string& name : kRefused) {
      CHECK(f.topics.topics.count(name) == 0);
      for (const std::string& n : f.topics.looked_up) CHECK(n != name);
    }
    CHECK(f.topics.topics.count(kNormal) == 1);
  }
}

TEST_CASE("Metadata for all topics leaves internal and system topics out",
          "[access]") {
  for (int16_t v : {0, 1, 12}) {
    Fixture f;
    for (const std::string& name : kRefused) f.topics.topics[name] = 1;
    f.topics.topics[kNormal] = 1;
    MetadataRequest req;
    if (v == 0) {
      req.topics.emplace();  // v0: an empty list is every topic
    } else {
      req.topics.reset();
    }
    auto r = f.Send<MetadataResponse>(3, v, req);
    REQUIRE(r.topics.size() == 1);
    CHECK(r.topics[0].name == kNormal);
  }
}

TEST_CASE(
    "CreateTopics, DeleteTopics and CreatePartitions refuse internal and "
    "system topics",
    "[access]") {
  Fixture f;
  CreateTopicsRequest create;
  for (const std::string& name :
       {kRefused[0], kRefused[1], kRefused[2], kRefused[3], kRefused[4],
        std::string("__evil"), kNormal}) {
    auto& t = create.topics.emplace_back();
    t.name = name;
    t.num_partitions = 1;
    t.replication_factor = 1;
  }
  auto cr = f.Send<CreateTopicsResponse>(19, 7, create);
  REQUIRE(cr.topics.size() == kRefused.size() + 2);
  for (const auto& t : cr.topics) {
    CAPTURE(t.name);
    if (t.name == kNormal) {
      CHECK(t.error_code == 0);
      continue;
    }
    CHECK(t.error_code == kDenied);
    CHECK(t.error_message.has_value());
    CHECK(f.topics.topics.count(t.name) == 0);
  }

  for (const std::string& name : kRefused) f.topics.topics[name] = 1;
  CreatePartitionsRequest grow;
  for (const std::string& name : kRefused) {
    auto& t = grow.topics.emplace_back();
    t.name = name;
    t.count = 3;
    t.assignments.reset();
  }
  auto& g = grow.topics.emplace_back();
  g.name = kNormal;
  g.count = 3;
  g.assignments.reset();
  auto gr = f.Send<CreatePartitionsResponse>(37, 3, grow);
  REQUIRE(gr.results.size() == kRefused.size() + 1);
  for (const auto& t : gr.results) {
    CAPTURE(t.name);
    CHECK(t.error_code == (t.name == kNormal ? 0 : kDenied));
    CHECK(f.topics.topics.at(t.name) == (t.name == kNormal ? 3 : 1));
  }

  for (int16_t v : {1, 6}) {
    DeleteTopicsRequest del;
    for (const std::string& name : kRefused) {
      if (v < 6) {
        del.topic_names.push_back(name);
      } else {
        del.topics.emplace_back().name = name;
      }
    }
    auto dr = f.Send<DeleteTopicsResponse>(20, v, del);
    REQUIRE(dr.responses.size() == kRefused.size());
    for (const auto& t : dr.responses) CHECK(t.error_code == kDenied);
    for (const std::string& name : kRefused) {
      CHECK(f.topics.topics.count(name) == 1);
    }
  }
  DeleteTopicsRequest del;
  del.topic_names = {kNormal};
  CHECK(f.Send<DeleteTopicsResponse>(20, 5, del).responses.at(0).error_code ==
        0);
}

OffsetCommitRequest Commit(const std::vector<std::string>& names,
                           int64_t offset) {
  OffsetCommitRequest req;
  req.group_id = "g";
  req.generation_id_or_member_epoch = -1;  // a standalone consumer
  for (const std::string& name : names) {
    auto& t = req.topics.emplace_back();
    t.name = name;
    t.partitions.emplace_back().committed_offset = offset;
  }
  return req;
}

TEST_CASE(
    "OffsetCommit on an internal or system topic is refused, neither stored "
    "nor mirrored",
    "[access]") {
  Fixture f;
  f.log.subscriptions_supported = true;
  f.FindCoordinator();
  std::vector<std::string> names = kRefused;
  names.push_back(kNormal);
  auto r = f.Send<OffsetCommitResponse>(8, 8, Commit(names, 5));
  REQUIRE(r.topics.size() == names.size());
  for (const auto& t : r.topics) {
    CAPTURE(t.name);
    CHECK(t.partitions.at(0).error_code == (t.name == kNormal ? 0 : kDenied));
  }
  const std::vector<std::string> stored = f.StoredOffsetTopics();
  CHECK(stored ==
        std::vector<std::string>{"persistent://public/default/" + kNormal});
  CHECK(f.Mirrored(kNormal));
  for (const std::string& name : kRefused) CHECK_FALSE(f.Mirrored(name));

  // Nothing left to commit: the coordinator is not asked, nothing written.
  const size_t entries = f.log.partitions[{kOffsetsTopic, 0}].entries.size();
  auto only = f.Send<OffsetCommitResponse>(8, 2, Commit(kRefused, 6));
  for (const auto& t : only.topics) {
    CHECK(t.partitions.at(0).error_code == kDenied);
  }
  CHECK(f.log.partitions[{kOffsetsTopic, 0}].entries.size() == entries);
}

// Offsets committed on internal topics before they were refused, and on
// orders, as a log written by an older broker holds them.
void StoreOldOffsets(Fixture& f) {
  std::vector<groups::EncodedRecord> records;
  int64_t offset = 7;
  for (const std::string& topic :
       {std::string("persistent://public/default/__change_events"),
        kOffsetsTopic, "persistent://public/default/" + kNormal}) {
    groups::CommittedOffset o;
    o.offset = offset++;
    records.push_back(groups::EncodeOffsetRecord({"g", topic, 0, o}));
  }
  std::vector<uint8_t> entry;
  REQUIRE(groups::EncodeLogEntry(records, 1'700'000'000'000, entry).ok());
  f.log.Append(
      kOffsetsTopic, 0, entry, static_cast<int32_t>(records.size()),
      [](const AppendResult& r) { REQUIRE(r.error_code == ErrorCode::NONE); });
  f.FindCoordinator();
}

TEST_CASE(
    "OffsetFetch answers TOPIC_AUTHORIZATION_FAILED for a named internal "
    "topic and never lists one",
    "[access]") {
  Fixture f;
  StoreOldOffsets(f);
  for (int16_t v : {1, 7}) {
    CAPTURE(v);
    OffsetFetchRequest all;
    all.group_id = "g";
    if (v >= 2) {
      all.topics.reset();
      auto r = f.Send<OffsetFetchResponse>(9, v, all);
      REQUIRE(r.topics.size() == 1);
      CHECK(r.topics[0].name == kNormal);
      CHECK(r.topics[0].partitions.at(0).committed_offset == 9);
    }
    OffsetFetchRequest named;
    named.group_id = "g";
    for (const std::string& name :
         {kOffsetsTopic, std::string("__change_events"), kRefused[4],
          kNormal}) {
      auto& t = named.topics->emplace_back();
      t.name = name;
      t.partition_indexes = {0};
    }
    auto r = f.Send<OffsetFetchResponse>(9, v, named);
    REQUIRE(r.topics.size() == 4);
    for (const auto& t : r.topics) {
      CAPTURE(t.name);
      const auto& p = t.partitions.at(0);
      CHECK(p.error_code == (t.name == kNormal ? 0 : kDenied));
      CHECK(p.committed_offset == (t.name == kNormal ? 9 : -1));
    }
  }

  // v8+: several groups in one request.
  OffsetFetchRequest multi;
  auto& g_all = multi.groups.emplace_back();
  g_all.group_id = "g";
  g_all.topics.reset();
  auto& g_named = multi.groups.emplace_back();
  g_named.group_id = "g";
  for (const std::string& name : {std::string("__change_events"), kNormal}) {
    auto& t = g_named.topics->emplace_back();
    t.name = name;
    t.partition_indexes = {0};
  }
  auto r = f.Send<OffsetFetchResponse>(9, 8, multi);
  REQUIRE(r.groups.size() == 2);
  REQUIRE(r.groups[0].topics.size() == 1);
  CHECK(r.groups[0].topics[0].name == kNormal);
  REQUIRE(r.groups[1].topics.size() == 2);
  for (const auto& t : r.groups[1].topics) {
    CAPTURE(t.name);
    CHECK(t.partitions.at(0).error_code == (t.name == kNormal ? 0 : kDenied));
  }
}

TEST_CASE(
    "OffsetDelete of an internal or system topic is refused and deletes "
    "nothing",
    "[access]") {
  Fixture f;
  f.log.subscriptions_supported = true;
  f.log.subscriptions[{"__change_events", 0, "g"}] = 7;
  StoreOldOffsets(f);
  const size_t before = f.StoredOffsetTopics().size();
  OffsetDeleteRequest req;
  req.group_id = "g";
  for (const std::string& name :
       {std::string("__change_events"), kOffsetsTopic, kNormal}) {
    auto& t = req.topics.emplace_back();
    t.name = name;
    t.partitions.emplace_back().partition_index = 0;
  }
  auto r = f.Send<OffsetDeleteResponse>(47, 0, req);
  CHECK(r.error_code == 0);
  REQUIRE(r.topics.size() == 3);
  for (const auto& t : r.topics) {
    CAPTURE(t.name);
    CHECK(t.partitions.at(0).error_code == (t.name == kNormal ? 0 : kDenied));
  }
  // One tombstone, for orders only; the mirror's subscription is untouched.
  const std::vector<std::string> stored = f.StoredOffsetTopics();
  REQUIRE(stored.size() == before + 1);
  CHECK(stored.back() == "persistent://public/default/" + kNormal);
  CHECK(f.log.subscriptions.count({"__change_events", 0, "g"}) == 1);
}

}  // namespace
}  // namespace kop::core
