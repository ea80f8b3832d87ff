// Pulsar authorization and the per-connection namespace, through the one
// door of topic_access.h (issue 11): every API answers its Kafka error code
// for a role without the permission and makes no port call for the topic;
// allowed roles pass; answers are cached per connection and expire; short
// names resolve in the connection's namespace.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "authz_cache.h"
#include "broker_state.h"
#include "core_test_util.h"
#include "handlers/handler.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/create_partitions_request.h"
#include "kop/protocol/messages/create_partitions_response.h"
#include "kop/protocol/messages/create_topics_request.h"
#include "kop/protocol/messages/create_topics_response.h"
#include "kop/protocol/messages/delete_groups_request.h"
#include "kop/protocol/messages/delete_groups_response.h"
#include "kop/protocol/messages/delete_topics_request.h"
#include "kop/protocol/messages/delete_topics_response.h"
#include "kop/protocol/messages/fetch_request.h"
#include "kop/protocol/messages/fetch_response.h"
#include "kop/protocol/messages/find_coordinator_request.h"
#include "kop/protocol/messages/find_coordinator_response.h"
#include "kop/protocol/messages/heartbeat_request.h"
#include "kop/protocol/messages/heartbeat_response.h"
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
#include "kop/testing/fake_security.h"
#include "kop/testing/fake_topics.h"

namespace kop::core {
namespace {

using namespace kop::protocol;  // NOLINT: test brevity
using testing::DecodeResponse;
using testing::RequestFrame;

const std::string kFull = "persistent://public/default/orders";
const int16_t kDenied = Code(ErrorCode::TOPIC_AUTHORIZATION_FAILED);
const int16_t kGroupDenied = Code(ErrorCode::GROUP_AUTHORIZATION_FAILED);

int64_t virtual_now = 1'000'000;
int64_t VirtualClock() { return virtual_now; }

struct Fixture : testing::RoleConnection {
  explicit Fixture(std::string role = "alice", Config extra = {}) {
    Config c = {{"kop.node.id", "1"},
                {"offsetsTopicNumPartitions", "1"},
                {"kopAuthorizationCacheRefreshMs", "1000"}};
    for (auto& [k, v] : extra) c[k] = v;
    Connect(c, std::move(role));
    topics.topics["orders"] = 1;
    SetAuthorizationClockForTesting(&VirtualClock);
  }
  ~Fixture() { SetAuthorizationClockForTesting(nullptr); }

