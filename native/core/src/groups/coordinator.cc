#include "groups/coordinator.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>

#include "absl/strings/ascii.h"
#include "groups/offsets_log.h"
#include "kop/core/log.h"
#include "kop/protocol/errors.h"

namespace kop::core::groups {

using protocol::Code;
using protocol::ErrorCode;

namespace {

class WallClock : public Clock {
 public:
  int64_t NowMs() override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// Java's String.hashCode over the UTF-16 units of a UTF-8 string (invalid
// bytes count as U+FFFD, as Java's decoder makes them).
int32_t JavaStringHash(const std::string& s) {
  uint32_t h = 0;
  auto add = [&h](uint32_t unit) { h = 31 * h + unit; };
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const uint8_t c = static_cast<uint8_t>(s[i]);
    uint32_t cp = 0xFFFD;
    size_t len = 1;
    if (c < 0x80) {
      cp = c;
    } else if ((c >> 5) == 0x6 && i + 1 < n) {
      cp = ((c & 0x1F) << 6) | (s[i + 1] & 0x3F);
      len = 2;
    } else if ((c >> 4) == 0xE && i + 2 < n) {
      cp = ((c & 0x0F) << 12) | ((s[i + 1] & 0x3F) << 6) | (s[i + 2] & 0x3F);
      len = 3;
    } else if ((c >> 3) == 0x1E && i + 3 < n) {
      cp = ((c & 0x07) << 18) | ((s[i + 1] & 0x3F) << 12) |
           ((s[i + 2] & 0x3F) << 6) | (s[i + 3] & 0x3F);
      len = 4;
    }
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<uint8_t>(s[i + k]) & 0xC0) != 0x80) {
        cp = 0xFFFD;
        len = 1;
        break;
      }
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      add(0xD800 + (cp >> 10));
      add(0xDC00 + (cp & 0x3FF));
    } else {
      add(cp);
    }
    i += len;
  }
  return static_cast<int32_t>(h);
}

// Kafka's mapping of log-append errors for the coordinator
// (GroupMetadataManager): the client retries or rediscovers.
int16_t StoreError(int16_t append_error) {
  switch (append_error) {
    case 0:
      return 0;
    case Code(ErrorCode::NOT_LEADER_OR_FOLLOWER):
      return Code(ErrorCode::NOT_COORDINATOR);
    case Code(ErrorCode::MESSAGE_TOO_LARGE):
    case Code(ErrorCode::RECORD_LIST_TOO_LARGE):
    case Code(ErrorCode::INVALID_FETCH_SIZE):
      return Code(ErrorCode::INVALID_COMMIT_OFFSET_SIZE);
    default:
      return Code(ErrorCode::COORDINATOR_NOT_AVAILABLE);
  }
}

bool SameProtocols(const std::vector<Protocol>& a,
                   const std::vector<Protocol>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || a[i].metadata != b[i].metadata) return false;
  }
  return true;
}

constexpr int32_t kLoadReadBytes = 4 << 20;
// How long a partition load may wait for its log read before it is abandoned.
constexpr int64_t kLoadTimeoutMs = 15000;

// KIP-345: a static instance now known under another member id (a newer
// incarnation joined) is fenced.
bool Fenced(const Group& g, const std::optional<std::string>& instance,
            const std::string& member_id) {
  if (!instance.has_value()) return false;
  auto s = g.static_members.find(*instance);
  return s != g.static_members.end() && s->second != member_id;
}

// `done` wrapped to run on the caller's event loop.
template <typename Result>
std::function<void(Result)> OnCallerLoop(
    const std::function<void(std::function<void()>)>& post,
    std::function<void(Result)> done) {
  return [post, done = std::move(done)](Result r) {
    post([done, r = std::move(r)]() mutable { done(std::move(r)); });
  };
}

}  // namespace

Clock* SystemClock() {
  static WallClock clock;
  return &clock;
}

// Work queued under the lock and run after it is released (declared before
// the lock guard, so destroyed after it).
class GroupCoordinator::Deferred {
 public:
  Deferred() = default;
  Deferred(const Deferred&) = delete;
  Deferred& operator=(const Deferred&) = delete;
  ~Deferred() {
    // Running a task may queue more (a port completing synchronously).
    for (size_t i = 0; i < tasks_.size(); ++i) {
      std::function<void()> t = std::move(tasks_[i]);
      t();
    }
  }
  void Run(std::function<void()> task) { tasks_.push_back(std::move(task)); }
  // A reply through the caller's event loop.
  template <typename Fn, typename Value>
  void Reply(const std::function<void(std::function<void()>)>& post, Fn done,
             Value value) {
    Run([post, done = std::move(done), value = std::move(value)]() mutable {
      post([done = std::move(done), value = std::move(value)]() mutable {
        done(std::move(value));
      });
    });
  }

 private:
  std::vector<std::function<void()>> tasks_;
};

GroupCoordinator::GroupCoordinator(GroupConfig config, Clock* clock)
    : config_(std::move(config)),
      clock_(clock),
      partitions_(static_cast<size_t>(std::max(1, config_.num_partitions))),
      rng_(std::random_device{}()) {
  next_expiry_check_ms_ = clock_->NowMs() + config_.retention_check_interval_ms;
}

GroupCoordinator::~GroupCoordinator() = default;

int32_t GroupCoordinator::PartitionFor(const std::string& group_id) const {
  const int32_t n = static_cast<int32_t>(partitions_.size());
  const int32_t h = JavaStringHash(group_id);
  return ((h % n) + n) % n;
}

