// JoinGroup: Kafka's GroupCoordinator.handleJoinGroup with doUnknownJoinGroup,
// doCurrentMemberJoinGroup, addMemberAndRebalance, updateMemberAndRebalance
// and (KIP-345) updateStaticMemberAndRebalance. A join is parked on its member
// until the rebalance completes (coordinator_rebalance.cc).
#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "groups/coordinator.h"
#include "groups/coordinator_internal.h"
#include "groups/offsets_log.h"
#include "kop/protocol/errors.h"

namespace kop::core::groups {

using protocol::ErrorCode;

namespace {

bool SameProtocols(const std::vector<Protocol>& a,
                   const std::vector<Protocol>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || a[i].metadata != b[i].metadata) return false;
  }
  return true;
}

// A JoinGroup answered at once with `error`.
JoinResult JoinError(ErrorCode error, const std::string& member_id) {
  JoinResult r;
  r.error_code = error;
  r.member_id = member_id;
  return r;
}

// What a JoinGroup tells about its member's client and timeouts.
void TakeJoinFields(Member& m, const Caller& caller, const JoinParams& p) {
  m.client_id = caller.client_id;
  m.client_host = caller.client_host;
  m.rebalance_timeout_ms = p.rebalance_timeout_ms;
  m.session_timeout_ms = p.session_timeout_ms;
}

}  // namespace

void GroupCoordinator::Join(const Caller& caller, JoinParams p,
                            JoinCallback done) {
  Deferred d;
  std::lock_guard<std::mutex> lock(mu_);
  JoinCallback reply = OnCallerLoop(caller.post, std::move(done));
  auto fail = [&](ErrorCode e) { d.Answer(reply, JoinError(e, p.member_id)); };
  if (const ErrorCode err = CheckGroup(caller, p.group_id, d);
      err != ErrorCode::NONE) {
    return fail(err);
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
  // Kafka's doUnknownJoinGroup and doCurrentMemberJoinGroup both start so.
  if (g.Is(GroupState::kDead)) {
    return fail(ErrorCode::COORDINATOR_NOT_AVAILABLE);
  }
  if (!g.SupportsProtocols(p.protocol_type, p.protocols)) {
    return fail(ErrorCode::INCONSISTENT_GROUP_PROTOCOL);
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
    d.Answer(done, JoinError(ErrorCode::MEMBER_ID_REQUIRED, new_id));
    return;
  }
  AddMemberAndRebalance(caller, g, new_id, p, done, d);
}

void GroupCoordinator::JoinKnownMember(const Caller& caller, Group& g,
                                       JoinParams& p, JoinCallback& done,
                                       Deferred& d) {
  auto fail = [&](ErrorCode e) { d.Answer(done, JoinError(e, p.member_id)); };
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
        d.Answer(done, CurrentJoinResult(g, m, g.IsLeader(m.member_id)));
      } else {
        UpdateMemberAndRebalance(g, m, p, done, d);
      }
      return;
    case GroupState::kStable:
      if (g.IsLeader(m.member_id) || !SameProtocols(m.protocols, p.protocols)) {
        UpdateMemberAndRebalance(g, m, p, done, d);
      } else {
        m.heartbeat_deadline_ms = clock_->NowMs() + m.session_timeout_ms;
        d.Answer(done, CurrentJoinResult(g, m, false));
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
  TakeJoinFields(m, caller, p);
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
  // A retried JoinGroup replaces the parked one, which Kafka answers with
  // UNKNOWN_MEMBER_ID... but the client has moved on: drop it quietly with
  // REBALANCE_IN_PROGRESS so its slot is answered.
  FailParked(m, ErrorCode::REBALANCE_IN_PROGRESS, d, Parked::kJoin);
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
  FailParked(m, ErrorCode::FENCED_INSTANCE_ID, d);
  g.members.erase(old_id);
  std::replace(g.join_order.begin(), g.join_order.end(), old_id, new_id);
  if (g.IsLeader(old_id)) g.leader_id = new_id;
  m.member_id = new_id;
  TakeJoinFields(m, caller, p);
  const bool same_protocols = SameProtocols(m.protocols, p.protocols);
  m.protocols = std::move(p.protocols);
  m.heartbeat_deadline_ms = clock_->NowMs() + m.session_timeout_ms;
  m.awaiting_join = std::move(done);
  g.static_members[instance] = new_id;
  Member& placed = g.members.emplace(new_id, std::move(m)).first->second;

  if (g.Is(GroupState::kStable) &&
      (same_protocols || g.protocol_name == g.SelectProtocol())) {
    // KIP-345: the same instance back within its session keeps its
    // assignment, no rebalance. The answer names the previous leader so a
    // rejoining leader does not compute an assignment a stable group would
    // not hand out.
    JoinResult r = CurrentJoinResult(g, placed, false);
    r.leader = old_leader.value_or("");
    JoinCallback cb = std::move(placed.awaiting_join);
    placed.awaiting_join = nullptr;
    Persist(
        caller, g.partition, {SnapshotGroup(g)},
        [cb, r](ErrorCode err, Deferred& d2) {
          JoinResult out = r;
          if (err != ErrorCode::NONE) out.error_code = err;
          d2.Answer(cb, out);
        },
        d);
    return;
  }
  // A stable group whose protocols change, or a group whose leader may be
  // assigning to the old id (CompletingRebalance), rebalances again; a
  // rebalance in progress goes on. A static member is never in an empty or
  // dead group.
  RebalanceAfterMemberChange(g, d);
}

}  // namespace kop::core::groups
