// The group coordinator's state machine, driven by a virtual clock through
// every classic-protocol transition, plus its persistence in an in-memory
// __consumer_offsets.
#include <catch2/catch.hpp>
#include <optional>

#include "groups/coordinator.h"
#include "groups/offsets_log.h"
#include "kop/protocol/errors.h"
#include "kop/testing/fake_log.h"

namespace kop::core::groups {
namespace {

using protocol::ErrorCode;
using testing::FakeLog;

// What a helper reports when the coordinator never answered: no Kafka code.
constexpr auto kUnanswered = static_cast<ErrorCode>(-100);

struct VirtualClock : Clock {
  int64_t now = 1'700'000'000'000;
  int64_t NowMs() override { return now; }
};

const std::vector<uint8_t> kMeta = {0, 1, 2};

struct Harness {
  VirtualClock clock;
  FakeLog log;
  GroupConfig config;
  std::unique_ptr<GroupCoordinator> coord;

  explicit Harness(GroupConfig c = {}) : config(std::move(c)) {
    config.num_partitions = 4;
    coord = std::make_unique<GroupCoordinator>(config, &clock);
  }
  void Restart() { coord = std::make_unique<GroupCoordinator>(config, &clock); }

  Caller MakeCaller(const std::string& client = "client") {
    Caller c;
    c.log = &log;
    c.post = [](std::function<void()> t) { t(); };
    c.client_id = client;
    c.client_host = "/10.1.2.3";
    return c;
  }
  // FindCoordinator loads the group's partition (the fake log answers at
  // once).
  void Ready(const std::string& group) {
    REQUIRE(coord->FindCoordinator(MakeCaller(), group) == ErrorCode::NONE);
  }
  void Advance(int64_t ms) {
    // Tick every 100 ms like the shim.
    for (int64_t t = 0; t < ms; t += 100) {
      clock.now += std::min<int64_t>(100, ms - t);
      coord->Tick();
    }
  }

  std::optional<JoinResult> Join(
      const std::string& group, const std::string& member,
      std::optional<std::string> instance = {}, int32_t session = 10000,
      int32_t rebalance = 30000, bool v4 = true,
      std::vector<Protocol> protocols = {{"range", kMeta}}) {
    auto out = std::make_shared<std::optional<JoinResult>>();
    JoinParams p;
    p.group_id = group;
    p.member_id = member;
    p.group_instance_id = instance;
    p.session_timeout_ms = session;
    p.rebalance_timeout_ms = rebalance;
    p.protocol_type = "consumer";
    p.protocols = std::move(protocols);
    p.require_known_member_id = v4 && !instance.has_value();
    coord->Join(MakeCaller(), p, [out](JoinResult r) { *out = std::move(r); });
    pending_joins.push_back(out);
    return *out;
  }
  std::vector<std::shared_ptr<std::optional<JoinResult>>> pending_joins;

  // Joins as a v4+ client does: MEMBER_ID_REQUIRED, then again with the id.
  // Returns the shared slot the (maybe parked) answer lands in.
  std::shared_ptr<std::optional<JoinResult>> JoinNew(const std::string& group) {
    std::optional<JoinResult> first = Join(group, "");
    REQUIRE(first.has_value());
    REQUIRE(first->error_code == ErrorCode::MEMBER_ID_REQUIRED);
    REQUIRE(!first->member_id.empty());
    Join(group, first->member_id);
    auto slot = pending_joins.back();
    if (!slot->has_value()) member_ids.push_back(first->member_id);
    return slot;
  }
  std::vector<std::string> member_ids;

