// The classic consumer-group coordinator (Kafka's JoinGroup/SyncGroup/
// Heartbeat/LeaveGroup state machine, committed offsets, group admin),
// shared by every connection of the broker.
//
// Threads: requests arrive on many connections' event loops and timers on
// the tick thread, so all state is behind one mutex. Nothing is called while
// it is held: replies and port calls are queued and run after unlocking.
// Replies always go through the caller's `post`, so they run on the caller's
// connection's event loop whatever thread completes them (a parked JoinGroup
// is answered when another member joins, or by Tick).
//
// Persistence: __consumer_offsets partition hash(group) % N holds the group's
// records (offsets_log.h). A partition is loaded on first use through the
// caller's LogPort; meanwhile requests get COORDINATOR_LOAD_IN_PROGRESS.
// Writes go through the caller's LogPort and are answered once stored.
//
// The code follows Kafka's split between GroupCoordinator (the protocol) and
// GroupMetadataManager (the __consumer_offsets partitions):
//   coordinator.cc              construction, ids, topic names, shared helpers
//   coordinator_load.cc         partition loads and ownership, FindCoordinator
//   coordinator_persist.cc      __consumer_offsets writes, subscription mirror
//   coordinator_rebalance.cc    prepare/complete a rebalance, remove a member
//   coordinator_join.cc         JoinGroup
//   coordinator_membership.cc   SyncGroup, Heartbeat, LeaveGroup
//   coordinator_offsets.cc      OffsetCommit/Fetch/Delete, offset expiry
//   coordinator_admin.cc        DescribeGroups, ListGroups, DeleteGroups
//   coordinator_timers.cc       Tick
//   coordinator_internal.h      what those files share (Deferred, ...)
#ifndef KOP_CORE_GROUPS_COORDINATOR_H_
#define KOP_CORE_GROUPS_COORDINATOR_H_

#include <atomic>
#include <climits>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "groups/group.h"
#include "groups/offsets_log.h"
#include "kop/core/broker.h"

namespace kop::core::groups {

struct GroupConfig {
  int32_t num_partitions = 50;
  // Full Pulsar name of the partitioned __consumer_offsets topic.
  std::string offsets_topic = "persistent://public/__kafka/__consumer_offsets";
  // "persistent://{kafkaTenant}/{kafkaNamespace}/": offset keys name topics
  // by their full Pulsar name, as KoP did.
  std::string topic_prefix = "persistent://public/default/";
  int32_t min_session_timeout_ms = 6000;
  int32_t max_session_timeout_ms = 300000;
  int32_t initial_rebalance_delay_ms = 3000;
  int32_t max_size = INT32_MAX;
  int64_t offsets_retention_ms = 4320LL * 60 * 1000;
  int64_t retention_check_interval_ms = 600000;
  int32_t offset_metadata_max_bytes = 4096;
  bool subscription_mirror = true;
  // How long a member that joined may take to complete its first join
  // (Kafka's NewMemberJoinTimeoutMs).
  int32_t new_member_join_timeout_ms = 300000;
};

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMs() = 0;
};
// Wall-clock milliseconds (commit timestamps are stored and compared across
// restarts).
Clock* SystemClock();

// Who is asking: the connection's log (loads and writes go through it) and
// how to get back onto its event loop.
struct Caller {
  LogPort* log = nullptr;
  std::function<void(std::function<void()>)> post;
  std::string client_id;
  std::string client_host = "/unknown";
};

struct JoinParams {
  std::string group_id;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = 0;
  std::string protocol_type;
  std::vector<Protocol> protocols;
  bool require_known_member_id = false;  // JoinGroup v4+
};

struct SyncParams {
  std::string group_id;
  int32_t generation = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  std::vector<std::pair<std::string, std::vector<uint8_t>>> assignments;
};

struct LeaveMember {
  std::string member_id;
  std::optional<std::string> group_instance_id;
};
struct LeaveResult {
  ErrorCode error_code = ErrorCode::NONE;
  std::vector<ErrorCode> member_errors;  // one per requested member
};

struct CommitPartition {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  int32_t leader_epoch = -1;
  std::optional<std::string> metadata;
};
struct CommitParams {
  std::string group_id;
  int32_t generation = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  int64_t retention_ms = -1;  // OffsetCommit v2-4; -1 = broker default
  std::vector<CommitPartition> partitions;
};

struct FetchedOffset {
  std::string topic;
  int32_t partition = 0;
  CommittedOffset offset;  // offset -1 when none
};
struct FetchResult {
  ErrorCode error_code = ErrorCode::NONE;
  std::vector<FetchedOffset> offsets;
};

