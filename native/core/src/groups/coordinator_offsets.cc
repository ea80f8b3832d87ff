// Committed offsets: Kafka's GroupCoordinator.handleCommitOffsets,
// handleFetchOffsets and handleDeleteOffsets (KIP-496), and the expiry of
// GroupMetadataManager.cleanupGroupMetadata (KIP-211).
#include <algorithm>
#include <iterator>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "groups/coordinator.h"
#include "groups/coordinator_internal.h"
#include "groups/offsets_log.h"
#include "kop/protocol/errors.h"

namespace kop::core::groups {

using protocol::ErrorCode;

void GroupCoordinator::CommitOffsets(
    const Caller& caller, CommitParams p,
    std::function<void(std::vector<ErrorCode>)> done) {
  Deferred d;
  std::lock_guard<std::mutex> lock(mu_);
  auto all = [&](ErrorCode e) {
    d.Reply(caller.post, done, std::vector<ErrorCode>(p.partitions.size(), e));
  };
  if (const ErrorCode err = CheckGroup(caller, p.group_id, d);
      err != ErrorCode::NONE) {
    return all(err);
  }
  Group* gp = Find(p.group_id);
  if (gp == nullptr) {
    if (p.generation >= 0) return all(ErrorCode::ILLEGAL_GENERATION);
    gp = &GetOrCreate(p.group_id);  // a standalone (assign-mode) consumer
  }
  Group& g = *gp;
  FlushDirty(caller, g, d);
  if (g.Is(GroupState::kDead)) {
    return all(ErrorCode::COORDINATOR_NOT_AVAILABLE);
  }
  const bool simple = p.generation < 0 && g.Is(GroupState::kEmpty);
  if (!simple) {
    if (Fenced(g, p.group_instance_id, p.member_id)) {
      return all(ErrorCode::FENCED_INSTANCE_ID);
    }
    if (g.Is(GroupState::kCompletingRebalance)) {
      return all(ErrorCode::REBALANCE_IN_PROGRESS);
    }
    auto it = g.members.find(p.member_id);
    if (it == g.members.end()) return all(ErrorCode::UNKNOWN_MEMBER_ID);
    if (p.generation != g.generation) {
      return all(ErrorCode::ILLEGAL_GENERATION);
    }
    it->second.heartbeat_deadline_ms =
        clock_->NowMs() + it->second.session_timeout_ms;
  }

  const int64_t now = clock_->NowMs();
  std::vector<ErrorCode> errors(p.partitions.size(), ErrorCode::NONE);
  std::vector<LogRecord> records;
  auto accepted = std::make_shared<
      std::vector<std::pair<TopicPartition, CommittedOffset>>>();
  for (size_t i = 0; i < p.partitions.size(); ++i) {
    const CommitPartition& cp = p.partitions[i];
    const std::string metadata = cp.metadata.value_or("");
    if (static_cast<int64_t>(metadata.size()) >
        config_.offset_metadata_max_bytes) {
      errors[i] = ErrorCode::OFFSET_METADATA_TOO_LARGE;
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
      [this, c, group_id, accepted, errors, done](ErrorCode err,
                                                  Deferred& d2) mutable {
        std::vector<std::pair<TopicPartition, int64_t>> mirrored;
        Group* g = Find(group_id);
        for (size_t i = 0, a = 0; i < errors.size(); ++i) {
          if (errors[i] != ErrorCode::NONE) continue;
          if (err != ErrorCode::NONE) {
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
  if (const ErrorCode err = CheckGroup(caller, group_id, d);
      err != ErrorCode::NONE) {
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
  result.partition_errors.assign(partitions.size(), ErrorCode::NONE);
  auto answer = [&]() { d.Reply(caller.post, done, result); };
  if (const ErrorCode err = CheckGroup(caller, group_id, d);
      err != ErrorCode::NONE) {
    result.error_code = err;
    return answer();
  }
  Group* g = Find(group_id);
  if (g == nullptr || g->Is(GroupState::kDead)) {
    result.error_code = ErrorCode::GROUP_ID_NOT_FOUND;
    return answer();
  }
  const bool consumer =
      g->protocol_type == std::optional<std::string>("consumer");
  if (!g->Is(GroupState::kEmpty) && !consumer) {
    result.error_code = ErrorCode::NON_EMPTY_GROUP;
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
      result.partition_errors[i] = ErrorCode::GROUP_SUBSCRIBED_TO_TOPIC;
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
      [this, c, group_id, deleted, result, done](ErrorCode err,
                                                 Deferred& d2) mutable {
        if (err != ErrorCode::NONE) {
          result.error_code = err;
        } else if (Group* g = Find(group_id)) {
          for (const TopicPartition& tp : deleted) g->offsets.erase(tp);
          DeleteMirror(c, group_id, deleted, d2);
        }
        d2.Reply(c.post, done, result);
      },
      d);
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
