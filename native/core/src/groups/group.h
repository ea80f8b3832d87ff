// One classic consumer group as the coordinator keeps it in memory: members,
// generation, the chosen protocol and the committed offsets. Plain data; the
// rules that change it live in coordinator_*.cc (Kafka's classic protocol).
#ifndef KOP_CORE_GROUPS_GROUP_H_
#define KOP_CORE_GROUPS_GROUP_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "kop/protocol/errors.h"

namespace kop::core::groups {

using protocol::ErrorCode;

enum class GroupState {
  kEmpty,
  kPreparingRebalance,
  kCompletingRebalance,
  kStable,
  kDead,
};

// Kafka's names, as DescribeGroups and ListGroups report them.
const char* StateName(GroupState s);

struct Protocol {
  std::string name;
  std::vector<uint8_t> metadata;
};

// What a JoinGroup answers (also to a parked join completed later).
struct JoinResult {
  ErrorCode error_code = ErrorCode::NONE;
  int32_t generation = -1;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  std::string leader;
  std::string member_id;
  bool skip_assignment = false;
  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    std::vector<uint8_t> metadata;
  };
  std::vector<Member> members;  // the leader's answer only
};

struct SyncResult {
  ErrorCode error_code = ErrorCode::NONE;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  std::vector<uint8_t> assignment;
};

using JoinCallback = std::function<void(JoinResult)>;
using SyncCallback = std::function<void(SyncResult)>;

struct Member {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  int32_t rebalance_timeout_ms = 0;
  int32_t session_timeout_ms = 0;
  std::string protocol_type;
  std::vector<Protocol> protocols;  // in the member's order of preference
  std::vector<uint8_t> assignment;
  JoinCallback awaiting_join;  // set while its JoinGroup is parked
  SyncCallback awaiting_sync;  // set while its SyncGroup is parked
  // A member that joined but has not completed a join yet: it is expired
  // after the new-member timeout rather than kept alive by the rebalance.
  bool is_new = false;
  int64_t heartbeat_deadline_ms = 0;

  const std::vector<uint8_t>* MetadataFor(const std::string& protocol) const;
};

struct CommittedOffset {
  int64_t offset = -1;
  int32_t leader_epoch = -1;
  std::string metadata;
  int64_t commit_timestamp_ms = 0;
  int64_t expire_timestamp_ms = -1;  // explicit retention (OffsetCommit v2-4)
};

using TopicPartition = std::pair<std::string, int32_t>;

struct Group {
  std::string group_id;
  int32_t partition = 0;  // of __consumer_offsets
  GroupState state = GroupState::kEmpty;
  int64_t state_timestamp_ms = -1;
  int32_t generation = 0;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  std::optional<std::string> leader_id;
  std::map<std::string, Member> members;  // by member id
  std::vector<std::string> join_order;    // member ids, oldest first
  std::map<std::string, std::string> static_members;  // instance id -> member
  std::map<std::string, int64_t> pending_members;     // id -> join deadline
  std::map<TopicPartition, CommittedOffset> offsets;

  // The rebalance in progress (PreparingRebalance): when it completes at the
  // latest, and for the initial delay of an empty group, how much longer it
  // may be extended when members keep arriving (Kafka's InitialDelayedJoin).
  int64_t join_deadline_ms = -1;
  bool initial_delay = false;
  int64_t initial_delay_remaining_ms = 0;
  bool new_member_added = false;
  // Group metadata changed by a timer, persisted by the next request that
  // brings a LogPort (timers have none).
  bool metadata_dirty = false;

  bool Is(GroupState s) const { return state == s; }
  bool HasMember(const std::string& id) const { return members.count(id) > 0; }
  bool IsLeader(const std::string& id) const {
    return leader_id.has_value() && *leader_id == id;
  }
  int MembersAwaitingJoin() const;
  bool AllMembersJoined() const;
  int32_t RebalanceTimeoutMs() const;
  // Protocols every member supports, in the first member's order.
  std::vector<std::string> CandidateProtocols() const;
  bool SupportsProtocols(const std::string& type,
                         const std::vector<Protocol>& protocols) const;
  // The candidate most members prefer (Kafka's vote).
  std::string SelectProtocol() const;
  // Topics members subscribed to, from ConsumerProtocolSubscription, for
  // "consumer" groups (OffsetDelete refuses subscribed topics).
  std::set<std::string> SubscribedTopics() const;

  void AddMember(Member m);
  void RemoveMember(const std::string& id);
};

}  // namespace kop::core::groups

#endif  // KOP_CORE_GROUPS_GROUP_H_