  void FindCoordinator() {
    FindCoordinatorRequest req;
    req.key = "g";
    CHECK(Send<FindCoordinatorResponse>(10, 3, req).error_code == 0);
  }
};

ProduceRequest Produce(const std::vector<uint8_t>& batch) {
  ProduceRequest req;
  req.acks = -1;
  req.timeout_ms = 1000;
  auto& t = req.topic_data.emplace_back();
  t.name = "orders";
  t.partition_data.emplace_back().records = RecordsRef::Of(batch);
  return req;
}

FetchRequest Fetch() {
  FetchRequest req;
  req.session_epoch = -1;
  auto& t = req.topics.emplace_back();
  t.topic = "orders";
  t.partitions.emplace_back().partition_max_bytes = 1 << 20;
  return req;
}

OffsetCommitRequest Commit() {
  OffsetCommitRequest req;
  req.group_id = "g";
  req.generation_id_or_member_epoch = -1;
  auto& t = req.topics.emplace_back();
  t.name = "orders";
  t.partitions.emplace_back().committed_offset = 1;
  return req;
}

TEST_CASE("Authorization off: no check, every API served as before",
          "[authz]") {
  Fixture f;
  f.security.enabled = false;
  const std::vector<uint8_t> batch = testing::TestBatch(1);
  CHECK(f.Send<ProduceResponse>(0, 9, Produce(batch))
            .responses[0]
            .partition_responses[0]
            .error_code == 0);
  CHECK(f.Send<FetchResponse>(1, 12, Fetch())
            .responses[0]
            .partitions[0]
            .error_code == 0);
  CHECK(f.security.calls.empty());
  // The ports get the client's short name, as before.
  CHECK(f.log.partitions.contains({"orders", 0}));
}

TEST_CASE("Produce needs produce permission, Fetch consume permission",
          "[authz]") {
  const std::vector<uint8_t> batch = testing::TestBatch(1);
  Fixture f;
  auto denied = f.Send<ProduceResponse>(0, 9, Produce(batch));
  CHECK(denied.responses[0].partition_responses[0].error_code == kDenied);
  CHECK(denied.responses[0].partition_responses[0].error_message.has_value());
  CHECK_FALSE(f.log.partitions.contains({"orders", 0}));
  REQUIRE(f.security.calls.size() == 1);
  CHECK(f.security.calls[0].role == "alice");
  CHECK(f.security.calls[0].topic == kFull);
  CHECK(f.security.calls[0].action == TopicAction::kProduce);

  f.security.Grant("alice", kFull, TopicAction::kProduce);
  // The refusal is cached: still refused until it expires.
  CHECK(f.Send<ProduceResponse>(0, 9, Produce(batch))
            .responses[0]
            .partition_responses[0]
            .error_code == kDenied);
  CHECK(f.security.calls.size() == 1);
  virtual_now += 1001;
  CHECK(f.Send<ProduceResponse>(0, 9, Produce(batch))
            .responses[0]
            .partition_responses[0]
            .error_code == 0);
  CHECK(f.security.calls.size() == 2);
  CHECK(f.log.partitions[{"orders", 0}].entries.size() == 1);

  // Produce permission does not let the role read.
  CHECK(f.Send<FetchResponse>(1, 12, Fetch())
            .responses[0]
            .partitions[0]
            .error_code == kDenied);
  ListOffsetsRequest list;
  list.replica_id = -1;
  auto& lt = list.topics.emplace_back();
  lt.name = "orders";
  lt.partitions.emplace_back().timestamp = -1;
  CHECK(f.Send<ListOffsetsResponse>(2, 7, list)
            .topics[0]
            .partitions[0]
            .error_code == kDenied);
  OffsetForLeaderEpochRequest epochs;
  auto& et = epochs.topics.emplace_back();
  et.topic = "orders";
  et.partitions.emplace_back().leader_epoch = 0;
  CHECK(f.Send<OffsetForLeaderEpochResponse>(23, 4, epochs)
            .topics[0]
            .partitions[0]
            .error_code == kDenied);
  // One check for the three consume requests: the answer is cached.
  CHECK(f.security.calls.size() == 3);
  CHECK(f.security.calls[2].action == TopicAction::kConsume);

  f.security.Grant("alice", kFull, TopicAction::kConsume);
  virtual_now += 1001;
  CHECK(f.Send<FetchResponse>(1, 12, Fetch())
            .responses[0]
            .partitions[0]
            .error_code == 0);
  CHECK(f.Send<ListOffsetsResponse>(2, 7, list)
            .topics[0]
            .partitions[0]
            .error_code == 0);
}

TEST_CASE("Answers arriving later: the request is served on its own copy",
          "[authz]") {
  const std::vector<uint8_t> batch = testing::TestBatch(3);
  Fixture f;
  f.security.defer = true;
  f.security.Grant("alice", kFull, TopicAction::kProduce);
  std::vector<uint8_t> frame = RequestFrame(0, 9, 1, Produce(batch));
  f.conn->OnFrame(frame);
  std::fill(frame.begin(), frame.end(), 0);  // the frame is gone
  CHECK(f.sink.frames.empty());
  REQUIRE(f.security.deferred() == 1);
  f.security.RunDeferred();
  REQUIRE(f.sink.frames.size() == 1);
  auto r = DecodeResponse<ProduceResponse>(f.sink.frames[0], 0, 9, 1);
  CHECK(r.responses[0].partition_responses[0].error_code == 0);
  CHECK(f.log.partitions[{"orders", 0}].entries.size() == 1);
  CHECK(f.log.partitions[{"orders", 0}].next_offset == 3);
}

TEST_CASE("A request waiting for Pulsar is not overtaken by a later one",
          "[authz]") {
  Fixture f;
  f.topics.topics["payments"] = 1;
  f.security.Grant("alice", kFull, TopicAction::kProduce);
  f.security.Grant("alice", "persistent://public/default/payments",
                   TopicAction::kProduce);
  const std::vector<uint8_t> one = testing::TestBatch(1);
  const std::vector<uint8_t> two = testing::TestBatch(2);
  const std::vector<uint8_t> three = testing::TestBatch(3);
  f.Send<ProduceResponse>(0, 9, Produce(one));  // orders' answer is cached
  f.security.defer = true;
  ProduceRequest first = Produce(two);
  auto& pay = first.topic_data.emplace_back();
  pay.name = "payments";
  pay.partition_data.emplace_back().records = RecordsRef::Of(two);
  f.conn->OnFrame(RequestFrame(0, 9, 2, first));           // waits for payments
  f.conn->OnFrame(RequestFrame(0, 9, 3, Produce(three)));  // cached, waits
  CHECK(f.log.partitions[{"orders", 0}].entries.size() == 1);
  REQUIRE(f.security.deferred() == 1);
  f.security.RunDeferred();
  // orders got the first request's batch, then the second's.
  CHECK(f.log.partitions[{"orders", 0}].last_offsets ==
        std::vector<int64_t>{0, 2, 5});
  REQUIRE(f.sink.frames.size() == 3);
  CHECK(DecodeResponse<ProduceResponse>(f.sink.frames[2], 0, 9, 3)
            .responses[0]
            .partition_responses[0]
            .error_code == 0);
}

TEST_CASE("A failed check refuses and is asked again next time", "[authz]") {
  Fixture f;
  f.security.failing_topic = kFull;
  f.security.Grant("alice", kFull, TopicAction::kConsume);
  CHECK(f.Send<FetchResponse>(1, 12, Fetch())
            .responses[0]
            .partitions[0]
            .error_code == kDenied);
  f.security.failing_topic.clear();
  CHECK(f.Send<FetchResponse>(1, 12, Fetch())
            .responses[0]
            .partitions[0]
            .error_code == 0);
  CHECK(f.security.calls.size() == 2);
}

TEST_CASE("Metadata needs lookup permission; the list leaves others out",
          "[authz]") {
  Fixture f;
  f.topics.topics["payments"] = 1;
  f.security.Grant("alice", "persistent://public/default/payments",
                   TopicAction::kLookup);
  MetadataRequest named;
  named.topics.emplace();
  named.topics->emplace_back().name = "orders";
  named.topics->emplace_back().name = "payments";
  named.topics->emplace_back().name = "fresh";
  named.allow_auto_topic_creation = true;
  auto r = f.Send<MetadataResponse>(3, 12, named);
  REQUIRE(r.topics.size() == 3);
  for (const auto& t : r.topics) {
    CAPTURE(t.name);
    CHECK(t.error_code == (t.name == "payments" ? 0 : kDenied));
  }
  CHECK_FALSE(f.topics.topics.contains("fresh"));  // not auto-created

  MetadataRequest all;
  all.topics.reset();
  auto listed = f.Send<MetadataResponse>(3, 12, all);
  REQUIRE(listed.topics.size() == 1);
  CHECK(listed.topics[0].name == "payments");
}

TEST_CASE("CreateTopics, DeleteTopics, CreatePartitions need their right",
          "[authz]") {
  Fixture f;
  CreateTopicsRequest create;
  auto& ct = create.topics.emplace_back();
  ct.name = "fresh";
  ct.num_partitions = 2;
  ct.replication_factor = 1;
  auto cr = f.Send<CreateTopicsResponse>(19, 7, create);
  CHECK(cr.topics[0].error_code == kDenied);
  CHECK(cr.topics[0].error_message.has_value());
  CHECK_FALSE(f.topics.topics.contains("fresh"));

  DeleteTopicsRequest del;
  del.topic_names = {"orders"};
  CHECK(f.Send<DeleteTopicsResponse>(20, 5, del).responses[0].error_code ==
        kDenied);
  CHECK(f.topics.topics.contains("orders"));

  CreatePartitionsRequest grow;
  auto& g = grow.topics.emplace_back();
  g.name = "orders";
  g.count = 4;
  g.assignments.reset();
  CHECK(f.Send<CreatePartitionsResponse>(37, 3, grow).results[0].error_code ==
        kDenied);
  CHECK(f.topics.topics.at("orders") == 1);

  f.security.Grant("alice", "persistent://public/default/fresh",
                   TopicAction::kCreate);
  f.security.Grant("alice", kFull, TopicAction::kAlterPartitions);
  f.security.Grant("alice", kFull, TopicAction::kDelete);
  virtual_now += 1001;
  CHECK(f.Send<CreateTopicsResponse>(19, 7, create).topics[0].error_code == 0);
  CHECK(f.topics.topics.at("fresh") == 2);
  CHECK(f.Send<CreatePartitionsResponse>(37, 3, grow).results[0].error_code ==
        0);
  CHECK(f.Send<DeleteTopicsResponse>(20, 5, del).responses[0].error_code == 0);
  CHECK_FALSE(f.topics.topics.contains("orders"));
}

TEST_CASE("Offsets need consume permission with the group as subscription",
          "[authz]") {
  Fixture f;
  f.log.subscriptions_supported = true;
  f.FindCoordinator();
  auto r = f.Send<OffsetCommitResponse>(8, 8, Commit());
  CHECK(r.topics[0].partitions[0].error_code == kDenied);
  REQUIRE_FALSE(f.security.calls.empty());
  CHECK(f.security.calls.back().subscription == "g");
  CHECK(f.security.calls.back().action == TopicAction::kConsume);
  CHECK(f.log.subscriptions.empty());

  OffsetFetchRequest fetch;
  fetch.group_id = "g";
  auto& ft = fetch.topics->emplace_back();
  ft.name = "orders";
  ft.partition_indexes = {0};
  CHECK(f.Send<OffsetFetchResponse>(9, 7, fetch)
            .topics[0]
            .partitions[0]
            .error_code == kDenied);
  OffsetDeleteRequest odel;
  odel.group_id = "g";
  auto& dt = odel.topics.emplace_back();
  dt.name = "orders";
  dt.partitions.emplace_back().partition_index = 0;
  CHECK(f.Send<OffsetDeleteResponse>(47, 0, odel)
            .topics[0]
            .partitions[0]
            .error_code == kDenied);

  f.security.Grant("alice", kFull, TopicAction::kConsume);
  virtual_now += 1001;
  CHECK(f.Send<OffsetCommitResponse>(8, 8, Commit())
            .topics[0]
            .partitions[0]
            .error_code == 0);
  auto fetched = f.Send<OffsetFetchResponse>(9, 7, fetch);
  CHECK(fetched.topics[0].partitions[0].error_code == 0);
  CHECK(fetched.topics[0].partitions[0].committed_offset == 1);

  // Every committed partition: listed only while the role may consume it.
  OffsetFetchRequest all;
  all.group_id = "g";
  all.topics.reset();
  CHECK(f.Send<OffsetFetchResponse>(9, 7, all).topics.size() == 1);
  f.security.Revoke("alice", kFull, TopicAction::kConsume);
  virtual_now += 1001;
  CHECK(f.Send<OffsetFetchResponse>(9, 7, all).topics.empty());

  // DeleteGroups needs consume on every topic the group has offsets on.
  DeleteGroupsRequest dg;
  dg.groups_names = {"g"};
  CHECK(f.Send<DeleteGroupsResponse>(42, 2, dg).results[0].error_code ==
        kGroupDenied);
  f.security.Grant("alice", kFull, TopicAction::kConsume);
  virtual_now += 1001;
  CHECK(f.Send<DeleteGroupsResponse>(42, 2, dg).results[0].error_code == 0);
}

TEST_CASE("No role and no anonymousUserRole: refused without asking Pulsar",
          "[authz]") {
  const std::vector<uint8_t> batch = testing::TestBatch(1);
  Fixture f("");
  f.security.superusers.insert("");  // would pass if it were asked
  CHECK(f.Send<ProduceResponse>(0, 9, Produce(batch))
            .responses[0]
            .partition_responses[0]
            .error_code == kDenied);
  FindCoordinatorRequest find;
  find.key = "g";
  CHECK(f.Send<FindCoordinatorResponse>(10, 3, find).error_code ==
        kGroupDenied);
  HeartbeatRequest hb;
  hb.group_id = "g";
  CHECK(f.Send<HeartbeatResponse>(12, 4, hb).error_code == kGroupDenied);
  CHECK(f.security.calls.empty());
}

TEST_CASE("A client without a role acts as anonymousUserRole", "[authz]") {
  const std::vector<uint8_t> batch = testing::TestBatch(1);
  Fixture f("", {{"anonymousUserRole", "anon"}});
  f.security.Grant("anon", kFull, TopicAction::kProduce);
  CHECK(f.Send<ProduceResponse>(0, 9, Produce(batch))
            .responses[0]
            .partition_responses[0]
            .error_code == 0);
  REQUIRE(f.security.calls.size() == 1);
  CHECK(f.security.calls[0].role == "anon");
  FindCoordinatorRequest find;
  find.key = "g";
  CHECK(f.Send<FindCoordinatorResponse>(10, 3, find).error_code == 0);
}

TEST_CASE("The cache is bounded per connection", "[authz]") {
  AuthorizationCache cache;
  for (int i = 0; i < 10; ++i) {
    cache.Put({"r", "t" + std::to_string(i), TopicAction::kLookup, ""},
              ErrorCode::NONE, 100 + i, 1000, 4);
  }
  CHECK(cache.size() == 4);
  // The newest survive; expired answers are gone.
  CHECK(cache.Find({"r", "t9", TopicAction::kLookup, ""}, 200).has_value());
  CHECK_FALSE(cache.Find({"r", "t0", TopicAction::kLookup, ""}, 200));
  CHECK_FALSE(cache.Find({"r", "t9", TopicAction::kLookup, ""}, 1109));
  // No time to live: nothing kept.
  cache.Put({"r", "x", TopicAction::kLookup, ""}, ErrorCode::NONE, 0, 0, 4);
  CHECK_FALSE(cache.Find({"r", "x", TopicAction::kLookup, ""}, 0));
}

// A connection whose short names resolve in its own namespace (as SASL
// sets it): handlers called directly with that session.
struct NamespaceFixture {
  BrokerState broker = BrokerState::FromConfig({{"kop.node.id", "1"}});
  testing::FakeTopics topics;
  testing::FakeLog log;
  testing::FakeSecurity security;
  ProducerStateTable producers{1};
  Session session{ListenerSecurity{false, {}, "bob"}};
  std::unique_ptr<Message> answer;