struct MemberDescription {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  std::vector<uint8_t> metadata;    // Stable groups only
  std::vector<uint8_t> assignment;  // Stable groups only
};
struct GroupDescription {
  ErrorCode error_code = ErrorCode::NONE;
  bool found = false;
  std::string group_id;
  std::string state;
  std::string protocol_type;
  std::string protocol;
  std::vector<MemberDescription> members;
};

struct GroupListing {
  std::string group_id;
  std::string protocol_type;
  std::string state;
};
struct ListResult {
  ErrorCode error_code = ErrorCode::NONE;
  std::vector<GroupListing> groups;
};

struct OffsetDeleteResult {
  ErrorCode error_code = ErrorCode::NONE;
  std::vector<ErrorCode> partition_errors;  // one per requested partition
};

class GroupCoordinator {
 public:
  GroupCoordinator(GroupConfig config, Clock* clock);
  ~GroupCoordinator();

  // Full Pulsar name of the partitioned topic this coordinator keeps its
  // groups in (its tenant's __consumer_offsets).
  const std::string& offsets_topic() const { return config_.offsets_topic; }

  // The __consumer_offsets partition of a group (KoP: signSafeMod of Java's
  // String.hashCode).
  int32_t PartitionFor(const std::string& group_id) const;

  // FindCoordinator: NONE when this broker coordinates the group (and starts
  // loading its partition), else the error.
  ErrorCode FindCoordinator(const Caller& caller, const std::string& group_id);

  // Starts loading every partition not loaded yet (KoP lesson 14: load
  // eagerly, so the first JoinGroup or ListGroups does not wait). Cheap once
  // everything is loaded.
  void Preload(const Caller& caller);

  void Join(const Caller& caller, JoinParams params, JoinCallback done);
  void Sync(const Caller& caller, SyncParams params, SyncCallback done);
  void Heartbeat(const Caller& caller, const std::string& group_id,
                 int32_t generation, const std::string& member_id,
                 const std::optional<std::string>& group_instance_id,
                 std::function<void(ErrorCode)> done);
  void Leave(const Caller& caller, const std::string& group_id,
             std::vector<LeaveMember> members,
             std::function<void(LeaveResult)> done);
  // One error per partition, in request order.
  void CommitOffsets(const Caller& caller, CommitParams params,
                     std::function<void(std::vector<ErrorCode>)> done);
  // `partitions` nullopt: every committed offset of the group.
  void FetchOffsets(const Caller& caller, const std::string& group_id,
                    std::optional<std::vector<TopicPartition>> partitions,
                    std::function<void(FetchResult)> done);
  void Describe(const Caller& caller, std::vector<std::string> group_ids,
                std::function<void(std::vector<GroupDescription>)> done);
  // `states` empty: all (Kafka's names, compared case-insensitively).
  void List(const Caller& caller, std::vector<std::string> states,
            std::function<void(ListResult)> done);
  // One error per group.
  void Delete(const Caller& caller, std::vector<std::string> group_ids,
              std::function<void(std::vector<ErrorCode>)> done);
  void DeleteOffsets(const Caller& caller, const std::string& group_id,
                     std::vector<TopicPartition> partitions,
                     std::function<void(OffsetDeleteResult)> done);

  // This broker lost the partition's bundle: its groups leave memory (parked
  // JoinGroup/SyncGroup calls answer NOT_COORDINATOR) and the next request
  // loads it again, from the log, or finds it owned elsewhere.
  void Unload(int32_t partition);
  // This broker gained the partition's bundle: forget an earlier "owned
  // elsewhere" load failure so Preload loads it.
  void Owned(int32_t partition);

  // Session/rebalance/join timeouts, the initial rebalance delay, offset
  // expiry.
  void Tick();

 private:
  class Deferred;
  struct Partition {
    enum class Load { kUnloaded, kLoading, kLoaded } load = Load::kUnloaded;
    uint64_t load_epoch = 0;      // bumps on every (re)load attempt
    int64_t load_started_ms = 0;  // when the current load began
    // Why the last load failed: a partition this broker does not own
    // (NOT_LEADER_OR_FOLLOWER) answers NOT_COORDINATOR, other failures
    // COORDINATOR_NOT_AVAILABLE, so clients look again instead of waiting
    // on a load that cannot succeed.
    ErrorCode load_error = ErrorCode::NONE;
  };

