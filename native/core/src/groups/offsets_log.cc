#include "groups/offsets_log.h"

#include "kop/protocol/buffer.h"
#include "kop/protocol/messages/group_metadata_key.h"
#include "kop/protocol/messages/group_metadata_value.h"
#include "kop/protocol/messages/offset_commit_key.h"
#include "kop/protocol/messages/offset_commit_value.h"
#include "kop/protocol/record_batch.h"
#include "kop/pulsar/entry.h"

namespace kop::core::groups {
namespace {

using protocol::Bytes;
using protocol::Reader;
using protocol::Writer;

// Key versions select the record type (Kafka's GroupCoordinatorRecordSerde).
constexpr int16_t kOffsetKeyV0 = 0;
constexpr int16_t kOffsetKeyV1 = 1;
constexpr int16_t kGroupKey = 2;
// Value versions we write: offsets v3 (leader epoch), v1 when an explicit
// expiry is set; group metadata v3 (static members).
constexpr int16_t kOffsetValueV1 = 1;
constexpr int16_t kOffsetValueV3 = 3;
constexpr int16_t kGroupValueV3 = 3;

template <typename M>
std::vector<uint8_t> EncodeVersioned(int16_t version, const M& m) {
  std::vector<uint8_t> out;
  out.reserve(2 + m.Size(version));
  Writer w(out);
  w.WriteInt16(version);
  // Our own values always fit their version.
  (void)m.Encode(w, version);
  return out;
}

}  // namespace

EncodedRecord EncodeOffsetRecord(const OffsetRecord& r) {
  protocol::OffsetCommitKey key;
  key.group = r.group;
  key.topic = r.topic;
  key.partition = r.partition;
  EncodedRecord out{EncodeVersioned(kOffsetKeyV1, key), std::nullopt};
  if (r.value.has_value()) {
    protocol::OffsetCommitValue v;
    v.offset = r.value->offset;
    v.leader_epoch = r.value->leader_epoch;
    v.metadata = r.value->metadata;
    v.commit_timestamp = r.value->commit_timestamp_ms;
    v.expire_timestamp = r.value->expire_timestamp_ms;
    out.value = EncodeVersioned(
        r.value->expire_timestamp_ms >= 0 ? kOffsetValueV1 : kOffsetValueV3, v);
  }
  return out;
}

EncodedRecord EncodeGroupRecord(const GroupRecord& r) {
  protocol::GroupMetadataKey key;
  key.group = r.group;
  EncodedRecord out{EncodeVersioned(kGroupKey, key), std::nullopt};
  if (r.value.has_value()) {
    protocol::GroupMetadataValue v;
    v.protocol_type = r.value->protocol_type;
    v.generation = r.value->generation;
    v.protocol = r.value->protocol;
    v.leader = r.value->leader;
    v.current_state_timestamp = r.value->state_timestamp_ms;
    for (const auto& m : r.value->members) {
      auto& o = v.members.emplace_back();
      o.member_id = m.member_id;
      o.group_instance_id = m.group_instance_id;
      o.client_id = m.client_id;
      o.client_host = m.client_host;
      o.rebalance_timeout = m.rebalance_timeout_ms;
      o.session_timeout = m.session_timeout_ms;
      o.subscription = m.subscription;
      o.assignment = m.assignment;
    }
    out.value = EncodeVersioned(kGroupValueV3, v);
  }
  return out;
}

GroupRecord SnapshotGroup(const Group& g) {
  GroupRecord r;
  r.group = g.group_id;
  GroupRecord::Value v;
  v.protocol_type = g.protocol_type.value_or("");
  v.generation = g.generation;
  v.protocol = g.protocol_name;
  v.leader = g.leader_id;
  v.state_timestamp_ms = g.state_timestamp_ms;
  for (const std::string& id : g.join_order) {
    const Member& m = g.members.at(id);
    auto& o = v.members.emplace_back();
    o.member_id = m.member_id;
    o.group_instance_id = m.group_instance_id;
    o.client_id = m.client_id;
    o.client_host = m.client_host;
    o.rebalance_timeout_ms = m.rebalance_timeout_ms;
    o.session_timeout_ms = m.session_timeout_ms;
    if (g.protocol_name.has_value()) {
      if (const auto* meta = m.MetadataFor(*g.protocol_name)) {
        o.subscription = *meta;
      }
    }
    o.assignment = m.assignment;
  }
  r.value = std::move(v);
  return r;
}

absl::Status EncodeLogEntry(std::span<const EncodedRecord> records,
                            int64_t now_ms, std::vector<uint8_t>& out) {
  std::vector<protocol::RecordInput> inputs;
  inputs.reserve(records.size());
  for (const EncodedRecord& r : records) {
    protocol::RecordInput in;
    in.timestamp = now_ms;
    in.key = Bytes(r.key);
    if (r.value.has_value()) in.value = Bytes(*r.value);
    inputs.push_back(in);
  }
  std::vector<uint8_t> batch;
  absl::Status st = protocol::AppendRecordBatch(inputs, {}, batch);
  if (!st.ok()) return st;
  absl::StatusOr<protocol::RecordBatchView> view =
      protocol::RecordBatchView::Parse(batch);
  if (!view.ok()) return view.status();
  pulsar::EncodeOptions options;
  options.format = pulsar::EntryFormat::kKafka;
  options.publish_time_ms = now_ms;
  std::vector<uint8_t> scratch;
  return pulsar::EncodeEntry(*view, options, scratch, out);
}

namespace {

absl::Status DecodeRecord(const protocol::RecordView& rec,
                          std::vector<LogRecord>& out) {
  if (!rec.key.has_value()) return absl::OkStatus();  // not ours
  Reader k(*rec.key);
  const int16_t key_version = k.ReadInt16();
  if (!k.ok()) return absl::DataLossError("record key shorter than 2 bytes");
  if (key_version == kOffsetKeyV0 || key_version == kOffsetKeyV1) {
    protocol::OffsetCommitKey key;
    key.Decode(k, 0);
    if (!k.ok()) return absl::DataLossError("malformed offset commit key");
    OffsetRecord r{key.group, key.topic, key.partition, std::nullopt};
    if (rec.value.has_value()) {
      Reader v(*rec.value);
      const int16_t version = v.ReadInt16();
      if (version < 0 || version > protocol::OffsetCommitValue::kMaxVersion) {
        return absl::DataLossError("unknown offset commit value version");
      }
      protocol::OffsetCommitValue value;
      value.Decode(v, version);
      if (!v.ok()) return absl::DataLossError("malformed offset commit value");
      r.value =
          CommittedOffset{value.offset, value.leader_epoch, value.metadata,
                          value.commit_timestamp, value.expire_timestamp};
    }
    out.emplace_back(std::move(r));
  } else if (key_version == kGroupKey) {
    protocol::GroupMetadataKey key;
    key.Decode(k, 0);
    if (!k.ok()) return absl::DataLossError("malformed group metadata key");
    GroupRecord r{key.group, std::nullopt};
    if (rec.value.has_value()) {
      Reader v(*rec.value);
      const int16_t version = v.ReadInt16();
      if (version < 0 || version > protocol::GroupMetadataValue::kMaxVersion) {
        return absl::DataLossError("unknown group metadata value version");
      }
      protocol::GroupMetadataValue value;
      value.Decode(v, version);
      if (!v.ok()) return absl::DataLossError("malformed group metadata value");
      GroupRecord::Value g;
      g.protocol_type = value.protocol_type;
      g.generation = value.generation;
      g.protocol = value.protocol;
      g.leader = value.leader;
      g.state_timestamp_ms = value.current_state_timestamp;
      for (auto& m : value.members) {
        g.members.push_back({m.member_id, m.group_instance_id, m.client_id,
                             m.client_host, m.rebalance_timeout,
                             m.session_timeout, m.subscription, m.assignment});
      }
      r.value = std::move(g);
    }
    out.emplace_back(std::move(r));
  }
  // Other key versions belong to KIP-848/share/streams groups: not ours.
  return absl::OkStatus();
}

}  // namespace

absl::Status DecodeLogEntry(std::span<const uint8_t> entry,
                            std::vector<LogRecord>& out,
                            uint64_t& last_offset) {
  absl::StatusOr<pulsar::EntryView> view = pulsar::ParseEntry(entry);
  if (!view.ok()) return view.status();
  if (view->index.has_value()) last_offset = *view->index;
  Bytes batches = view->payload;
  std::vector<uint8_t> converted;
  std::vector<uint8_t> scratch;
  if (!view->kafka_format()) {
    // KoP's own coordinator published the Kafka batch as the payload of a
    // plain Pulsar message; anything else is a message to convert.
    absl::StatusOr<protocol::RecordBatchView> kop =
        protocol::RecordBatchView::Parse(view->payload);
    if (!kop.ok() || !kop->CheckCrc().ok()) {
      absl::Status st =
          pulsar::AppendAsKafkaBatch(*view, 0, scratch, converted);
      if (!st.ok()) return st;
      batches = converted;
    }
  }
  protocol::BatchCursor cursor(batches);
  std::vector<uint8_t> records_scratch;
  while (true) {
    absl::StatusOr<std::optional<protocol::RecordBatchView>> batch =
        cursor.Next();
    if (!batch.ok()) return batch.status();
    if (!batch->has_value()) break;
    if (absl::Status st = (*batch)->CheckCrc(); !st.ok()) return st;
    if ((*batch)->header().is_control()) continue;
    absl::StatusOr<Bytes> records = (*batch)->Uncompressed(records_scratch);
    if (!records.ok()) return records.status();
    protocol::RecordIterator it = (*batch)->Records(*records);
    protocol::RecordView rec;
    while (it.Next(rec)) {
      if (absl::Status st = DecodeRecord(rec, out); !st.ok()) return st;
    }
    if (!it.status().ok()) return it.status();
  }
  return absl::OkStatus();
}

}  // namespace kop::core::groups