  NamespaceFixture() {
    session.topic_prefix = "persistent://acme/prod/";
    security.enabled = false;
  }
  RequestContext Context(int16_t key, int16_t version) {
    RequestContext ctx{key,     version,
                       1,       std::string("c"),
                       &broker, &topics,
                       &log,    &producers,
                       nullptr, [](std::function<void()> t) { t(); }};
    ctx.session = &session;
    ctx.security = &security;
    return ctx;
  }
  Reply Keep() {
    return [this](std::unique_ptr<Message> m) { answer = std::move(m); };
  }
};

TEST_CASE("Short names resolve in the connection's namespace", "[authz]") {
  const std::vector<uint8_t> batch = testing::TestBatch(1);
  const std::string full = "persistent://acme/prod/orders";
  for (bool authorizing : {false, true}) {
    NamespaceFixture f;
    f.security.enabled = authorizing;
    f.security.Grant("bob", full, TopicAction::kProduce);
    f.security.Grant("bob", full, TopicAction::kLookup);
    f.topics.topics[full] = 1;
    f.topics.topics["orders"] = 1;  // the broker's namespace: not this one
    HandleProduce(f.Context(0, 9), Produce(batch), f.Keep());
    auto* produced = static_cast<ProduceResponse*>(f.answer.get());
    REQUIRE(produced != nullptr);
    CHECK(produced->responses[0].name == "orders");
    CHECK(produced->responses[0].partition_responses[0].error_code == 0);
    CHECK(f.log.partitions.contains({full, 0}));
    CHECK_FALSE(f.log.partitions.contains({"orders", 0}));

    MetadataRequest named;
    named.topics.emplace();
    named.topics->emplace_back().name = "orders";
    HandleMetadata(f.Context(3, 12), named, f.Keep());
    auto* meta = static_cast<MetadataResponse*>(f.answer.get());
    REQUIRE(meta->topics.size() == 1);
    CHECK(meta->topics[0].name == "orders");
    CHECK(meta->topics[0].error_code == 0);
    CHECK(f.topics.looked_up.back() == full);

    MetadataRequest all;
    all.topics.reset();
    HandleMetadata(f.Context(3, 12), all, f.Keep());
    meta = static_cast<MetadataResponse*>(f.answer.get());
    REQUIRE(meta->topics.size() == 1);
    CHECK(meta->topics[0].name == "orders");
    if (authorizing) {
      for (const auto& call : f.security.calls) CHECK(call.topic == full);
    }
  }
}

}  // namespace
}  // namespace kop::core