  std::shared_ptr<std::optional<SyncResult>> Sync(
      const std::string& group, const std::string& member, int32_t gen,
      std::vector<std::pair<std::string, std::vector<uint8_t>>> a = {},
      std::optional<std::string> instance = {}) {
    auto out = std::make_shared<std::optional<SyncResult>>();
    SyncParams p;
    p.group_id = group;
    p.member_id = member;
    p.generation = gen;
    p.group_instance_id = instance;
    p.assignments = std::move(a);
    coord->Sync(MakeCaller(), p, [out](SyncResult r) { *out = std::move(r); });
    return out;
  }
  ErrorCode Heartbeat(const std::string& group, const std::string& member,
                      int32_t gen, std::optional<std::string> instance = {}) {
    ErrorCode err = kUnanswered;
    coord->Heartbeat(MakeCaller(), group, gen, member, instance,
                     [&err](ErrorCode e) { err = e; });
    return err;
  }
  LeaveResult Leave(const std::string& group, std::vector<LeaveMember> m) {
    LeaveResult out;
    coord->Leave(MakeCaller(), group, std::move(m),
                 [&out](LeaveResult r) { out = r; });
    return out;
  }
  std::vector<ErrorCode> Commit(const std::string& group,
                                const std::string& member, int32_t gen,
                                std::vector<CommitPartition> parts) {
    std::vector<ErrorCode> out = {kUnanswered};
    CommitParams p;
    p.group_id = group;
    p.member_id = member;
    p.generation = gen;
    p.partitions = std::move(parts);
    coord->CommitOffsets(MakeCaller(), p,
                         [&out](std::vector<ErrorCode> e) { out = e; });
    return out;
  }
  FetchResult Fetch(const std::string& group,
                    std::optional<std::vector<TopicPartition>> parts = {}) {
    FetchResult out;
    out.error_code = kUnanswered;
    coord->FetchOffsets(MakeCaller(), group, parts,
                        [&out](FetchResult r) { out = r; });
    return out;
  }
  GroupDescription Describe(const std::string& group) {
    std::vector<GroupDescription> out;
    coord->Describe(MakeCaller(), {group},
                    [&out](std::vector<GroupDescription> d) { out = d; });
    REQUIRE(out.size() == 1);
    return out[0];
  }
};

// Two members in a stable generation 1: returns their ids (leader first).
std::pair<std::string, std::string> StableGroupOfTwo(Harness& h,
                                                     const std::string& g) {
  h.Ready(g);
  auto a = h.JoinNew(g);
  auto b = h.JoinNew(g);
  CHECK(!a->has_value());  // parked during the initial delay
  h.Advance(3000);
  // b arrived during the delay, so it is extended once more.
  CHECK(!a->has_value());
  h.Advance(3000);
  REQUIRE(a->has_value());
  REQUIRE(b->has_value());
  const JoinResult& ja = **a;
  const JoinResult& jb = **b;
  REQUIRE(ja.error_code == ErrorCode::NONE);
  REQUIRE(jb.error_code == ErrorCode::NONE);
  CHECK(ja.generation == 1);
  CHECK(ja.leader == ja.member_id);
  CHECK(jb.leader == ja.member_id);
  CHECK(ja.protocol_name == std::optional<std::string>("range"));
  CHECK(ja.members.size() == 2);  // the leader sees everyone
  CHECK(jb.members.empty());
  auto sb = h.Sync(g, jb.member_id, 1);
  CHECK(!sb->has_value());  // waits for the leader
  auto sa = h.Sync(g, ja.member_id, 1,
                   {{ja.member_id, {'A'}}, {jb.member_id, {'B'}}});
  REQUIRE(sa->has_value());
  REQUIRE(sb->has_value());
  CHECK((*sa)->assignment == std::vector<uint8_t>{'A'});
  CHECK((*sb)->assignment == std::vector<uint8_t>{'B'});
  CHECK(h.Describe(g).state == "Stable");
  return {ja.member_id, jb.member_id};
}

// A log whose reads a test scripts: answered with `read_error` (NONE:
// served from memory), or parked unanswered while `silent`.
struct ScriptedLog : FakeLog {
  ErrorCode read_error = ErrorCode::NONE;
  bool silent = false;
  int reads = 0;
  std::vector<std::function<void(const ReadResult&)>> parked;
  void Read(std::string_view topic, int32_t partition, int64_t offset,
            int32_t max_bytes, int32_t max_wait_ms,
            std::function<void(const ReadResult&)> done) override {
    ++reads;
    if (silent) {
      parked.push_back(std::move(done));
    } else if (read_error != ErrorCode::NONE) {
      done(ReadResult{read_error, -1, -1, {}});
    } else {
      FakeLog::Read(topic, partition, offset, max_bytes, max_wait_ms, done);
    }
  }
};

// A coordinator of `partitions` partitions over a ScriptedLog, for the
// loading tests.
struct OnScriptedLog {
  VirtualClock clock;
  ScriptedLog log;
  GroupConfig config;
  std::unique_ptr<GroupCoordinator> coord;
  Caller caller;
  explicit OnScriptedLog(int32_t partitions) {
    config.num_partitions = partitions;
    coord = std::make_unique<GroupCoordinator>(config, &clock);
    caller.log = &log;
    caller.post = [](std::function<void()> t) { t(); };
  }
  // OffsetFetch of group "g": its error code.
  ErrorCode Fetch() {
    FetchResult f;
    coord->FetchOffsets(caller, "g", std::nullopt,
                        [&f](FetchResult r) { f = r; });
    return f.error_code;
  }
};

TEST_CASE("group partition is KoP's signSafeMod of Java's String.hashCode",
          "[groups]") {
  VirtualClock clock;
  GroupConfig c;
  c.num_partitions = 100000;
  GroupCoordinator big(c, &clock);
  CHECK(big.PartitionFor("abc") == 96354);     // "abc".hashCode()
  CHECK(big.PartitionFor("\xc3\xa9") == 233);  // "é": one UTF-16 unit
  c.num_partitions = 50;
  GroupCoordinator fifty(c, &clock);
  // "polygenelubricants".hashCode() == Integer.MIN_VALUE; signSafeMod gives
  // ((MIN % 50) + 50) % 50 = 2.
  CHECK(fifty.PartitionFor("polygenelubricants") == 2);
  // A supplementary character counts as two UTF-16 units: "😀" is
  // 0xD83D * 31 + 0xDE00 = 1772899.
  CHECK(big.PartitionFor("\xf0\x9f\x98\x80") == 1772899 % 100000);
}

TEST_CASE("first request loads the partition: COORDINATOR_LOAD_IN_PROGRESS",
          "[groups]") {
  Harness h;
  // Without FindCoordinator first, the JoinGroup itself starts the load and
  // is told to retry.
  auto r = h.Join("g", "");
  REQUIRE(r.has_value());
  CHECK(r->error_code == ErrorCode::COORDINATOR_LOAD_IN_PROGRESS);
  r = h.Join("g", "");
  CHECK(r->error_code == ErrorCode::MEMBER_ID_REQUIRED);
}

TEST_CASE("Preload loads every partition before any group request",
          "[groups]") {
  Harness h;
  h.coord->Preload(h.MakeCaller());
  CHECK(h.Fetch("any").error_code == ErrorCode::NONE);
  ListResult r;
  h.coord->List(h.MakeCaller(), {}, [&r](ListResult x) { r = x; });
  CHECK(r.error_code == ErrorCode::NONE);
}

TEST_CASE("join, initial delay, sync: a stable generation", "[groups]") {
  Harness h;
  StableGroupOfTwo(h, "g");
  // The group metadata was stored when the leader synced.
  const auto& part =
      h.log.partitions[{h.config.offsets_topic, h.coord->PartitionFor("g")}];
  CHECK(part.entries.size() == 1);
}

TEST_CASE("initial delay extends while members keep joining", "[groups]") {
  Harness h;
  h.Ready("g");
  auto a = h.JoinNew("g");
  h.Advance(2000);
  auto b = h.JoinNew("g");  // extends by another delay
  h.Advance(1500);
  CHECK(!a->has_value());
  h.Advance(3000);
  REQUIRE(a->has_value());
  CHECK((*a)->generation == 1);
  CHECK((*b)->generation == 1);
}

TEST_CASE("join errors", "[groups]") {
  Harness h;
  h.Ready("g");
  CHECK(h.Join("", "")->error_code == ErrorCode::INVALID_GROUP_ID);
  CHECK(h.Join("g", "", {}, 1000)->error_code ==
        ErrorCode::INVALID_SESSION_TIMEOUT);
  CHECK(h.Join("g", "", {}, 400000)->error_code ==
        ErrorCode::INVALID_SESSION_TIMEOUT);
  CHECK(h.Join("g", "nobody")->error_code == ErrorCode::UNKNOWN_MEMBER_ID);
  auto [a, b] = StableGroupOfTwo(h, "g");
  // A member whose protocols the group cannot agree on.
  CHECK(h.Join("g", "", {}, 10000, 30000, false, {{"sticky", kMeta}})
            ->error_code == ErrorCode::INCONSISTENT_GROUP_PROTOCOL);
}

TEST_CASE("group.max.size refuses the member past the limit", "[groups]") {
  GroupConfig c;
  c.max_size = 1;
  Harness h(c);
  h.Ready("g");
  auto a = h.JoinNew("g");
  auto second = h.Join("g", "", {}, 10000, 30000, false);
  REQUIRE(second.has_value());
  CHECK(second->error_code == ErrorCode::GROUP_MAX_SIZE_REACHED);
}

TEST_CASE(
    "heartbeats keep a member; a silent one expires and the group "
    "rebalances",
    "[groups]") {
  Harness h;
  auto [a, b] = StableGroupOfTwo(h, "g");
  CHECK(h.Heartbeat("g", a, 1) == ErrorCode::NONE);
  CHECK(h.Heartbeat("g", a, 0) == ErrorCode::ILLEGAL_GENERATION);
  CHECK(h.Heartbeat("g", "x", 1) == ErrorCode::UNKNOWN_MEMBER_ID);
  // b falls silent; a keeps heartbeating past b's 10 s session.
  for (int i = 0; i < 4; ++i) {
    h.Advance(3000);
    if (i < 3) CHECK(h.Heartbeat("g", a, 1) == ErrorCode::NONE);
  }
  CHECK(h.Heartbeat("g", a, 1) == ErrorCode::REBALANCE_IN_PROGRESS);
  CHECK(h.Describe("g").state == "PreparingRebalance");
  // a rejoins: it is everyone, so the rebalance completes at once.
  auto r = h.Join("g", a);
  REQUIRE(r.has_value());
  CHECK(r->error_code == ErrorCode::NONE);
  CHECK(r->generation == 2);
  CHECK(r->members.size() == 1);
  CHECK(h.Describe("g").state == "CompletingRebalance");
}

TEST_CASE("a member that does not rejoin in the rebalance timeout is removed",
          "[groups]") {
  Harness h;
  auto [a, b] = StableGroupOfTwo(h, "g");
  // A third member joins: the stable group rebalances.
  auto c = h.JoinNew("g");
  CHECK(h.Heartbeat("g", a, 1) == ErrorCode::REBALANCE_IN_PROGRESS);
  auto ra = h.Join("g", a);
  CHECK(!ra.has_value());
  // b keeps heartbeating but never rejoins: after the 30 s rebalance
  // timeout it is dropped and the others complete.
  for (int i = 0; i < 10; ++i) {
    h.Advance(3000);
    h.Heartbeat("g", b, 1);
  }
  auto slot = h.pending_joins[h.pending_joins.size() - 1];
  REQUIRE(slot->has_value());
  CHECK((*slot)->generation == 2);
  REQUIRE(c->has_value());
  CHECK(h.Describe("g").members.size() == 2);
  CHECK(h.Heartbeat("g", b, 1) == ErrorCode::UNKNOWN_MEMBER_ID);
}

TEST_CASE("a leader that never syncs leaves after the rebalance timeout",
          "[groups]") {
  Harness h;
  h.Ready("g");
  auto a = h.JoinNew("g");
  auto b = h.JoinNew("g");
  h.Advance(6000);
  REQUIRE(b->has_value());
  // Only b, the follower, syncs; it waits for an assignment that never
  // comes. After the rebalance timeout the silent leader is removed (Kafka's
  // pending-sync timeout) and b is told to rejoin.
  const std::string bid = (*b)->member_id;
  auto sb = h.Sync("g", bid, 1);
  CHECK(!sb->has_value());
  for (int i = 0; i < 11; ++i) {  // b's heartbeat thread keeps going
    h.Advance(3000);
    h.Heartbeat("g", bid, 1);
  }
  REQUIRE(sb->has_value());
  CHECK((*sb)->error_code == ErrorCode::REBALANCE_IN_PROGRESS);
  CHECK(h.Describe("g").members.size() == 1);
  CHECK(h.Describe("g").state == "PreparingRebalance");
}

TEST_CASE("leave: the rest rebalance; the last one leaves an empty group",
          "[groups]") {
  Harness h;
  auto [a, b] = StableGroupOfTwo(h, "g");
  LeaveResult l = h.Leave("g", {{b, std::nullopt}, {"ghost", std::nullopt}});
  CHECK(l.error_code == ErrorCode::NONE);
  CHECK(l.member_errors ==
        std::vector<ErrorCode>{ErrorCode::NONE, ErrorCode::UNKNOWN_MEMBER_ID});
  CHECK(h.Describe("g").state == "PreparingRebalance");
  l = h.Leave("g", {{a, std::nullopt}});
  CHECK(l.member_errors == std::vector<ErrorCode>{ErrorCode::NONE});
  GroupDescription d = h.Describe("g");
  CHECK(d.state == "Empty");
  CHECK(d.protocol_type == "consumer");
  // The empty generation was stored too.
  const auto& part =
      h.log.partitions[{h.config.offsets_topic, h.coord->PartitionFor("g")}];
  CHECK(part.entries.size() == 2);
}

TEST_CASE("static member back within its session keeps its assignment",
          "[groups]") {
  Harness h;
  h.Ready("g");
  auto a = h.Join("g", "", std::string("inst-a"));
  CHECK(!a.has_value());
  h.Advance(3000);
  auto slot = h.pending_joins.back();
  REQUIRE(slot->has_value());
  const std::string old_id = (*slot)->member_id;
  auto s = h.Sync("g", old_id, 1, {{old_id, {'X'}}}, std::string("inst-a"));
  REQUIRE(s->has_value());
  CHECK((*s)->assignment == std::vector<uint8_t>{'X'});

  // The process restarts: a new JoinGroup with no member id, same instance.
  auto again = h.Join("g", "", std::string("inst-a"));
  REQUIRE(again.has_value());
  CHECK(again->error_code == ErrorCode::NONE);
  CHECK(again->member_id != old_id);
  CHECK(again->generation == 1);  // no rebalance
  CHECK(h.Describe("g").state == "Stable");
  auto s2 = h.Sync("g", again->member_id, 1, {}, std::string("inst-a"));
  REQUIRE(s2->has_value());
  CHECK((*s2)->assignment == std::vector<uint8_t>{'X'});
  // The old incarnation is fenced.
  CHECK(h.Heartbeat("g", old_id, 1, std::string("inst-a")) ==
        ErrorCode::FENCED_INSTANCE_ID);
  // Leaving by instance id alone (v4+ batch) removes the member.
  LeaveResult l = h.Leave("g", {{"", std::string("inst-a")}});
  CHECK(l.member_errors == std::vector<ErrorCode>{ErrorCode::NONE});
  CHECK(h.Describe("g").state == "Empty");
}

TEST_CASE("offset commits: members, standalone consumers and errors",
          "[groups]") {
  Harness h;
  h.log.subscriptions_supported = true;
  h.Ready("solo");
  // An assign-mode consumer commits with generation -1 and no member.
  auto errs = h.Commit(
      "solo", "", -1, {{"t", 0, 42, 3, std::string("m")}, {"t", 1, 7, -1, {}}});
  CHECK(errs == std::vector<ErrorCode>{ErrorCode::NONE, ErrorCode::NONE});
  FetchResult f = h.Fetch(
      "solo", std::vector<TopicPartition>{{"t", 0}, {"t", 1}, {"t", 2}});
  REQUIRE(f.error_code == ErrorCode::NONE);
  REQUIRE(f.offsets.size() == 3);
  CHECK(f.offsets[0].offset.offset == 42);
  CHECK(f.offsets[0].offset.leader_epoch == 3);
  CHECK(f.offsets[0].offset.metadata == "m");
  CHECK(f.offsets[1].offset.offset == 7);
  CHECK(f.offsets[2].offset.offset == -1);
  CHECK(h.Fetch("solo").offsets.size() == 2);  // all
  // Mirrored into Pulsar subscriptions named after the group.
  CHECK(h.log.subscriptions[{"t", 0, "solo"}] == 42);
  CHECK(h.log.subscriptions[{"t", 1, "solo"}] == 7);

  std::string big(5000, 'x');
  errs = h.Commit("solo", "", -1, {{"t", 0, 1, -1, big}});
  CHECK(errs == std::vector<ErrorCode>{ErrorCode::OFFSET_METADATA_TOO_LARGE});
  h.Ready("nogroup");
  CHECK(h.Commit("nogroup", "m", 3, {{"t", 0, 1, -1, {}}}) ==
        std::vector<ErrorCode>{ErrorCode::ILLEGAL_GENERATION});

  auto [a, b] = StableGroupOfTwo(h, "g");
  CHECK(h.Commit("g", a, 1, {{"t", 0, 10, -1, {}}}) ==
        std::vector<ErrorCode>{ErrorCode::NONE});
  CHECK(h.Commit("g", a, 0, {{"t", 0, 11, -1, {}}}) ==
        std::vector<ErrorCode>{ErrorCode::ILLEGAL_GENERATION});
  CHECK(h.Commit("g", "stranger", 1, {{"t", 0, 11, -1, {}}}) ==
        std::vector<ErrorCode>{ErrorCode::UNKNOWN_MEMBER_ID});
  CHECK(h.Commit("g", "", -1, {{"t", 0, 11, -1, {}}}) ==
        std::vector<ErrorCode>{ErrorCode::UNKNOWN_MEMBER_ID});
  h.log.fail_with = ErrorCode::NOT_LEADER_OR_FOLLOWER;
  CHECK(h.Commit("g", a, 1, {{"t", 0, 12, -1, {}}}) ==
        std::vector<ErrorCode>{ErrorCode::NOT_COORDINATOR});
  h.log.fail_with = ErrorCode::NONE;
  f = h.Fetch("g", std::vector<TopicPartition>{{"t", 0}});
  CHECK(f.offsets[0].offset.offset == 10);  // the failed write changed nothing
}

TEST_CASE("groups and offsets survive a coordinator restart", "[groups]") {
  Harness h;
  auto [a, b] = StableGroupOfTwo(h, "g");
  REQUIRE(h.Commit("g", a, 1, {{"orders", 3, 99, 5, std::string("meta")}}) ==
          std::vector<ErrorCode>{ErrorCode::NONE});
  h.Ready("solo");
  REQUIRE(h.Commit("solo", "", -1, {{"orders", 0, 5, -1, {}}}) ==
          std::vector<ErrorCode>{ErrorCode::NONE});
  REQUIRE(h.Commit("solo", "", -1, {{"orders", 0, 6, -1, {}}}) ==
          std::vector<ErrorCode>{ErrorCode::NONE});

  h.Restart();
  // The first request after a restart starts loading.
  CHECK(h.Fetch("g").error_code == ErrorCode::COORDINATOR_LOAD_IN_PROGRESS);
  FetchResult f = h.Fetch("g");
  REQUIRE(f.error_code == ErrorCode::NONE);
  REQUIRE(f.offsets.size() == 1);
  CHECK(f.offsets[0].topic == "orders");
  CHECK(f.offsets[0].partition == 3);
  CHECK(f.offsets[0].offset.offset == 99);
  CHECK(f.offsets[0].offset.leader_epoch == 5);
  CHECK(f.offsets[0].offset.metadata == "meta");
  h.Ready("solo");
  CHECK(h.Fetch("solo").offsets.at(0).offset.offset == 6);  // the latest

  // The group comes back Stable with its members and assignments...
  GroupDescription d = h.Describe("g");
  CHECK(d.state == "Stable");
  CHECK(d.members.size() == 2);
  CHECK(h.Heartbeat("g", a, 1) == ErrorCode::NONE);
  auto s = h.Sync("g", b, 1);
  REQUIRE(s->has_value());
  CHECK((*s)->assignment == std::vector<uint8_t>{'B'});
  // ...and members that never come back expire after their session.
  h.Advance(11000);
  CHECK(h.Describe("g").state == "Empty");
}

TEST_CASE("offset keys name topics by full Pulsar name, as KoP did",
          "[groups]") {
  Harness h;
  h.Ready("solo");
  REQUIRE(h.Commit("solo", "", -1, {{"orders", 0, 5, -1, {}}}) ==
          std::vector<ErrorCode>{ErrorCode::NONE});
  const auto& part =
      h.log.partitions[{h.config.offsets_topic, h.coord->PartitionFor("solo")}];
  REQUIRE(part.stored.size() == 1);
  std::vector<LogRecord> records;
  uint64_t last = 0;
  REQUIRE(DecodeLogEntry(part.stored[0], records, last).ok());
  REQUIRE(records.size() == 1);
  const auto& o = std::get<OffsetRecord>(records[0]);
  CHECK(o.group == "solo");
  CHECK(o.topic == "persistent://public/default/orders");
  CHECK(o.partition == 0);
  CHECK(o.value->offset == 5);
}

TEST_CASE("a load whose read is dropped is retried, never stuck", "[groups]") {
  struct DroppingLog : FakeLog {
    bool drop = true;
    void Read(std::string_view topic, int32_t partition, int64_t offset,
              int32_t max_bytes, int32_t max_wait_ms,
              std::function<void(const ReadResult&)> done) override {
      if (drop) return;  // the connection closed: the callback is dropped
      FakeLog::Read(topic, partition, offset, max_bytes, max_wait_ms, done);
    }
  };
  VirtualClock clock;
  DroppingLog log;
  GroupConfig c;
  c.num_partitions = 2;
  GroupCoordinator coord(c, &clock);
  Caller caller;
  caller.log = &log;
  caller.post = [](std::function<void()> t) { t(); };
  FetchResult f;
  auto fetch = [&] {
    coord.FetchOffsets(caller, "g", std::nullopt,
                       [&f](FetchResult r) { f = r; });
    return f.error_code;
  };
  CHECK(fetch() == ErrorCode::COORDINATOR_LOAD_IN_PROGRESS);
  log.drop = false;
  // The dropped read put the partition back to unloaded: this request
  // starts a new load instead of waiting forever.
  CHECK(fetch() == ErrorCode::COORDINATOR_LOAD_IN_PROGRESS);
  CHECK(fetch() == ErrorCode::NONE);
}

TEST_CASE("a partition owned elsewhere answers NOT_COORDINATOR, never waits",
          "[groups]") {
  OnScriptedLog h(2);
  h.log.read_error = ErrorCode::NOT_LEADER_OR_FOLLOWER;  // another broker's
  auto fetch = [&h] { return h.Fetch(); };
  auto& log = h.log;
  CHECK(fetch() == ErrorCode::COORDINATOR_LOAD_IN_PROGRESS);
  CHECK(fetch() == ErrorCode::NOT_COORDINATOR);
  CHECK(fetch() == ErrorCode::NOT_COORDINATOR);
  log.read_error = ErrorCode::KAFKA_STORAGE_ERROR;
  CHECK(fetch() == ErrorCode::NOT_COORDINATOR);  // the previous cause
  CHECK(fetch() == ErrorCode::COORDINATOR_NOT_AVAILABLE);
  log.read_error =
      ErrorCode::NONE;  // ownership came here: the reload it starts succeeds
  CHECK(fetch() == ErrorCode::COORDINATOR_NOT_AVAILABLE);
  CHECK(fetch() == ErrorCode::NONE);
}

TEST_CASE("losing the partition's bundle unloads its groups; regaining reloads",
          "[groups]") {
  Harness h;
  auto [leader, follower] = StableGroupOfTwo(h, "g");
  REQUIRE(h.Commit("g", leader, 1, {{"t", 0, 42, -1, "m"}}) ==
          std::vector<ErrorCode>{ErrorCode::NONE});
  const int32_t partition = h.coord->PartitionFor("g");
  // A third member starts a rebalance: its join is parked until the others
  // rejoin.
  auto slot = h.JoinNew("g");
  REQUIRE(!slot->has_value());

  h.coord->Unload(partition);
  // The parked member hears NOT_COORDINATOR and looks for the new owner.
  REQUIRE(slot->has_value());
  CHECK((*slot)->error_code == ErrorCode::NOT_COORDINATOR);
  // Nothing of the group is left in memory: the next request reloads the
  // partition from the log (the fake log is still readable here, as when
  // the bundle comes back) and finds the committed offset.
  CHECK(h.Fetch("g").error_code == ErrorCode::COORDINATOR_LOAD_IN_PROGRESS);
  FetchResult f = h.Fetch("g");
  REQUIRE(f.error_code == ErrorCode::NONE);
  REQUIRE(f.offsets.size() == 1);
  CHECK(f.offsets[0].offset.offset == 42);
  CHECK(h.Describe("g").state == "Stable");  // as last written, then expired
  (void)follower;
  // Unloading a partition that is not loaded, or out of range, is harmless.
  h.coord->Unload(partition == 0 ? 1 : 0);
  h.coord->Unload(-1);
  h.coord->Unload(1 << 20);
  h.coord->Owned(-1);
}

TEST_CASE("Preload skips partitions owned elsewhere until they are ours",
          "[groups]") {
  OnScriptedLog h(3);
  h.log.read_error =
      ErrorCode::NOT_LEADER_OR_FOLLOWER;  // every partition is another broker's
  auto& log = h.log;
  auto& coord = *h.coord;
  auto& caller = h.caller;
  coord.Preload(caller);
  CHECK(log.reads == 3);
  coord.Preload(caller);  // every partition is another broker's: no reads
  CHECK(log.reads == 3);
  log.read_error = ErrorCode::NONE;
  coord.Owned(1);  // Pulsar gave us partition 1's bundle
  coord.Preload(caller);
  CHECK(log.reads == 4);
  coord.Preload(caller);
  CHECK(log.reads == 4);
}

TEST_CASE("a load whose read never answers is abandoned, then retried",
          "[groups]") {
  OnScriptedLog h(1);
  h.log.silent = true;  // the first read is never answered (until the end)
  auto fetch = [&h] { return h.Fetch(); };
  auto& log = h.log;
  auto& clock = h.clock;
  auto& coord = *h.coord;
  CHECK(fetch() == ErrorCode::COORDINATOR_LOAD_IN_PROGRESS);
  clock.now += 14000;
  coord.Tick();
  CHECK(fetch() == ErrorCode::COORDINATOR_LOAD_IN_PROGRESS);
  clock.now += 2000;
  coord.Tick();  // 16 s without an answer: abandoned
  log.silent = false;
  // The next request starts a new load, which the log answers at once.
  CHECK(fetch() == ErrorCode::COORDINATOR_NOT_AVAILABLE);
  CHECK(fetch() == ErrorCode::NONE);
  // The first read's late answer changes nothing.
  log.parked[0](ReadResult{ErrorCode::NOT_LEADER_OR_FOLLOWER, -1, -1, {}});
  CHECK(fetch() == ErrorCode::NONE);
}

TEST_CASE("delete groups and offsets", "[groups]") {
  Harness h;
  h.log.subscriptions_supported = true;
  auto [a, b] = StableGroupOfTwo(h, "g");
  REQUIRE(h.Commit("g", a, 1, {{"t", 0, 1, -1, {}}}) ==
          std::vector<ErrorCode>{ErrorCode::NONE});
  std::vector<ErrorCode> errs;
  auto del = [&](std::vector<std::string> ids) {
    h.coord->Delete(h.MakeCaller(), ids,
                    [&errs](std::vector<ErrorCode> e) { errs = e; });
    return errs;
  };
  h.Ready("missing");
  CHECK(del({"g", "missing"}) ==
        std::vector<ErrorCode>{ErrorCode::NON_EMPTY_GROUP,
                               ErrorCode::GROUP_ID_NOT_FOUND});

  // OffsetDelete on a subscribed topic of a live consumer group is refused.
  // Member metadata kMeta is not a valid subscription, so use an empty
  // group for the accepted path.
  OffsetDeleteResult od;
  h.coord->DeleteOffsets(h.MakeCaller(), "g", {{"t", 0}},
                         [&od](OffsetDeleteResult r) { od = r; });
  CHECK(od.error_code == ErrorCode::NONE);

  h.Leave("g", {{a, std::nullopt}, {b, std::nullopt}});
  REQUIRE(h.Commit("g", "", -1, {{"t", 1, 4, -1, {}}}) ==
          std::vector<ErrorCode>{ErrorCode::NONE});
  CHECK(h.log.subscriptions.count({"t", 1, "g"}) == 1);
  h.coord->DeleteOffsets(h.MakeCaller(), "g", {{"t", 1}, {"u", 9}},
                         [&od](OffsetDeleteResult r) { od = r; });
  CHECK(od.error_code == ErrorCode::NONE);
  CHECK(od.partition_errors ==
        std::vector<ErrorCode>{ErrorCode::NONE, ErrorCode::NONE});
  CHECK(h.Fetch("g").offsets.empty());
  CHECK(h.log.subscriptions.count({"t", 1, "g"}) == 0);

  REQUIRE(h.Commit("g", "", -1, {{"t", 2, 4, -1, {}}}) ==
          std::vector<ErrorCode>{ErrorCode::NONE});
  CHECK(del({"g"}) == std::vector<ErrorCode>{ErrorCode::NONE});
  CHECK(h.log.subscriptions.count({"t", 2, "g"}) == 0);
  CHECK(h.Describe("g").found == false);
  // Tombstones: after a restart the group stays gone.
  h.Restart();
  h.Ready("g");
  CHECK(h.Fetch("g").offsets.empty());
  CHECK(h.Describe("g").found == false);
}

TEST_CASE("OffsetDelete refuses topics a consumer group subscribes to",
          "[groups]") {
  Harness h;
  h.Ready("g");
  // ConsumerProtocolSubscription v0: version, topics ["t"], user_data null.
  std::vector<uint8_t> sub = {0, 0,   0,    0,    0,    1,   0,
                              1, 't', 0xff, 0xff, 0xff, 0xff};
  auto first = h.Join("g", "", {}, 10000, 30000, false, {{"range", sub}});
  h.Advance(3000);
  auto slot = h.pending_joins.back();
  REQUIRE(slot->has_value());
  const std::string id = (*slot)->member_id;
  REQUIRE((*h.Sync("g", id, 1, {{id, {}}}))->error_code == ErrorCode::NONE);
  REQUIRE(h.Commit("g", id, 1, {{"t", 0, 1, -1, {}}, {"u", 0, 1, -1, {}}}) ==
          std::vector<ErrorCode>{ErrorCode::NONE, ErrorCode::NONE});
  OffsetDeleteResult od;
  h.coord->DeleteOffsets(h.MakeCaller(), "g", {{"t", 0}, {"u", 0}},
                         [&od](OffsetDeleteResult r) { od = r; });
  CHECK(od.error_code == ErrorCode::NONE);
  CHECK(od.partition_errors ==
        std::vector<ErrorCode>{ErrorCode::GROUP_SUBSCRIBED_TO_TOPIC,
                               ErrorCode::NONE});
  CHECK(h.Fetch("g").offsets.size() == 1);
}

TEST_CASE("list groups with a state filter", "[groups]") {
  Harness h;
  StableGroupOfTwo(h, "g1");
  h.Ready("g2");
  REQUIRE(h.Commit("g2", "", -1, {{"t", 0, 1, -1, {}}}) ==
          std::vector<ErrorCode>{ErrorCode::NONE});
  ListResult r;
  auto list = [&](std::vector<std::string> states) {
    h.coord->List(h.MakeCaller(), states, [&r](ListResult x) { r = x; });
    return r;
  };
  list({});  // loads every partition
  r = list({});
  CHECK(r.error_code == ErrorCode::NONE);
  REQUIRE(r.groups.size() == 2);
  r = list({"stable"});
  REQUIRE(r.groups.size() == 1);
  CHECK(r.groups[0].group_id == "g1");
  CHECK(r.groups[0].protocol_type == "consumer");
  r = list({"Empty"});
  REQUIRE(r.groups.size() == 1);
  CHECK(r.groups[0].group_id == "g2");
}

TEST_CASE("describe reports metadata and assignments of stable groups",
          "[groups]") {
  Harness h;
  auto [a, b] = StableGroupOfTwo(h, "g");
  GroupDescription d = h.Describe("g");
  CHECK(d.found);
  CHECK(d.protocol_type == "consumer");
  CHECK(d.protocol == "range");
  REQUIRE(d.members.size() == 2);
  CHECK(d.members[0].member_id == a);
  CHECK(d.members[0].client_id == "client");
  CHECK(d.members[0].client_host == "/10.1.2.3");
  CHECK(d.members[0].metadata == kMeta);
  CHECK(d.members[0].assignment == std::vector<uint8_t>{'A'});
  CHECK(h.Describe("nope").found == false);
  CHECK(h.Describe("nope").state == "Dead");
}

TEST_CASE("committed offsets of an empty group expire after retention",
          "[groups]") {
  GroupConfig c;
  c.offsets_retention_ms = 60000;
  c.retention_check_interval_ms = 1000;
  Harness h(c);
  h.Ready("solo");
  REQUIRE(h.Commit("solo", "", -1, {{"t", 0, 1, -1, {}}}) ==
          std::vector<ErrorCode>{ErrorCode::NONE});
  h.Advance(30000);
  CHECK(h.Fetch("solo").offsets.size() == 1);
  h.Advance(40000);
  CHECK(h.Fetch("solo").offsets.empty());
}

}  // namespace
}  // namespace kop::core::groups

#include "handlers/handler.h"

namespace kop::core {
namespace {

TEST_CASE("client-named topics follow Kafka's rule, never Pulsar names",
          "[core]") {
  CHECK(IsLegalTopicName("orders"));
  CHECK(IsLegalTopicName("a.b_c-D9"));
  CHECK(IsLegalTopicName(std::string(249, 'x')));
  CHECK_FALSE(IsLegalTopicName(std::string(250, 'x')));
  CHECK_FALSE(IsLegalTopicName(""));
  CHECK_FALSE(IsLegalTopicName("."));
  CHECK_FALSE(IsLegalTopicName(".."));
  CHECK_FALSE(IsLegalTopicName("a b"));
  CHECK_FALSE(
      IsLegalTopicName("persistent://public/__kafka/__consumer_offsets"));
}

}  // namespace
}  // namespace kop::core
