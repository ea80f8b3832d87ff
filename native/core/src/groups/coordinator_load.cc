// Loading the groups of a __consumer_offsets partition and following its
// ownership: Kafka's GroupMetadataManager (loadGroupsAndOffsets,
// removeGroupsForPartition) and GroupCoordinator's onElection/onResignation.
// Every request checks its group's partition here first (CheckGroup); a load
// goes through the caller's LogPort and answers COORDINATOR_LOAD_IN_PROGRESS
// meanwhile.
#include <algorithm>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "groups/coordinator.h"
#include "groups/coordinator_internal.h"
#include "groups/offsets_log.h"
#include "kop/core/log.h"
#include "kop/protocol/errors.h"

namespace kop::core::groups {

using protocol::ErrorCode;

namespace {

constexpr int32_t kLoadReadBytes = 4 << 20;
// How long a partition load may wait for its log read before it is abandoned.
constexpr int64_t kLoadTimeoutMs = 15000;

}  // namespace

ErrorCode GroupCoordinator::CheckCoordinator(const Caller& caller,
                                             int32_t partition, Deferred& d) {
  Partition& p = partitions_[partition];
  switch (p.load) {
    case Partition::Load::kLoaded:
      return ErrorCode::NONE;
    case Partition::Load::kLoading:
      return ErrorCode::COORDINATOR_LOAD_IN_PROGRESS;
    case Partition::Load::kUnloaded:
      if (caller.log == nullptr) {
        return ErrorCode::COORDINATOR_NOT_AVAILABLE;
      }
      if (p.load_error != ErrorCode::NONE) {
        const ErrorCode failed = p.load_error;
        StartLoad(caller, partition, d);  // try again for the next request
        if (p.load == Partition::Load::kLoaded) return ErrorCode::NONE;
        return failed == ErrorCode::NOT_LEADER_OR_FOLLOWER
                   ? ErrorCode::NOT_COORDINATOR
                   : ErrorCode::COORDINATOR_NOT_AVAILABLE;
      }
      StartLoad(caller, partition, d);
      return p.load == Partition::Load::kLoaded
                 ? ErrorCode::NONE
                 : ErrorCode::COORDINATOR_LOAD_IN_PROGRESS;
  }
  return ErrorCode::COORDINATOR_NOT_AVAILABLE;
}

ErrorCode GroupCoordinator::CheckGroup(const Caller& caller,
                                       const std::string& group_id,
                                       Deferred& d) {
  if (group_id.empty()) return ErrorCode::INVALID_GROUP_ID;
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
          if (r.error_code != ErrorCode::NONE) {
            // Owned by another broker is normal with several brokers.
            Log(r.error_code == ErrorCode::NOT_LEADER_OR_FOLLOWER
                    ? LogLevel::kDebug
                    : LogLevel::kWarn,
                "loading " + config_.offsets_topic + " partition " +
                    std::to_string(partition) + " failed with error " +
                    protocol::ErrorName(r.error_code) +
                    "; retried on next use");
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
          p.load_error = ErrorCode::NONE;
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

ErrorCode GroupCoordinator::FindCoordinator(const Caller& caller,
                                            const std::string& group_id) {
  Deferred d;
  std::lock_guard<std::mutex> lock(mu_);
  const ErrorCode err = CheckCoordinator(caller, PartitionFor(group_id), d);
  // Loading is not an error here: the client finds us and its next request
  // waits briefly for the load.
  return err == ErrorCode::COORDINATOR_LOAD_IN_PROGRESS ? ErrorCode::NONE : err;
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
        p.load_error != ErrorCode::NOT_LEADER_OR_FOLLOWER) {
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
  p.load_error = ErrorCode::NONE;
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
      FailParked(m, ErrorCode::NOT_COORDINATOR, d);
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

void GroupCoordinator::AbandonStalledLoads(int64_t now) {
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
    p.load_error = ErrorCode::REQUEST_TIMED_OUT;
    staged_.erase(static_cast<int32_t>(i));
  }
}

void GroupCoordinator::Owned(int32_t partition) {
  if (partition < 0 || partition >= static_cast<int32_t>(partitions_.size())) {
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  Partition& p = partitions_[partition];
  if (p.load == Partition::Load::kUnloaded) p.load_error = ErrorCode::NONE;
}

}  // namespace kop::core::groups
