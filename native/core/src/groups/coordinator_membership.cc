// A member's life after JoinGroup: Kafka's GroupCoordinator.handleSyncGroup
// (the leader's assignment, stored then handed out), handleHeartbeat and
// handleLeaveGroup (KIP-345 batch leave by instance id).
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "groups/coordinator.h"
#include "groups/coordinator_internal.h"
#include "groups/offsets_log.h"
#include "kop/protocol/errors.h"

namespace kop::core::groups {

using protocol::ErrorCode;

void GroupCoordinator::Sync(const Caller& caller, SyncParams p,
                            SyncCallback done) {
  Deferred d;
  std::lock_guard<std::mutex> lock(mu_);
  SyncCallback reply = OnCallerLoop(caller.post, std::move(done));
  auto fail = [&](ErrorCode e) {
    SyncResult r;
    r.error_code = e;
    d.Answer(reply, r);
  };
  if (const ErrorCode err = CheckGroup(caller, p.group_id, d);
      err != ErrorCode::NONE) {
    return fail(err);
  }
  Group* gp = Find(p.group_id);
  if (gp == nullptr) return fail(ErrorCode::UNKNOWN_MEMBER_ID);
  Group& g = *gp;
  FlushDirty(caller, g, d);
  if (Fenced(g, p.group_instance_id, p.member_id)) {
    return fail(ErrorCode::FENCED_INSTANCE_ID);
  }
  auto it = g.members.find(p.member_id);
  if (it == g.members.end()) return fail(ErrorCode::UNKNOWN_MEMBER_ID);
  if (p.generation != g.generation) {
    return fail(ErrorCode::ILLEGAL_GENERATION);
  }
  if ((p.protocol_type.has_value() && p.protocol_type != g.protocol_type) ||
      (p.protocol_name.has_value() && p.protocol_name != g.protocol_name)) {
    return fail(ErrorCode::INCONSISTENT_GROUP_PROTOCOL);
  }
  Member& m = it->second;
  switch (g.state) {
    case GroupState::kEmpty:
      return fail(ErrorCode::UNKNOWN_MEMBER_ID);
    case GroupState::kDead:
      return fail(ErrorCode::COORDINATOR_NOT_AVAILABLE);
    case GroupState::kPreparingRebalance:
      return fail(ErrorCode::REBALANCE_IN_PROGRESS);
    case GroupState::kStable: {
      m.heartbeat_deadline_ms = clock_->NowMs() + m.session_timeout_ms;
      d.Answer(reply, SyncResult{ErrorCode::NONE, g.protocol_type,
                                 g.protocol_name, m.assignment});
      return;
    }
    case GroupState::kCompletingRebalance:
      break;
  }
  FailParked(m, ErrorCode::REBALANCE_IN_PROGRESS, d, Parked::kSync);
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
          ErrorCode err, Deferred& d2) {
        Group* gp = Find(group_id);
        if (gp == nullptr || gp->generation != generation ||
            !gp->Is(GroupState::kCompletingRebalance)) {
          return;  // the group moved on; its members were answered
        }
        Group& g = *gp;
        if (err != ErrorCode::NONE) {
          ResetAndPropagateSyncError(g, err, d2);
          PrepareRebalance(g, d2);
          return;
        }
        for (auto& [id, m] : g.members) {
          auto a = assignment.find(id);
          m.assignment =
              a == assignment.end() ? std::vector<uint8_t>{} : a->second;
          if (m.awaiting_sync) {
            SyncResult r{ErrorCode::NONE, g.protocol_type, g.protocol_name,
                         m.assignment};
            d2.Answer(std::move(m.awaiting_sync), r);
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
    std::function<void(ErrorCode)> done) {
  Deferred d;
  std::lock_guard<std::mutex> lock(mu_);
  auto answer = [&](ErrorCode e) { d.Reply(caller.post, done, e); };
  if (const ErrorCode err = CheckGroup(caller, group_id, d);
      err != ErrorCode::NONE) {
    return answer(err);
  }
  Group* g = Find(group_id);
  if (g == nullptr) return answer(ErrorCode::UNKNOWN_MEMBER_ID);
  FlushDirty(caller, *g, d);
  if (g->Is(GroupState::kDead)) {
    return answer(ErrorCode::COORDINATOR_NOT_AVAILABLE);
  }
  if (Fenced(*g, group_instance_id, member_id)) {
    return answer(ErrorCode::FENCED_INSTANCE_ID);
  }
  auto it = g->members.find(member_id);
  if (it == g->members.end() || g->Is(GroupState::kEmpty)) {
    return answer(ErrorCode::UNKNOWN_MEMBER_ID);
  }
  if (generation != g->generation) {
    return answer(ErrorCode::ILLEGAL_GENERATION);
  }
  it->second.heartbeat_deadline_ms =
      clock_->NowMs() + it->second.session_timeout_ms;
  answer(g->Is(GroupState::kPreparingRebalance)
             ? ErrorCode::REBALANCE_IN_PROGRESS
             : ErrorCode::NONE);
}

void GroupCoordinator::Leave(const Caller& caller, const std::string& group_id,
                             std::vector<LeaveMember> members,
                             std::function<void(LeaveResult)> done) {
  Deferred d;
  std::lock_guard<std::mutex> lock(mu_);
  LeaveResult result;
  auto answer = [&]() { d.Reply(caller.post, done, result); };
  if (const ErrorCode err = CheckGroup(caller, group_id, d);
      err != ErrorCode::NONE) {
    result.error_code = err;
    return answer();
  }
  Group* g = Find(group_id);
  for (const LeaveMember& lm : members) {
    ErrorCode err = ErrorCode::NONE;
    std::string id = lm.member_id;
    if (g == nullptr || g->Is(GroupState::kDead)) {
      err = ErrorCode::UNKNOWN_MEMBER_ID;
    } else if (lm.group_instance_id.has_value()) {
      auto s = g->static_members.find(*lm.group_instance_id);
      if (s == g->static_members.end()) {
        err = ErrorCode::UNKNOWN_MEMBER_ID;
      } else if (!id.empty() && s->second != id) {
        err = ErrorCode::FENCED_INSTANCE_ID;
      } else {
        id = s->second;
      }
    }
    if (err == ErrorCode::NONE && g->pending_members.erase(id) > 0) {
      MaybeCompleteJoin(*g, d);
    } else if (err == ErrorCode::NONE && !g->HasMember(id)) {
      err = ErrorCode::UNKNOWN_MEMBER_ID;
    } else if (err == ErrorCode::NONE) {
      RemoveMemberAndUpdateGroup(*g, id, d);
    }
    result.member_errors.push_back(err);
  }
  if (g != nullptr && g->metadata_dirty) FlushDirty(caller, *g, d);
  answer();
}

}  // namespace kop::core::groups