  // Which parked calls of a member FailParked answers.
  enum class Parked { kJoin, kSync, kJoinAndSync };
  // Answers a member's parked JoinGroup and/or SyncGroup with `error` (the
  // join first), leaving neither parked.
  static void FailParked(Member& m, ErrorCode error, Deferred& d,
                         Parked which = Parked::kJoinAndSync);

  // NONE when the partition is loaded, else COORDINATOR_LOAD_IN_PROGRESS
  // (starting a load if needed), or NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE
  // after a failed load.
  ErrorCode CheckCoordinator(const Caller& caller, int32_t partition,
                             Deferred& d);
  // INVALID_GROUP_ID for an empty id, else CheckCoordinator of its partition.
  ErrorCode CheckGroup(const Caller& caller, const std::string& group_id,
                       Deferred& d);
  void StartLoad(const Caller& caller, int32_t partition, Deferred& d);
  void LoadFrom(const Caller& caller, int32_t partition, uint64_t epoch,
                int64_t offset, Deferred& d);
  // Loads whose read got no answer in time go back to unloaded (Tick).
  void AbandonStalledLoads(int64_t now);
  Group* Find(const std::string& group_id);
  Group& GetOrCreate(const std::string& group_id);

  void JoinUnknownMember(const Caller& caller, Group& g, JoinParams& p,
                         JoinCallback& done, Deferred& d);
  void JoinKnownMember(const Caller& caller, Group& g, JoinParams& p,
                       JoinCallback& done, Deferred& d);
  void AddMemberAndRebalance(const Caller& caller, Group& g,
                             const std::string& member_id, JoinParams& p,
                             JoinCallback done, Deferred& d);
  void UpdateMemberAndRebalance(Group& g, Member& m, JoinParams& p,
                                JoinCallback done, Deferred& d);
  void ReplaceStaticMember(const Caller& caller, Group& g,
                           const std::string& new_id, JoinParams& p,
                           JoinCallback done, Deferred& d);
  void MaybePrepareRebalance(Group& g, Deferred& d);
  void PrepareRebalance(Group& g, Deferred& d);
  void MaybeCompleteJoin(Group& g, Deferred& d);
  void CompleteJoin(Group& g, Deferred& d);
  void RemoveMemberAndUpdateGroup(Group& g, const std::string& member_id,
                                  Deferred& d);
  // A member left or was replaced: a settled group (Stable,
  // CompletingRebalance) rebalances again, one rebalancing may now complete.
  void RebalanceAfterMemberChange(Group& g, Deferred& d);
  void SetState(Group& g, GroupState s);
  JoinResult CurrentJoinResult(const Group& g, const Member& m,
                               bool with_members) const;
  void ResetAndPropagateSyncError(Group& g, ErrorCode error, Deferred& d);

  // Appends records to the group's partition through the caller's log and
  // runs `done(error)` (Kafka's coordinator error mapping) under the lock.
  void Persist(const Caller& caller, int32_t partition,
               std::vector<LogRecord> records,
               std::function<void(ErrorCode, Deferred&)> done, Deferred& d);
  // Group metadata a timer changed, written by the first caller that has a
  // log.
  void FlushDirty(const Caller& caller, Group& g, Deferred& d);
  // The caller's log when committed offsets are mirrored to Pulsar
  // subscriptions, else null.
  LogPort* MirrorLog(const Caller& caller) const;
  void MirrorOffsets(const Caller& caller, const std::string& group_id,
                     const std::vector<std::pair<TopicPartition, int64_t>>& o,
                     Deferred& d);
  void DeleteMirror(const Caller& caller, const std::string& group_id,
                    const std::vector<TopicPartition>& partitions, Deferred& d);
  void ExpireOffsets(int64_t now);

  std::string NewMemberId(const std::string& client_id);
  std::string StoredTopic(const std::string& kafka_topic) const;
  std::string KafkaTopic(const std::string& stored_topic) const;
  void ApplyLoaded(int32_t partition, std::vector<LogRecord>& records);

  const GroupConfig config_;
  Clock* const clock_;
  std::mutex mu_;
  std::vector<Partition> partitions_;
  std::map<std::string, std::unique_ptr<Group>> groups_;
  std::mt19937_64 rng_;
  int64_t next_expiry_check_ms_ = 0;
  // Loads read back by a LogPort need the records of entries in order;
  // staged per partition until the load completes.
  std::map<int32_t, std::vector<LogRecord>> staged_;
  // Set once every partition has loaded: Preload is then a single load.
  std::atomic<bool> all_loaded_{false};
};

}  // namespace kop::core::groups

#endif  // KOP_CORE_GROUPS_COORDINATOR_H_
