// The records of __consumer_offsets in Kafka's own formats (key version 1
// offset commits, key version 2 group metadata, null value = tombstone), as
// KoP wrote them: one Kafka batch per Pulsar entry, offset-commit topics
// named by their full Pulsar name.
#ifndef KOP_CORE_GROUPS_OFFSETS_LOG_H_
#define KOP_CORE_GROUPS_OFFSETS_LOG_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "groups/group.h"

namespace kop::core::groups {

struct OffsetRecord {
  std::string group;
  std::string topic;  // as stored (a full Pulsar name when KoP-written)
  int32_t partition = 0;
  std::optional<CommittedOffset> value;  // nullopt: tombstone
};

struct GroupRecord {
  std::string group;
  // nullopt: tombstone (the group was deleted).
  struct Value {
    std::string protocol_type;
    int32_t generation = 0;
    std::optional<std::string> protocol;
    std::optional<std::string> leader;
    int64_t state_timestamp_ms = -1;
    struct MemberValue {
      std::string member_id;
      std::optional<std::string> group_instance_id;
      std::string client_id;
      std::string client_host;
      int32_t rebalance_timeout_ms = -1;
      int32_t session_timeout_ms = 0;
      std::vector<uint8_t> subscription;
      std::vector<uint8_t> assignment;
    };
    std::vector<MemberValue> members;
  };
  std::optional<Value> value;
};

using LogRecord = std::variant<OffsetRecord, GroupRecord>;

// One record's key and value bytes (value nullopt for a tombstone).
struct EncodedRecord {
  std::vector<uint8_t> key;
  std::optional<std::vector<uint8_t>> value;
};

EncodedRecord EncodeOffsetRecord(const OffsetRecord& r);
EncodedRecord EncodeGroupRecord(const GroupRecord& r);
// The group's current metadata record (written when a generation completes
// or the group empties).
GroupRecord SnapshotGroup(const Group& g);

// The stored Pulsar entry (kafka entry format) for `records`, one batch.
absl::Status EncodeLogEntry(std::span<const EncodedRecord> records,
                            int64_t now_ms, std::vector<uint8_t>& out);

// Decodes one stored entry (as a cursor returns it) into records, in order.
// Records of other types (KIP-848, share groups) are skipped; a malformed
// entry is an error and the loader skips it with a log line.
absl::Status DecodeLogEntry(std::span<const uint8_t> entry,
                            std::vector<LogRecord>& out, uint64_t& last_offset);

}  // namespace kop::core::groups

#endif  // KOP_CORE_GROUPS_OFFSETS_LOG_H_