std::string GroupCoordinator::NewMemberId(const std::string& client_id) {
  uint64_t a = rng_(), b = rng_();
  // A version-4 UUID, as Kafka's member ids carry.
  a = (a & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;
  b = (b & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;
  char buf[40];
  std::snprintf(
      buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx",
      static_cast<unsigned>(a >> 32), static_cast<unsigned>((a >> 16) & 0xFFFF),
      static_cast<unsigned>(a & 0xFFFF), static_cast<unsigned>(b >> 48),
      static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFULL));
  return client_id + "-" + buf;
}

std::string GroupCoordinator::StoredTopic(const std::string& topic) const {
  return config_.topic_prefix + topic;
}

std::string GroupCoordinator::KafkaTopic(const std::string& stored) const {
  const std::string& p = config_.topic_prefix;
  if (stored.size() > p.size() && stored.compare(0, p.size(), p) == 0) {
    return stored.substr(p.size());
  }
  return stored;  // Kafka-written, or another namespace's full name
}

Group* GroupCoordinator::Find(const std::string& group_id) {
  auto it = groups_.find(group_id);
  return it == groups_.end() ? nullptr : it->second.get();
}

Group& GroupCoordinator::GetOrCreate(const std::string& group_id) {
  std::unique_ptr<Group>& g = groups_[group_id];
  if (g == nullptr) {
    g = std::make_unique<Group>();
    g->group_id = group_id;
    g->partition = PartitionFor(group_id);
    g->state_timestamp_ms = clock_->NowMs();
  }
  return *g;
}

void GroupCoordinator::SetState(Group& g, GroupState s) {
  g.state = s;
  g.state_timestamp_ms = clock_->NowMs();
}

// ---- Loading ----

int16_t GroupCoordinator::CheckCoordinator(const Caller& caller,
                                           int32_t partition, Deferred& d) {
  Partition& p = partitions_[partition];
  switch (p.load) {
    case Partition::Load::kLoaded:
      return 0;
    case Partition::Load::kLoading:
      return Code(ErrorCode::COORDINATOR_LOAD_IN_PROGRESS);
    case Partition::Load::kUnloaded:
      if (caller.log == nullptr) {
        return Code(ErrorCode::COORDINATOR_NOT_AVAILABLE);
      }
      if (p.load_error != 0) {
        const int16_t failed = p.load_error;
        StartLoad(caller, partition, d);  // try again for the next request
        if (p.load == Partition::Load::kLoaded) return 0;
        return failed == Code(ErrorCode::NOT_LEADER_OR_FOLLOWER)
                   ? Code(ErrorCode::NOT_COORDINATOR)
                   : Code(ErrorCode::COORDINATOR_NOT_AVAILABLE);
      }
      StartLoad(caller, partition, d);
      return p.load == Partition::Load::kLoaded
                 ? 0
                 : Code(ErrorCode::COORDINATOR_LOAD_IN_PROGRESS);
  }
  return Code(ErrorCode::COORDINATOR_NOT_AVAILABLE);
}

int16_t GroupCoordinator::CheckGroup(const Caller& caller,
                                     const std::string& group_id, Deferred& d) {
  if (group_id.empty()) return Code(ErrorCode::INVALID_GROUP_ID);
  return CheckCoordinator(caller, PartitionFor(group_id), d);
}

void GroupCoordinator::StartLoad(const Caller& caller, int32_t partition,
                                 Deferred& d) {
  Partition& p = partitions_[partition];
  p.load = Partition::Load::kLoading;
  ++p.load_epoch;
  p.load_started_ms = clock_->NowMs();
  staged_[partition].clear();
  Log(LogLevel::kInfo, "loading consumer groups from " + config_.offsets_topic +
                           " partition " + std::to_string(partition));
  LoadFrom(caller, partition, p.load_epoch, 0, d);
}

void GroupCoordinator::LoadFrom(const Caller& caller, int32_t partition,
                                uint64_t epoch, int64_t offset, Deferred& d) {
  // If the connection that carries the load goes away, its callback is
  // dropped unrun: the guard then puts the partition back to unloaded so
  // the next request starts over, never leaving it loading forever.
  struct Guard {
    GroupCoordinator* self;
    int32_t partition;
    uint64_t epoch;
    bool ran = false;
    ~Guard() {
      if (ran) return;
      std::lock_guard<std::mutex> lock(self->mu_);
      Partition& p = self->partitions_[partition];
      if (p.load == Partition::Load::kLoading && p.load_epoch == epoch) {
        p.load = Partition::Load::kUnloaded;
        self->staged_.erase(partition);
      }
    }
  };
  // Built in place: a moved-from temporary would run the destructor.
  std::shared_ptr<Guard> guard(new Guard{this, partition, epoch});
  LogPort* log = caller.log;
  Caller c = caller;
  d.Run([this, log, c, partition, epoch, offset, guard]() {
    log->Read(
        config_.offsets_topic, partition, offset, kLoadReadBytes, 0,
        [this, c, partition, epoch, offset, guard](const ReadResult& r) {
          guard->ran = true;
          Deferred d;
          std::lock_guard<std::mutex> lock(mu_);
          Partition& p = partitions_[partition];
          if (p.load != Partition::Load::kLoading || p.load_epoch != epoch) {
            return;
          }
          if (r.error_code != 0) {
            // Owned by another broker is normal with several brokers.
            Log(r.error_code == Code(ErrorCode::NOT_LEADER_OR_FOLLOWER)
                    ? LogLevel::kDebug
                    : LogLevel::kWarn,
                "loading " + config_.offsets_topic + " partition " +
                    std::to_string(partition) + " failed with error " +
                    std::to_string(r.error_code) + "; retried on next use");
            p.load = Partition::Load::kUnloaded;
            p.load_error = r.error_code;
            staged_.erase(partition);
            return;
          }
          std::vector<LogRecord>& staged = staged_[partition];
          int64_t next = std::max(offset, r.log_start_offset);
          for (std::span<const uint8_t> entry : r.entries) {
            uint64_t last = 0;
            const size_t before = staged.size();
            absl::Status st = DecodeLogEntry(entry, staged, last);
            if (!st.ok()) {
              staged.resize(before);
              Log(LogLevel::kWarn, "skipping a malformed entry of " +
                                       config_.offsets_topic + " partition " +
                                       std::to_string(partition) + ": " +
                                       std::string(st.message()));
            }
            if (last > 0 || st.ok()) {
              next = std::max<int64_t>(next, static_cast<int64_t>(last) + 1);
            }
          }
          if (next < r.log_end_offset && !r.entries.empty()) {
            LoadFrom(c, partition, epoch, next, d);
            return;
          }
          ApplyLoaded(partition, staged);
          staged_.erase(partition);
          p.load = Partition::Load::kLoaded;
          p.load_error = 0;
          Log(LogLevel::kInfo, "loaded consumer groups of " +
                                   config_.offsets_topic + " partition " +
                                   std::to_string(partition));
        });
  });
}

void GroupCoordinator::ApplyLoaded(int32_t partition,
                                   std::vector<LogRecord>& records) {
  const int64_t now = clock_->NowMs();
  for (LogRecord& rec : records) {
    if (auto* o = std::get_if<OffsetRecord>(&rec)) {
      if (PartitionFor(o->group) != partition) continue;
      TopicPartition tp{KafkaTopic(o->topic), o->partition};
      if (o->value.has_value()) {
        GetOrCreate(o->group).offsets[tp] = *o->value;
      } else if (Group* g = Find(o->group)) {
        g->offsets.erase(tp);
      }
    } else {
      auto& gr = std::get<GroupRecord>(rec);
      if (PartitionFor(gr.group) != partition) continue;
      if (!gr.value.has_value()) {
        groups_.erase(gr.group);
        continue;
      }
      Group& g = GetOrCreate(gr.group);
      const GroupRecord::Value& v = *gr.value;
      g.members.clear();
      g.join_order.clear();
      g.static_members.clear();
      g.leader_id.reset();
      g.generation = v.generation;
      g.protocol_type = v.protocol_type.empty()
                            ? std::nullopt
                            : std::optional<std::string>(v.protocol_type);
      g.protocol_name = v.protocol;
      g.state_timestamp_ms = v.state_timestamp_ms;
      for (const auto& mv : v.members) {
        Member m;
        m.member_id = mv.member_id;
        m.group_instance_id = mv.group_instance_id;
        m.client_id = mv.client_id;
        m.client_host = mv.client_host;
        m.rebalance_timeout_ms = mv.rebalance_timeout_ms >= 0
                                     ? mv.rebalance_timeout_ms
                                     : mv.session_timeout_ms;
        m.session_timeout_ms = mv.session_timeout_ms;
        m.protocol_type = v.protocol_type;
        m.protocols.push_back({v.protocol.value_or(""), mv.subscription});
        m.assignment = mv.assignment;
        g.AddMember(std::move(m));
      }
      g.leader_id = v.leader;
      g.state = g.members.empty() ? GroupState::kEmpty : GroupState::kStable;
    }
  }
  // Members restored from the log must heartbeat again within their session.
  for (auto& [id, g] : groups_) {
    if (g->partition != partition) continue;
    for (auto& [mid, m] : g->members) {
      m.heartbeat_deadline_ms = now + m.session_timeout_ms;
    }
  }
}

int16_t GroupCoordinator::FindCoordinator(const Caller& caller,
                                          const std::string& group_id) {
  Deferred d;
  std::lock_guard<std::mutex> lock(mu_);
  const int16_t err = CheckCoordinator(caller, PartitionFor(group_id), d);
  // Loading is not an error here: the client finds us and its next request
  // waits briefly for the load.
  return err == Code(ErrorCode::COORDINATOR_LOAD_IN_PROGRESS) ? 0 : err;
}

void GroupCoordinator::Preload(const Caller& caller) {
  if (caller.log == nullptr || !caller.log->SupportsRead()) return;
  if (all_loaded_.load(std::memory_order_acquire)) return;
  Deferred d;
  std::lock_guard<std::mutex> lock(mu_);
  bool all = true;
  for (int32_t i = 0; i < static_cast<int32_t>(partitions_.size()); ++i) {
    Partition& p = partitions_[i];
    if (p.load != Partition::Load::kLoaded) all = false;
    // Owned by another broker: loaded again only when a request for one of
    // its groups comes here, or when Pulsar gives us the bundle (Owned).
    if (p.load == Partition::Load::kUnloaded &&
        p.load_error != Code(ErrorCode::NOT_LEADER_OR_FOLLOWER)) {
      StartLoad(caller, i, d);
    }
  }
  if (all) all_loaded_.store(true, std::memory_order_release);
}

void GroupCoordinator::Unload(int32_t partition) {
  if (partition < 0 || partition >= static_cast<int32_t>(partitions_.size())) {
    return;
  }
  Deferred d;
  std::lock_guard<std::mutex> lock(mu_);
  Partition& p = partitions_[partition];
  const bool was_loaded = p.load != Partition::Load::kUnloaded;
  ++p.load_epoch;  // a load still reading is ignored when it answers
  p.load = Partition::Load::kUnloaded;
  p.load_error = 0;
  staged_.erase(partition);
  all_loaded_.store(false, std::memory_order_release);
  size_t dropped = 0;
  for (auto it = groups_.begin(); it != groups_.end();) {
    Group& g = *it->second;
    if (g.partition != partition) {
      ++it;
      continue;
    }
    for (auto& [id, m] : g.members) {
      if (m.awaiting_join) {
        JoinResult r;
        r.error_code = Code(ErrorCode::NOT_COORDINATOR);
        r.member_id = id;
        d.Run([cb = std::move(m.awaiting_join), r]() { cb(r); });
        m.awaiting_join = nullptr;
      }
      if (m.awaiting_sync) {
        SyncResult r;
        r.error_code = Code(ErrorCode::NOT_COORDINATOR);
        d.Run([cb = std::move(m.awaiting_sync), r]() { cb(r); });
        m.awaiting_sync = nullptr;
      }
    }
    it = groups_.erase(it);
    ++dropped;
  }
  if (was_loaded || dropped > 0) {
    Log(dropped > 0 ? LogLevel::kInfo : LogLevel::kDebug,
        "unloaded " + std::to_string(dropped) + " consumer groups of " +
            config_.offsets_topic + " partition " + std::to_string(partition) +
            ": its bundle left this broker");
  }
}

void GroupCoordinator::Owned(int32_t partition) {
  if (partition < 0 || partition >= static_cast<int32_t>(partitions_.size())) {
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  Partition& p = partitions_[partition];
  if (p.load == Partition::Load::kUnloaded) p.load_error = 0;
}

// ---- Persistence ----

void GroupCoordinator::Persist(const Caller& caller, int32_t partition,
                               std::vector<LogRecord> records,
                               std::function<void(int16_t, Deferred&)> done,
                               Deferred& d) {
  if (caller.log == nullptr) {
    done(Code(ErrorCode::COORDINATOR_NOT_AVAILABLE), d);
    return;
  }
  std::vector<EncodedRecord> encoded;
  encoded.reserve(records.size());
  for (const LogRecord& r : records) {
    if (const auto* o = std::get_if<OffsetRecord>(&r)) {
      encoded.push_back(EncodeOffsetRecord(*o));
    } else {
      encoded.push_back(EncodeGroupRecord(std::get<GroupRecord>(r)));
    }
  }
  auto entry = std::make_shared<std::vector<uint8_t>>();
  absl::Status st = EncodeLogEntry(encoded, clock_->NowMs(), *entry);
  if (!st.ok()) {
    Log(LogLevel::kError, "cannot encode a __consumer_offsets entry: " +
                              std::string(st.message()));
    done(Code(ErrorCode::UNKNOWN_SERVER_ERROR), d);
    return;
  }
  LogPort* log = caller.log;
  const int32_t n = static_cast<int32_t>(encoded.size());
  auto cb = std::make_shared<std::function<void(int16_t, Deferred&)>>(
      std::move(done));
  d.Run([this, log, partition, entry, n, cb]() {
    log->Append(config_.offsets_topic, partition, *entry, n,
                [this, cb](const AppendResult& r) {
                  Deferred d;
                  std::lock_guard<std::mutex> lock(mu_);
                  if (r.error_code != 0) {
                    Log(LogLevel::kWarn, "writing to " + config_.offsets_topic +
                                             " failed with error " +
                                             std::to_string(r.error_code));
                  }
                  (*cb)(StoreError(r.error_code), d);
                });
  });
}

void GroupCoordinator::FlushDirty(const Caller& caller, Group& g, Deferred& d) {
  if (!g.metadata_dirty || caller.log == nullptr) return;
  g.metadata_dirty = false;
  Persist(
      caller, g.partition, {SnapshotGroup(g)}, [](int16_t, Deferred&) {}, d);
}

void GroupCoordinator::MirrorOffsets(
    const Caller& caller, const std::string& group_id,
    const std::vector<std::pair<TopicPartition, int64_t>>& offsets,
    Deferred& d) {
  LogPort* log = caller.log;
  if (!config_.subscription_mirror || log == nullptr ||
      !log->SupportsSubscriptions()) {
    return;
  }
  for (const auto& entry : offsets) {
    // Named copies: clang 14 cannot capture structured bindings.
    const TopicPartition tp = entry.first;
    const int64_t offset = entry.second;
    if (offset < 0) continue;
    d.Run([log, group_id, tp, offset]() {
      log->CommitSubscription(
          tp.first, tp.second, group_id, offset, [group_id, tp](int16_t err) {
            if (err != 0) {
              Log(LogLevel::kDebug,
                  "mirroring group " + group_id + " on " + tp.first + "-" +
                      std::to_string(tp.second) + " failed with error " +
                      std::to_string(err));
            }
          });
    });
  }
}

void GroupCoordinator::DeleteMirror(const Caller& caller,
                                    const std::string& group_id,
                                    const std::vector<TopicPartition>& parts,
                                    Deferred& d) {
  LogPort* log = caller.log;
  if (!config_.subscription_mirror || log == nullptr ||
      !log->SupportsSubscriptions()) {
    return;
  }
  for (const TopicPartition& tp : parts) {
    d.Run([log, group_id, tp]() {
      log->DeleteSubscription(tp.first, tp.second, group_id, [](int16_t) {});
    });
  }
}

// ---- Rebalance machinery ----

JoinResult GroupCoordinator::CurrentJoinResult(const Group& g, const Member& m,
                                               bool with_members) const {
  JoinResult r;
  r.generation = g.generation;
  r.protocol_type = g.protocol_type;
  r.protocol_name = g.protocol_name;
  r.leader = g.leader_id.value_or("");
  r.member_id = m.member_id;
  if (with_members && g.protocol_name.has_value()) {
    for (const std::string& id : g.join_order) {
      const Member& o = g.members.at(id);
      const std::vector<uint8_t>* meta = o.MetadataFor(*g.protocol_name);
      r.members.push_back({o.member_id, o.group_instance_id,
                           meta ? *meta : std::vector<uint8_t>{}});
    }
  }
  return r;
}

void GroupCoordinator::MaybePrepareRebalance(Group& g, Deferred& d) {
  if (g.Is(GroupState::kStable) || g.Is(GroupState::kCompletingRebalance) ||
      g.Is(GroupState::kEmpty)) {
    PrepareRebalance(g, d);
  }
}

void GroupCoordinator::ResetAndPropagateSyncError(Group& g, int16_t error,
                                                  Deferred& d) {
  for (auto& [id, m] : g.members) {
    m.assignment.clear();
    if (m.awaiting_sync) {
      SyncResult r;
      r.error_code = error;
      SyncCallback cb = std::move(m.awaiting_sync);
      m.awaiting_sync = nullptr;
      d.Run([cb = std::move(cb), r]() { cb(r); });
    }
  }
}

void GroupCoordinator::PrepareRebalance(Group& g, Deferred& d) {
  if (g.Is(GroupState::kCompletingRebalance)) {
    ResetAndPropagateSyncError(g, Code(ErrorCode::REBALANCE_IN_PROGRESS), d);
  }
  const int64_t now = clock_->NowMs();
  if (g.Is(GroupState::kEmpty)) {
    // The first rebalance of an empty group waits for more members
    // (group.initial.rebalance.delay.ms), extended while they keep coming,
    // up to the rebalance timeout.
    g.initial_delay = true;
    g.new_member_added = false;
    g.join_deadline_ms = now + config_.initial_rebalance_delay_ms;
    g.initial_delay_remaining_ms = std::max<int64_t>(
        0, g.RebalanceTimeoutMs() - config_.initial_rebalance_delay_ms);
  } else {
    g.initial_delay = false;
    g.join_deadline_ms = now + g.RebalanceTimeoutMs();
  }
  SetState(g, GroupState::kPreparingRebalance);
  MaybeCompleteJoin(g, d);
}

void GroupCoordinator::MaybeCompleteJoin(Group& g, Deferred& d) {
  if (g.Is(GroupState::kPreparingRebalance) && !g.initial_delay &&
      g.AllMembersJoined()) {
    CompleteJoin(g, d);
  }
}

void GroupCoordinator::CompleteJoin(Group& g, Deferred& d) {
  // Members that did not rejoin in time leave the group.
  std::vector<std::string> gone;
  for (const auto& [id, m] : g.members) {
    if (!m.awaiting_join) gone.push_back(id);
  }
  for (const std::string& id : gone) g.RemoveMember(id);
  g.join_deadline_ms = -1;
  g.initial_delay = false;
  if (g.Is(GroupState::kDead)) return;

  ++g.generation;
  const int64_t now = clock_->NowMs();
  if (g.members.empty()) {
    g.protocol_name.reset();
    SetState(g, GroupState::kEmpty);
    g.metadata_dirty = true;
    return;
  }
  g.protocol_name = g.SelectProtocol();
  SetState(g, GroupState::kCompletingRebalance);
  for (auto& [id, m] : g.members) {
    JoinResult r = CurrentJoinResult(g, m, g.IsLeader(id));
    JoinCallback cb = std::move(m.awaiting_join);
    m.awaiting_join = nullptr;
    m.is_new = false;
    m.heartbeat_deadline_ms = now + m.session_timeout_ms;
    d.Run(
        [cb = std::move(cb), r = std::move(r)]() mutable { cb(std::move(r)); });
  }
  // Members that never send SyncGroup are removed after the rebalance
  // timeout (Kafka's pending-sync timeout).
  g.join_deadline_ms = now + g.RebalanceTimeoutMs();
}

void GroupCoordinator::RemoveMemberAndUpdateGroup(Group& g,
                                                  const std::string& member_id,
                                                  Deferred& d) {
  auto it = g.members.find(member_id);
  if (it == g.members.end()) return;
  Member& m = it->second;
  if (m.awaiting_join) {
    JoinResult r;
    r.error_code = Code(ErrorCode::UNKNOWN_MEMBER_ID);
    r.member_id = member_id;
    d.Run([cb = std::move(m.awaiting_join), r]() { cb(r); });
  }
  if (m.awaiting_sync) {
    SyncResult r;
    r.error_code = Code(ErrorCode::UNKNOWN_MEMBER_ID);
    d.Run([cb = std::move(m.awaiting_sync), r]() { cb(r); });
  }
  g.RemoveMember(member_id);
  switch (g.state) {
    case GroupState::kDead:
    case GroupState::kEmpty:
      break;
    case GroupState::kStable:
    case GroupState::kCompletingRebalance:
      PrepareRebalance(g, d);
      break;
    case GroupState::kPreparingRebalance:
      MaybeCompleteJoin(g, d);
      break;
  }
}

// ---- JoinGroup ----

void GroupCoordinator::Join(const Caller& caller, JoinParams p,
                            JoinCallback done) {
  Deferred d;
  std::lock_guard<std::mutex> lock(mu_);
  JoinCallback reply = OnCallerLoop(caller.post, std::move(done));
  auto fail = [&](ErrorCode e) {
    JoinResult r;
    r.error_code = Code(e);
    r.member_id = p.member_id;
    d.Run([reply, r]() { reply(r); });
  };
  if (int16_t err = CheckGroup(caller, p.group_id, d); err != 0) {
    JoinResult r;
    r.error_code = err;
    r.member_id = p.member_id;
    d.Run([reply, r]() { reply(r); });
    return;
  }
  if (p.session_timeout_ms < config_.min_session_timeout_ms ||
      p.session_timeout_ms > config_.max_session_timeout_ms) {
    return fail(ErrorCode::INVALID_SESSION_TIMEOUT);
  }
  const bool unknown_member = p.member_id.empty();
  Group* existing = Find(p.group_id);
  if (existing == nullptr && !unknown_member) {
    return fail(ErrorCode::UNKNOWN_MEMBER_ID);
  }
  Group& g = existing ? *existing : GetOrCreate(p.group_id);
  FlushDirty(caller, g, d);
  if (static_cast<int64_t>(g.members.size()) >= config_.max_size &&
      !g.HasMember(p.member_id) && !g.pending_members.count(p.member_id)) {
    return fail(ErrorCode::GROUP_MAX_SIZE_REACHED);
  }
  if (unknown_member) {
    JoinUnknownMember(caller, g, p, reply, d);
  } else {
    JoinKnownMember(caller, g, p, reply, d);
  }
}

void GroupCoordinator::JoinUnknownMember(const Caller& caller, Group& g,
                                         JoinParams& p, JoinCallback& done,
                                         Deferred& d) {
  auto fail = [&](ErrorCode e) {
    JoinResult r;
    r.error_code = Code(e);
    d.Run([done, r]() { done(r); });
  };
  if (g.Is(GroupState::kDead))
    return fail(ErrorCode::COORDINATOR_NOT_AVAILABLE);
  if (!g.SupportsProtocols(p.protocol_type, p.protocols)) {
    return fail(ErrorCode::INCONSISTENT_GROUP_PROTOCOL);
  }
  const std::string new_id = NewMemberId(caller.client_id);
  if (p.group_instance_id.has_value()) {
    if (g.static_members.count(*p.group_instance_id)) {
      ReplaceStaticMember(caller, g, new_id, p, done, d);
    } else {
      AddMemberAndRebalance(caller, g, new_id, p, done, d);
    }
    return;
  }
  if (p.require_known_member_id) {
    // KIP-394: the client must come back with this id, so a client that
    // never does leaves no member behind (only a pending id that expires).
    g.pending_members[new_id] = clock_->NowMs() + p.session_timeout_ms;
    JoinResult r;
    r.error_code = Code(ErrorCode::MEMBER_ID_REQUIRED);
    r.member_id = new_id;
    d.Run([done, r]() { done(r); });
    return;
  }
  AddMemberAndRebalance(caller, g, new_id, p, done, d);
}

void GroupCoordinator::JoinKnownMember(const Caller& caller, Group& g,
                                       JoinParams& p, JoinCallback& done,
                                       Deferred& d) {
  auto fail = [&](ErrorCode e) {
    JoinResult r;
    r.error_code = Code(e);
    r.member_id = p.member_id;
    d.Run([done, r]() { done(r); });
  };
  if (g.Is(GroupState::kDead))
    return fail(ErrorCode::COORDINATOR_NOT_AVAILABLE);
  if (!g.SupportsProtocols(p.protocol_type, p.protocols)) {
    return fail(ErrorCode::INCONSISTENT_GROUP_PROTOCOL);
  }
  if (g.pending_members.count(p.member_id)) {
    AddMemberAndRebalance(caller, g, p.member_id, p, done, d);
    return;
  }
  if (Fenced(g, p.group_instance_id, p.member_id)) {
    return fail(ErrorCode::FENCED_INSTANCE_ID);
  }
  auto it = g.members.find(p.member_id);
  if (it == g.members.end()) return fail(ErrorCode::UNKNOWN_MEMBER_ID);
  Member& m = it->second;
  switch (g.state) {
    case GroupState::kPreparingRebalance:
      UpdateMemberAndRebalance(g, m, p, done, d);
      return;
    case GroupState::kCompletingRebalance:
      if (SameProtocols(m.protocols, p.protocols)) {
        // It missed the JoinGroup answer: give it the current generation.
        JoinResult r = CurrentJoinResult(g, m, g.IsLeader(m.member_id));
        d.Run([done, r]() { done(r); });
      } else {
        UpdateMemberAndRebalance(g, m, p, done, d);
      }
      return;
    case GroupState::kStable:
      if (g.IsLeader(m.member_id) || !SameProtocols(m.protocols, p.protocols)) {
        UpdateMemberAndRebalance(g, m, p, done, d);
      } else {
        m.heartbeat_deadline_ms = clock_->NowMs() + m.session_timeout_ms;
        JoinResult r = CurrentJoinResult(g, m, false);
        d.Run([done, r]() { done(r); });
      }
      return;
    case GroupState::kEmpty:
    case GroupState::kDead:
      return fail(ErrorCode::UNKNOWN_MEMBER_ID);
  }
}

void GroupCoordinator::AddMemberAndRebalance(const Caller& caller, Group& g,
                                             const std::string& member_id,
                                             JoinParams& p, JoinCallback done,
                                             Deferred& d) {
  Member m;
  m.member_id = member_id;
  m.group_instance_id = p.group_instance_id;
  m.client_id = caller.client_id;
  m.client_host = caller.client_host;
  m.rebalance_timeout_ms = p.rebalance_timeout_ms;
  m.session_timeout_ms = p.session_timeout_ms;
  m.protocol_type = p.protocol_type;
  m.protocols = std::move(p.protocols);
  m.awaiting_join = std::move(done);
  m.is_new = true;
  m.heartbeat_deadline_ms =
      clock_->NowMs() + config_.new_member_join_timeout_ms;
  g.AddMember(std::move(m));
  g.new_member_added = true;
  if (g.Is(GroupState::kPreparingRebalance)) {
    MaybeCompleteJoin(g, d);
  } else {
    MaybePrepareRebalance(g, d);
  }
}

void GroupCoordinator::UpdateMemberAndRebalance(Group& g, Member& m,
                                                JoinParams& p,
                                                JoinCallback done,
                                                Deferred& d) {
  m.protocols = std::move(p.protocols);
  m.rebalance_timeout_ms = p.rebalance_timeout_ms;
  m.session_timeout_ms = p.session_timeout_ms;
  if (m.awaiting_join) {
    // A retried JoinGroup replaces the parked one, which Kafka answers
    // with UNKNOWN_MEMBER_ID... but the client has moved on: drop it
    // quietly with REBALANCE_IN_PROGRESS so its slot is answered.
    JoinResult r;
    r.error_code = Code(ErrorCode::REBALANCE_IN_PROGRESS);
    r.member_id = m.member_id;
    d.Run([cb = std::move(m.awaiting_join), r]() { cb(r); });
  }
  m.awaiting_join = std::move(done);
  if (g.Is(GroupState::kPreparingRebalance)) {
    MaybeCompleteJoin(g, d);
  } else {
    MaybePrepareRebalance(g, d);
  }
}

void GroupCoordinator::ReplaceStaticMember(const Caller& caller, Group& g,
                                           const std::string& new_id,
                                           JoinParams& p, JoinCallback done,
                                           Deferred& d) {
  const std::string instance = *p.group_instance_id;
  const std::string old_id = g.static_members.at(instance);
  const std::optional<std::string> old_leader = g.leader_id;
  Member m = std::move(g.members.at(old_id));
  // The old incarnation's parked calls are fenced.
  if (m.awaiting_join) {
    JoinResult r;
    r.error_code = Code(ErrorCode::FENCED_INSTANCE_ID);
    r.member_id = old_id;
    d.Run([cb = std::move(m.awaiting_join), r]() { cb(r); });
    m.awaiting_join = nullptr;
  }
  if (m.awaiting_sync) {
    SyncResult r;
    r.error_code = Code(ErrorCode::FENCED_INSTANCE_ID);
    d.Run([cb = std::move(m.awaiting_sync), r]() { cb(r); });
    m.awaiting_sync = nullptr;
  }
  g.members.erase(old_id);
  std::replace(g.join_order.begin(), g.join_order.end(), old_id, new_id);
  if (g.IsLeader(old_id)) g.leader_id = new_id;
  m.member_id = new_id;
  m.client_id = caller.client_id;
  m.client_host = caller.client_host;
  m.rebalance_timeout_ms = p.rebalance_timeout_ms;
  m.session_timeout_ms = p.session_timeout_ms;
  const bool same_protocols = SameProtocols(m.protocols, p.protocols);
  m.protocols = std::move(p.protocols);
  m.heartbeat_deadline_ms = clock_->NowMs() + m.session_timeout_ms;
  m.awaiting_join = std::move(done);
  g.static_members[instance] = new_id;
  Member& placed = g.members.emplace(new_id, std::move(m)).first->second;

  switch (g.state) {
    case GroupState::kStable:
      if (same_protocols || g.protocol_name == g.SelectProtocol()) {
        // KIP-345: the same instance back within its session keeps its
        // assignment, no rebalance. The answer names the previous leader so
        // a rejoining leader does not compute an assignment a stable group
        // would not hand out.
        JoinResult r = CurrentJoinResult(g, placed, false);
        r.leader = old_leader.value_or("");
        JoinCallback cb = std::move(placed.awaiting_join);
        placed.awaiting_join = nullptr;
        Persist(
            caller, g.partition, {SnapshotGroup(g)},
            [cb, r](int16_t err, Deferred& d2) {
              JoinResult out = r;
              if (err != 0) out.error_code = err;
              d2.Run([cb, out]() { cb(out); });
            },
            d);
      } else {
        PrepareRebalance(g, d);
      }
      return;
    case GroupState::kCompletingRebalance:
      // The leader may be assigning to the old id: rebalance again.
      PrepareRebalance(g, d);
      return;
    case GroupState::kPreparingRebalance:
      MaybeCompleteJoin(g, d);
      return;
    case GroupState::kEmpty:
    case GroupState::kDead:
      return;  // a static member is never in an empty or dead group
  }
}

// ---- SyncGroup ----

void GroupCoordinator::Sync(const Caller& caller, SyncParams p,
                            SyncCallback done) {
  Deferred d;
  std::lock_guard<std::mutex> lock(mu_);
  SyncCallback reply = OnCallerLoop(caller.post, std::move(done));
  auto fail = [&](int16_t e) {
    SyncResult r;
    r.error_code = e;
    d.Run([reply, r]() { reply(r); });
  };
  if (int16_t err = CheckGroup(caller, p.group_id, d)) return fail(err);
  Group* gp = Find(p.group_id);
  if (gp == nullptr) return fail(Code(ErrorCode::UNKNOWN_MEMBER_ID));
  Group& g = *gp;
  FlushDirty(caller, g, d);
  if (Fenced(g, p.group_instance_id, p.member_id)) {
    return fail(Code(ErrorCode::FENCED_INSTANCE_ID));
  }
  auto it = g.members.find(p.member_id);
  if (it == g.members.end()) return fail(Code(ErrorCode::UNKNOWN_MEMBER_ID));
  if (p.generation != g.generation) {
    return fail(Code(ErrorCode::ILLEGAL_GENERATION));
  }
  if ((p.protocol_type.has_value() && p.protocol_type != g.protocol_type) ||
      (p.protocol_name.has_value() && p.protocol_name != g.protocol_name)) {
    return fail(Code(ErrorCode::INCONSISTENT_GROUP_PROTOCOL));
  }
  Member& m = it->second;
  switch (g.state) {
    case GroupState::kEmpty:
      return fail(Code(ErrorCode::UNKNOWN_MEMBER_ID));
    case GroupState::kDead:
      return fail(Code(ErrorCode::COORDINATOR_NOT_AVAILABLE));
    case GroupState::kPreparingRebalance:
      return fail(Code(ErrorCode::REBALANCE_IN_PROGRESS));
    case GroupState::kStable: {
      m.heartbeat_deadline_ms = clock_->NowMs() + m.session_timeout_ms;
      SyncResult r{0, g.protocol_type, g.protocol_name, m.assignment};
      d.Run([reply, r]() { reply(r); });
      return;
    }
    case GroupState::kCompletingRebalance:
      break;
  }
  if (m.awaiting_sync) {
    SyncResult r;
    r.error_code = Code(ErrorCode::REBALANCE_IN_PROGRESS);
    d.Run([cb = std::move(m.awaiting_sync), r]() { cb(r); });
  }
  m.awaiting_sync = reply;
  m.heartbeat_deadline_ms = clock_->NowMs() + m.session_timeout_ms;
  if (!g.IsLeader(p.member_id)) return;

  // The leader's assignment: stored first, then handed out.
  std::map<std::string, std::vector<uint8_t>> assignment;
  for (auto& [id, bytes] : p.assignments) {
    if (g.HasMember(id)) assignment[id] = std::move(bytes);
  }
  GroupRecord snapshot = SnapshotGroup(g);
  for (auto& mv : snapshot.value->members) {
    auto a = assignment.find(mv.member_id);
    mv.assignment = a == assignment.end() ? std::vector<uint8_t>{} : a->second;
  }
  const int32_t generation = g.generation;
  const std::string group_id = g.group_id;
  Persist(
      caller, g.partition, {std::move(snapshot)},
      [this, group_id, generation, assignment = std::move(assignment)](
          int16_t err, Deferred& d2) {
        Group* gp = Find(group_id);
        if (gp == nullptr || gp->generation != generation ||
            !gp->Is(GroupState::kCompletingRebalance)) {
          return;  // the group moved on; its members were answered
        }
        Group& g = *gp;
        if (err != 0) {
          ResetAndPropagateSyncError(g, err, d2);
          PrepareRebalance(g, d2);
          return;
        }
        for (auto& [id, m] : g.members) {
          auto a = assignment.find(id);
          m.assignment =
              a == assignment.end() ? std::vector<uint8_t>{} : a->second;
          if (m.awaiting_sync) {
            SyncResult r{0, g.protocol_type, g.protocol_name, m.assignment};
            d2.Run([cb = std::move(m.awaiting_sync), r]() { cb(r); });
            m.awaiting_sync = nullptr;
          }
        }
        g.join_deadline_ms = -1;
        SetState(g, GroupState::kStable);
      },
      d);
}

// ---- Heartbeat, LeaveGroup ----

void GroupCoordinator::Heartbeat(
    const Caller& caller, const std::string& group_id, int32_t generation,
    const std::string& member_id,
    const std::optional<std::string>& group_instance_id,
    std::function<void(int16_t)> done) {
  Deferred d;
  std::lock_guard<std::mutex> lock(mu_);
  auto answer = [&](int16_t e) { d.Reply(caller.post, done, e); };
  if (int16_t err = CheckGroup(caller, group_id, d)) return answer(err);
  Group* g = Find(group_id);
  if (g == nullptr) return answer(Code(ErrorCode::UNKNOWN_MEMBER_ID));
  FlushDirty(caller, *g, d);
  if (g->Is(GroupState::kDead)) {
    return answer(Code(ErrorCode::COORDINATOR_NOT_AVAILABLE));
  }
  if (Fenced(*g, group_instance_id, member_id)) {
    return answer(Code(ErrorCode::FENCED_INSTANCE_ID));
  }
  auto it = g->members.find(member_id);
  if (it == g->members.end() || g->Is(GroupState::kEmpty)) {
    return answer(Code(ErrorCode::UNKNOWN_MEMBER_ID));
  }
  if (generation != g->generation) {
    return answer(Code(ErrorCode::ILLEGAL_GENERATION));
  }
  it->second.heartbeat_deadline_ms =
      clock_->NowMs() + it->second.session_timeout_ms;
  answer(g->Is(GroupState::kPreparingRebalance)
             ? Code(ErrorCode::REBALANCE_IN_PROGRESS)
             : 0);
}

void GroupCoordinator::Leave(const Caller& caller, const std::string& group_id,
                             std::vector<LeaveMember> members,
                             std::function<void(LeaveResult)> done) {
  Deferred d;
  std::lock_guard<std::mutex> lock(mu_);
  LeaveResult result;
  auto answer = [&]() { d.Reply(caller.post, done, result); };
  if (int16_t err = CheckGroup(caller, group_id, d)) {
    result.error_code = err;
    return answer();
  }
  Group* g = Find(group_id);
  for (const LeaveMember& lm : members) {
    int16_t err = 0;
    std::string id = lm.member_id;
    if (g == nullptr || g->Is(GroupState::kDead)) {
      err = Code(ErrorCode::UNKNOWN_MEMBER_ID);
    } else if (lm.group_instance_id.has_value()) {
      auto s = g->static_members.find(*lm.group_instance_id);
      if (s == g->static_members.end()) {
        err = Code(ErrorCode::UNKNOWN_MEMBER_ID);
      } else if (!id.empty() && s->second != id) {
        err = Code(ErrorCode::FENCED_INSTANCE_ID);
      } else {
        id = s->second;
      }
    }
    if (err == 0 && g->pending_members.erase(id) > 0) {
      MaybeCompleteJoin(*g, d);
    } else if (err == 0 && !g->HasMember(id)) {
      err = Code(ErrorCode::UNKNOWN_MEMBER_ID);
    } else if (err == 0) {
      RemoveMemberAndUpdateGroup(*g, id, d);
    }
    result.member_errors.push_back(err);
  }
  if (g != nullptr && g->metadata_dirty) FlushDirty(caller, *g, d);
  answer();
}

// ---- Offsets ----

void GroupCoordinator::CommitOffsets(
    const Caller& caller, CommitParams p,
    std::function<void(std::vector<int16_t>)> done) {
  Deferred d;
  std::lock_guard<std::mutex> lock(mu_);
  auto all = [&](int16_t e) {
    d.Reply(caller.post, done, std::vector<int16_t>(p.partitions.size(), e));
  };
  if (int16_t err = CheckGroup(caller, p.group_id, d)) return all(err);
  Group* gp = Find(p.group_id);
  if (gp == nullptr) {
    if (p.generation >= 0) return all(Code(ErrorCode::ILLEGAL_GENERATION));
    gp = &GetOrCreate(p.group_id);  // a standalone (assign-mode) consumer
  }
  Group& g = *gp;
  FlushDirty(caller, g, d);
  if (g.Is(GroupState::kDead)) {
    return all(Code(ErrorCode::COORDINATOR_NOT_AVAILABLE));
  }
  const bool simple = p.generation < 0 && g.Is(GroupState::kEmpty);
  if (!simple) {
    if (Fenced(g, p.group_instance_id, p.member_id)) {
      return all(Code(ErrorCode::FENCED_INSTANCE_ID));
    }
    if (g.Is(GroupState::kCompletingRebalance)) {
      return all(Code(ErrorCode::REBALANCE_IN_PROGRESS));
    }
    auto it = g.members.find(p.member_id);
    if (it == g.members.end()) return all(Code(ErrorCode::UNKNOWN_MEMBER_ID));
    if (p.generation != g.generation) {
      return all(Code(ErrorCode::ILLEGAL_GENERATION));
    }
    it->second.heartbeat_deadline_ms =
        clock_->NowMs() + it->second.session_timeout_ms;
  }

  const int64_t now = clock_->NowMs();
  std::vector<int16_t> errors(p.partitions.size(), 0);
  std::vector<LogRecord> records;
  auto accepted = std::make_shared<
      std::vector<std::pair<TopicPartition, CommittedOffset>>>();
  for (size_t i = 0; i < p.partitions.size(); ++i) {
    const CommitPartition& cp = p.partitions[i];
    const std::string metadata = cp.metadata.value_or("");
    if (static_cast<int64_t>(metadata.size()) >
        config_.offset_metadata_max_bytes) {
      errors[i] = Code(ErrorCode::OFFSET_METADATA_TOO_LARGE);
      continue;
    }
    CommittedOffset o{cp.offset, cp.leader_epoch, metadata, now,
                      p.retention_ms >= 0 ? now + p.retention_ms : -1};
    records.emplace_back(
        OffsetRecord{p.group_id, StoredTopic(cp.topic), cp.partition, o});
    accepted->emplace_back(TopicPartition{cp.topic, cp.partition}, o);
  }
  if (records.empty()) {
    d.Reply(caller.post, done, errors);
    return;
  }
  Caller c = caller;
  const std::string group_id = p.group_id;
  Persist(
      caller, g.partition, std::move(records),
      [this, c, group_id, accepted, errors, done](int16_t err,
                                                  Deferred& d2) mutable {
        std::vector<std::pair<TopicPartition, int64_t>> mirrored;
        Group* g = Find(group_id);
        for (size_t i = 0, a = 0; i < errors.size(); ++i) {
          if (errors[i] != 0) continue;
          if (err != 0) {
            errors[i] = err;
          } else if (g != nullptr) {
            g->offsets[(*accepted)[a].first] = (*accepted)[a].second;
            mirrored.emplace_back((*accepted)[a].first,
                                  (*accepted)[a].second.offset);
          }
          ++a;
        }
        MirrorOffsets(c, group_id, mirrored, d2);
        d2.Reply(c.post, done, errors);
      },
      d);
}

void GroupCoordinator::FetchOffsets(
    const Caller& caller, const std::string& group_id,
    std::optional<std::vector<TopicPartition>> partitions,
    std::function<void(FetchResult)> done) {
  Deferred d;
  std::lock_guard<std::mutex> lock(mu_);
  FetchResult result;
  if (int16_t err = CheckGroup(caller, group_id, d)) {
    result.error_code = err;
  } else {
    Group* g = Find(group_id);
    if (partitions.has_value()) {
      for (const TopicPartition& tp : *partitions) {
        FetchedOffset f{tp.first, tp.second, {}};
        if (g != nullptr) {
          auto it = g->offsets.find(tp);
          if (it != g->offsets.end()) f.offset = it->second;
        }
        result.offsets.push_back(std::move(f));
      }
    } else if (g != nullptr) {
      for (const auto& [tp, o] : g->offsets) {
        result.offsets.push_back({tp.first, tp.second, o});
      }
    }
  }
  d.Reply(caller.post, done, std::move(result));
}

void GroupCoordinator::DeleteOffsets(
    const Caller& caller, const std::string& group_id,
    std::vector<TopicPartition> partitions,
    std::function<void(OffsetDeleteResult)> done) {
  Deferred d;
  std::lock_guard<std::mutex> lock(mu_);
  OffsetDeleteResult result;
  result.partition_errors.assign(partitions.size(), 0);
  auto answer = [&]() { d.Reply(caller.post, done, result); };
  if (int16_t err = CheckGroup(caller, group_id, d)) {
    result.error_code = err;
    return answer();
  }
  Group* g = Find(group_id);
  if (g == nullptr || g->Is(GroupState::kDead)) {
    result.error_code = Code(ErrorCode::GROUP_ID_NOT_FOUND);
    return answer();
  }
  const bool consumer =
      g->protocol_type == std::optional<std::string>("consumer");
  if (!g->Is(GroupState::kEmpty) && !consumer) {
    result.error_code = Code(ErrorCode::NON_EMPTY_GROUP);
    return answer();
  }
  const std::set<std::string> subscribed = g->Is(GroupState::kEmpty)
                                               ? std::set<std::string>{}
                                               : g->SubscribedTopics();
  std::vector<LogRecord> tombstones;
  std::vector<TopicPartition> deleted;
  for (size_t i = 0; i < partitions.size(); ++i) {
    const TopicPartition& tp = partitions[i];
    if (subscribed.count(tp.first)) {
      result.partition_errors[i] = Code(ErrorCode::GROUP_SUBSCRIBED_TO_TOPIC);
      continue;
    }
    if (g->offsets.count(tp)) {
      tombstones.emplace_back(OffsetRecord{group_id, StoredTopic(tp.first),
                                           tp.second, std::nullopt});
      deleted.push_back(tp);
    }
  }
  if (tombstones.empty()) return answer();
  Caller c = caller;
  Persist(
      caller, g->partition, std::move(tombstones),
      [this, c, group_id, deleted, result, done](int16_t err,
                                                 Deferred& d2) mutable {
        if (err != 0) {
          result.error_code = err;
        } else if (Group* g = Find(group_id)) {
          for (const TopicPartition& tp : deleted) g->offsets.erase(tp);
          DeleteMirror(c, group_id, deleted, d2);
        }
        d2.Reply(c.post, done, result);
      },
      d);
}

// ---- Describe, List, Delete ----

void GroupCoordinator::Describe(
    const Caller& caller, std::vector<std::string> group_ids,
    std::function<void(std::vector<GroupDescription>)> done) {
  Deferred d;
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<GroupDescription> out;
  for (const std::string& id : group_ids) {
    GroupDescription& desc = out.emplace_back();
    desc.group_id = id;
    desc.state = StateName(GroupState::kDead);
    if (int16_t err = CheckCoordinator(caller, PartitionFor(id), d)) {
      desc.error_code = err;
      continue;
    }
    Group* g = Find(id);
    if (g == nullptr) continue;
    desc.found = true;
    desc.state = StateName(g->state);
    desc.protocol_type = g->protocol_type.value_or("");
    const bool stable = g->Is(GroupState::kStable);
    if (stable) desc.protocol = g->protocol_name.value_or("");
    for (const std::string& mid : g->join_order) {
      const Member& m = g->members.at(mid);
      MemberDescription md{
          m.member_id, m.group_instance_id, m.client_id, m.client_host, {}, {}};
      if (stable) {
        if (const auto* meta = m.MetadataFor(desc.protocol))
          md.metadata = *meta;
        md.assignment = m.assignment;
      }
      desc.members.push_back(std::move(md));
    }
  }
  d.Reply(caller.post, done, std::move(out));
}

void GroupCoordinator::List(const Caller& caller,
                            std::vector<std::string> states,
                            std::function<void(ListResult)> done) {
  Deferred d;
  std::lock_guard<std::mutex> lock(mu_);
  ListResult result;
  std::set<std::string> wanted;
  for (const std::string& s : states) wanted.insert(absl::AsciiStrToLower(s));
  for (const Partition& p : partitions_) {
    if (p.load == Partition::Load::kLoading) {
      result.error_code = Code(ErrorCode::COORDINATOR_LOAD_IN_PROGRESS);
    }
  }
  for (const auto& [id, g] : groups_) {
    if (partitions_[g->partition].load != Partition::Load::kLoaded) continue;
    if (g->Is(GroupState::kDead)) continue;
    const std::string state = StateName(g->state);
    if (!wanted.empty() && !wanted.count(absl::AsciiStrToLower(state))) {
      continue;
    }
    result.groups.push_back({id, g->protocol_type.value_or(""), state});
  }
  // A broker that has not loaded a partition yet may still hold groups
  // there: load them all so the next ListGroups sees every group.
  if (caller.log != nullptr) {
    for (int32_t i = 0; i < static_cast<int32_t>(partitions_.size()); ++i) {
      if (partitions_[i].load == Partition::Load::kUnloaded) {
        StartLoad(caller, i, d);
        result.error_code = Code(ErrorCode::COORDINATOR_LOAD_IN_PROGRESS);
      }
    }
  }
  d.Reply(caller.post, done, std::move(result));
}

void GroupCoordinator::Delete(const Caller& caller,
                              std::vector<std::string> group_ids,
                              std::function<void(std::vector<int16_t>)> done) {
  Deferred d;
  std::lock_guard<std::mutex> lock(mu_);
  auto errors = std::make_shared<std::vector<int16_t>>(group_ids.size(), 0);
  auto outstanding = std::make_shared<int>(1);
  auto finish = [post = caller.post, done, errors, outstanding](Deferred& dd) {
    if (--*outstanding == 0) dd.Reply(post, done, *errors);
  };
  for (size_t i = 0; i < group_ids.size(); ++i) {
    const std::string& id = group_ids[i];
    if (id.empty()) {
      (*errors)[i] = Code(ErrorCode::INVALID_GROUP_ID);
      continue;
    }
    if (int16_t err = CheckCoordinator(caller, PartitionFor(id), d)) {
      (*errors)[i] = err;
      continue;
    }
    Group* g = Find(id);
    if (g == nullptr || g->Is(GroupState::kDead)) {
      (*errors)[i] = Code(ErrorCode::GROUP_ID_NOT_FOUND);
      continue;
    }
    if (!g->Is(GroupState::kEmpty)) {
      (*errors)[i] = Code(ErrorCode::NON_EMPTY_GROUP);
      continue;
    }
    std::vector<LogRecord> tombstones;
    std::vector<TopicPartition> parts;
    for (const auto& [tp, o] : g->offsets) {
      tombstones.emplace_back(
          OffsetRecord{id, StoredTopic(tp.first), tp.second, std::nullopt});
      parts.push_back(tp);
    }
    tombstones.emplace_back(GroupRecord{id, std::nullopt});
    SetState(*g, GroupState::kDead);
    ++*outstanding;
    Caller c = caller;
    Persist(
        caller, g->partition, std::move(tombstones),
        [this, c, id, i, parts, errors, finish](int16_t err,
                                                Deferred& d2) mutable {
          Group* g = Find(id);
          if (err != 0) {
            (*errors)[i] = err;
            if (g != nullptr) SetState(*g, GroupState::kEmpty);
          } else {
            groups_.erase(id);
            DeleteMirror(c, id, parts, d2);
          }
          finish(d2);
        },
        d);
  }
  finish(d);
}

// ---- Timers ----

void GroupCoordinator::Tick() {
  Deferred d;
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t now = clock_->NowMs();
  // A load whose read never answers (a partition in the middle of moving
  // between brokers) must not leave its groups at COORDINATOR_LOAD_IN_PROGRESS
  // for good: it is abandoned (a late answer is ignored by its epoch) and the
  // next request starts another.
  for (size_t i = 0; i < partitions_.size(); ++i) {
    Partition& p = partitions_[i];
    if (p.load != Partition::Load::kLoading ||
        now - p.load_started_ms < kLoadTimeoutMs) {
      continue;
    }
    Log(LogLevel::kWarn, "loading " + config_.offsets_topic + " partition " +
                             std::to_string(i) + " got no answer in " +
                             std::to_string(kLoadTimeoutMs) +
                             " ms; retried on next use");
    ++p.load_epoch;
    p.load = Partition::Load::kUnloaded;
    p.load_error = Code(ErrorCode::REQUEST_TIMED_OUT);
    staged_.erase(static_cast<int32_t>(i));
  }
  for (auto& [id, gp] : groups_) {
    Group& g = *gp;
    // Pending members (KIP-394) that never came back.
    for (auto it = g.pending_members.begin(); it != g.pending_members.end();) {
      if (it->second <= now) {
        it = g.pending_members.erase(it);
      } else {
        ++it;
      }
    }
    // Session timeouts. Members parked in a rebalance are kept alive by it
    // (new ones only up to the new-member timeout); members that owe a
    // SyncGroup are bounded by the pending-sync deadline below.
    std::vector<std::string> expired;
    for (const auto& [mid, m] : g.members) {
      if (m.heartbeat_deadline_ms > now) continue;
      if (m.awaiting_join && !m.is_new) continue;
      if (m.awaiting_sync) continue;
      expired.push_back(mid);
    }
    for (const std::string& mid : expired) {
      Log(LogLevel::kInfo, "member " + mid + " of group " + id +
                               " expired (no heartbeat within its session)");
      RemoveMemberAndUpdateGroup(g, mid, d);
    }
    if (g.join_deadline_ms >= 0 && g.join_deadline_ms <= now) {
      if (g.Is(GroupState::kPreparingRebalance)) {
        if (g.initial_delay && g.new_member_added &&
            g.initial_delay_remaining_ms > 0) {
          const int64_t delay = std::min<int64_t>(
              config_.initial_rebalance_delay_ms, g.initial_delay_remaining_ms);
          g.initial_delay_remaining_ms -= delay;
          g.new_member_added = false;
          g.join_deadline_ms = now + delay;
        } else {
          CompleteJoin(g, d);
        }
      } else if (g.Is(GroupState::kCompletingRebalance)) {
        // Pending-sync timeout: members that did not sync leave.
        std::vector<std::string> late;
        for (const auto& [mid, m] : g.members) {
          if (!m.awaiting_sync) late.push_back(mid);
        }
        g.join_deadline_ms = -1;
        for (const std::string& mid : late) {
          RemoveMemberAndUpdateGroup(g, mid, d);
        }
      } else {
        g.join_deadline_ms = -1;
      }
    }
  }
  if (now >= next_expiry_check_ms_) {
    next_expiry_check_ms_ = now + config_.retention_check_interval_ms;
    ExpireOffsets(now);
  }
}

void GroupCoordinator::ExpireOffsets(int64_t now) {
  // Kafka 2.1+ (KIP-211): offsets of a group expire once it has been empty
  // for the retention period; a standalone consumer's expire by commit time.
  for (auto it = groups_.begin(); it != groups_.end();) {
    Group& g = *it->second;
    if (partitions_[g.partition].load == Partition::Load::kLoaded &&
        g.Is(GroupState::kEmpty)) {
      for (auto o = g.offsets.begin(); o != g.offsets.end();) {
        const CommittedOffset& c = o->second;
        const int64_t base =
            g.protocol_type.has_value()
                ? std::max(g.state_timestamp_ms, c.commit_timestamp_ms)
                : c.commit_timestamp_ms;
        const bool expired = c.expire_timestamp_ms >= 0
                                 ? c.expire_timestamp_ms <= now
                                 : base + config_.offsets_retention_ms <= now;
        o = expired ? g.offsets.erase(o) : std::next(o);
      }
      if (g.offsets.empty() && g.members.empty() &&
          g.state_timestamp_ms + config_.offsets_retention_ms <= now) {
        it = groups_.erase(it);
        continue;
      }
    }
    ++it;
  }
}

}  // namespace kop::core::groups
