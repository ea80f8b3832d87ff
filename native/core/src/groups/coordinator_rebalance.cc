// The rebalance machinery JoinGroup, SyncGroup, LeaveGroup and the timers
// share: GroupCoordinator's maybePrepareRebalance, prepareRebalance,
// onCompleteJoin (DelayedJoin), resetAndPropagateAssignmentError and
// removeMemberAndUpdateGroup.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "groups/coordinator.h"
#include "groups/coordinator_internal.h"
#include "kop/protocol/errors.h"

namespace kop::core::groups {

using protocol::ErrorCode;

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

void GroupCoordinator::ResetAndPropagateSyncError(Group& g, ErrorCode error,
                                                  Deferred& d) {
  for (auto& [id, m] : g.members) {
    m.assignment.clear();
    FailParked(m, error, d, Parked::kSync);
  }
}

void GroupCoordinator::PrepareRebalance(Group& g, Deferred& d) {
  if (g.Is(GroupState::kCompletingRebalance)) {
    ResetAndPropagateSyncError(g, ErrorCode::REBALANCE_IN_PROGRESS, d);
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
    d.Answer(std::move(cb), std::move(r));
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
  FailParked(it->second, ErrorCode::UNKNOWN_MEMBER_ID, d);
  g.RemoveMember(member_id);
  RebalanceAfterMemberChange(g, d);
}

void GroupCoordinator::RebalanceAfterMemberChange(Group& g, Deferred& d) {
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

}  // namespace kop::core::groups
