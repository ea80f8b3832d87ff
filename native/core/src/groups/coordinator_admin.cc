// Group administration: Kafka's GroupCoordinator.handleDescribeGroup,
// handleListGroups and handleDeleteGroups.
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "groups/coordinator.h"
#include "groups/coordinator_internal.h"
#include "groups/offsets_log.h"
#include "kop/protocol/errors.h"

namespace kop::core::groups {

using protocol::ErrorCode;

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
    if (const ErrorCode err = CheckCoordinator(caller, PartitionFor(id), d);
        err != ErrorCode::NONE) {
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
      result.error_code = ErrorCode::COORDINATOR_LOAD_IN_PROGRESS;
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
        result.error_code = ErrorCode::COORDINATOR_LOAD_IN_PROGRESS;
      }
    }
  }
  d.Reply(caller.post, done, std::move(result));
}

void GroupCoordinator::Delete(
    const Caller& caller, std::vector<std::string> group_ids,
    std::function<void(std::vector<ErrorCode>)> done) {
  Deferred d;
  std::lock_guard<std::mutex> lock(mu_);
  auto errors = std::make_shared<std::vector<ErrorCode>>(group_ids.size(),
                                                         ErrorCode::NONE);
  auto outstanding = std::make_shared<int>(1);
  auto finish = [post = caller.post, done, errors, outstanding](Deferred& dd) {
    if (--*outstanding == 0) dd.Reply(post, done, *errors);
  };
  for (size_t i = 0; i < group_ids.size(); ++i) {
    const std::string& id = group_ids[i];
    if (id.empty()) {
      (*errors)[i] = ErrorCode::INVALID_GROUP_ID;
      continue;
    }
    if (const ErrorCode err = CheckCoordinator(caller, PartitionFor(id), d);
        err != ErrorCode::NONE) {
      (*errors)[i] = err;
      continue;
    }
    Group* g = Find(id);
    if (g == nullptr || g->Is(GroupState::kDead)) {
      (*errors)[i] = ErrorCode::GROUP_ID_NOT_FOUND;
      continue;
    }
    if (!g->Is(GroupState::kEmpty)) {
      (*errors)[i] = ErrorCode::NON_EMPTY_GROUP;
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
        [this, c, id, i, parts, errors, finish](ErrorCode err,
                                                Deferred& d2) mutable {
          Group* g = Find(id);
          if (err != ErrorCode::NONE) {
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

}  // namespace kop::core::groups
