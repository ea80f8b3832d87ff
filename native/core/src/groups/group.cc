#include "groups/group.h"

#include <algorithm>

#include "kop/protocol/buffer.h"
#include "kop/protocol/messages/consumer_protocol_subscription.h"

namespace kop::core::groups {

const char* StateName(GroupState s) {
  switch (s) {
    case GroupState::kEmpty:
      return "Empty";
    case GroupState::kPreparingRebalance:
      return "PreparingRebalance";
    case GroupState::kCompletingRebalance:
      return "CompletingRebalance";
    case GroupState::kStable:
      return "Stable";
    case GroupState::kDead:
      return "Dead";
  }
  return "Unknown";
}

const std::vector<uint8_t>* Member::MetadataFor(
    const std::string& protocol) const {
  for (const Protocol& p : protocols) {
    if (p.name == protocol) return &p.metadata;
  }
  return nullptr;
}

int Group::MembersAwaitingJoin() const {
  int n = 0;
  for (const auto& [id, m] : members) n += m.awaiting_join ? 1 : 0;
  return n;
}

bool Group::AllMembersJoined() const {
  return static_cast<size_t>(MembersAwaitingJoin()) == members.size() &&
         pending_members.empty();
}

int32_t Group::RebalanceTimeoutMs() const {
  int32_t t = 0;
  for (const auto& [id, m] : members) t = std::max(t, m.rebalance_timeout_ms);
  return t;
}

std::vector<std::string> Group::CandidateProtocols() const {
  std::vector<std::string> out;
  if (join_order.empty()) return out;
  for (const Protocol& p : members.at(join_order.front()).protocols) {
    bool everyone = true;
    for (const auto& [id, m] : members) {
      if (m.MetadataFor(p.name) == nullptr) {
        everyone = false;
        break;
      }
    }
    if (everyone) out.push_back(p.name);
  }
  return out;
}

bool Group::SupportsProtocols(const std::string& type,
                              const std::vector<Protocol>& protocols) const {
  if (type.empty() || protocols.empty()) return false;
  if (members.empty()) return true;
  if (!protocol_type.has_value() || *protocol_type != type) return false;
  for (const std::string& c : CandidateProtocols()) {
    for (const Protocol& p : protocols) {
      if (p.name == c) return true;
    }
  }
  return false;
}

std::string Group::SelectProtocol() const {
  const std::vector<std::string> candidates = CandidateProtocols();
  if (candidates.empty()) return "";
  // Each member votes for the first candidate in its own preference order;
  // ties go to the candidate the oldest member prefers.
  std::map<std::string, int> votes;
  for (const std::string& id : join_order) {
    for (const Protocol& p : members.at(id).protocols) {
      if (std::find(candidates.begin(), candidates.end(), p.name) !=
          candidates.end()) {
        ++votes[p.name];
        break;
      }
    }
  }
  std::string best = candidates.front();
  for (const std::string& c : candidates) {
    if (votes[c] > votes[best]) best = c;
  }
  return best;
}

std::set<std::string> Group::SubscribedTopics() const {
  std::set<std::string> topics;
  if (!protocol_type.has_value() || *protocol_type != "consumer" ||
      !protocol_name.has_value()) {
    return topics;
  }
  for (const auto& [id, m] : members) {
    const std::vector<uint8_t>* meta = m.MetadataFor(*protocol_name);
    if (meta == nullptr) continue;
    protocol::Reader r(*meta);
    const int16_t version = r.ReadInt16();
    protocol::ConsumerProtocolSubscription sub;
    // Newer subscription versions keep the older fields first.
    sub.Decode(
        r, std::min<int16_t>(
               version, protocol::ConsumerProtocolSubscription::kMaxVersion));
    if (!r.ok() && sub.topics.empty()) continue;
    topics.insert(sub.topics.begin(), sub.topics.end());
  }
  return topics;
}

void Group::AddMember(Member m) {
  if (members.empty()) protocol_type = m.protocol_type;
  if (!leader_id.has_value()) leader_id = m.member_id;
  if (m.group_instance_id.has_value()) {
    static_members[*m.group_instance_id] = m.member_id;
  }
  pending_members.erase(m.member_id);
  join_order.push_back(m.member_id);
  std::string id = m.member_id;
  members.emplace(std::move(id), std::move(m));
}

void Group::RemoveMember(const std::string& id) {
  auto it = members.find(id);
  if (it == members.end()) return;
  if (it->second.group_instance_id.has_value()) {
    auto s = static_members.find(*it->second.group_instance_id);
    if (s != static_members.end() && s->second == id) static_members.erase(s);
  }
  members.erase(it);
  join_order.erase(std::remove(join_order.begin(), join_order.end(), id),
                   join_order.end());
  if (IsLeader(id)) {
    if (join_order.empty()) {
      leader_id.reset();
    } else {
      leader_id = join_order.front();
    }
  }
}

}  // namespace kop::core::groups
