// The coordinator's clock, run by the tick thread: Kafka's delayed
// operations (DelayedHeartbeat, DelayedJoin, InitialDelayedJoin, the
// pending-sync timeout) and the periodic offset expiry, with no caller and so
// no LogPort (what they change is flushed by the next request).
#include <algorithm>
#include <mutex>
#include <string>
#include <vector>

#include "groups/coordinator.h"
#include "groups/coordinator_internal.h"
#include "kop/core/log.h"

namespace kop::core::groups {

void GroupCoordinator::Tick() {
  Deferred d;
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t now = clock_->NowMs();
  AbandonStalledLoads(now);
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

}  // namespace kop::core::groups
