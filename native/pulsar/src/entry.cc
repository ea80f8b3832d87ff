#include "kop/pulsar/entry.h"

#include <lz4.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <string>
#include <string_view>

#include "kop/protocol/compression.h"
#include "kop/protocol/crc32c.h"
#include "kop/protocol/message.h"

namespace kop::pulsar {
namespace {

using protocol::Reader;
using protocol::RecordBatchView;
using protocol::RecordView;
using protocol::Writer;

constexpr uint16_t kMagicCrc32c = 0x0e01;
constexpr uint16_t kMagicBrokerEntryMetadata = 0x0e02;

std::string_view AsString(Bytes b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
Bytes AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Pulsar's partition_key is a string; binary keys go base64 with the
// b64 flag, as Pulsar clients do. ordering_key always has the exact bytes.
bool PrintableUtf8Free(Bytes b) {
  for (uint8_t c : b) {
    if (c < 0x20 || c >= 0x7f) return false;
  }
  return true;
}

void SetKey(const std::optional<Bytes>& key, proto::SingleMessageMetadata& m) {
  if (!key) {
    m.set_null_partition_key(true);
    return;
  }
  m.set_ordering_key(std::string(AsString(*key)));
  if (PrintableUtf8Free(*key)) {
    m.set_partition_key(std::string(AsString(*key)));
  } else {
    m.set_partition_key(protocol::Base64Encode(*key));
    m.set_partition_key_b64_encoded(true);
  }
}

// [metadata size][metadata][payload], preceded by magic + CRC-32C of it.
void WriteEntry(const proto::MessageMetadata& md, Bytes payload, bool checksum,
                std::vector<uint8_t>& out) {
  const std::string meta = md.SerializeAsString();
  const size_t start = out.size();
  Writer w(out);
  if (checksum) {
    w.WriteUint16(kMagicCrc32c);
    w.WriteUint32(0);  // patched below
  }
  const size_t covered = out.size();
  w.WriteUint32(static_cast<uint32_t>(meta.size()));
  w.WriteSpan(std::string_view(meta));
  w.WriteSpan(payload);
  if (checksum) {
    const uint32_t crc = protocol::Crc32c(Bytes(out).subspan(covered));
    w.PatchInt32(start + 2, static_cast<int32_t>(crc));
  }
}

absl::Status EncodePulsar(const RecordBatchView& batch,
                          const EncodeOptions& options,
                          std::vector<uint8_t>& scratch,
                          std::vector<uint8_t>& out) {
  absl::StatusOr<Bytes> records =
      batch.Uncompressed(scratch, options.max_uncompressed_bytes);
  if (!records.ok()) return records.status();
  const protocol::RecordBatchHeader& h = batch.header();
  std::vector<uint8_t> payload;
  payload.reserve(records->size() + 32 * static_cast<size_t>(h.records_count));
  Writer w(payload);
  protocol::RecordIterator it = batch.Records(*records);
  RecordView r;
  proto::SingleMessageMetadata single;
  int32_t n = 0;
  while (it.Next(r)) {
    single.Clear();
    SetKey(r.key, single);
    for (const protocol::RecordHeaderView& hv : r.headers()) {
      proto::KeyValue* kv = single.add_properties();
      kv->set_key(std::string(hv.key));
      // Raw bytes: Kafka consumers get every byte back; Pulsar consumers see
      // the string Pulsar makes of them.
      kv->set_value(hv.value ? std::string(AsString(*hv.value))
                             : std::string());
    }
    single.set_event_time(
        static_cast<uint64_t>(h.base_timestamp + r.timestamp_delta));
    single.set_sequence_id(static_cast<uint64_t>(r.offset_delta));
    if (r.value) {
      single.set_payload_size(static_cast<int32_t>(r.value->size()));
    } else {
      single.set_payload_size(0);
      single.set_null_value(true);
    }
    const std::string smm = single.SerializeAsString();
    w.WriteUint32(static_cast<uint32_t>(smm.size()));
    w.WriteSpan(std::string_view(smm));
    if (r.value) w.WriteSpan(*r.value);
    ++n;
  }
  if (!it.status().ok()) return it.status();
  proto::MessageMetadata md;
  md.set_producer_name("");
  md.set_sequence_id(0);
  md.set_publish_time(static_cast<uint64_t>(options.publish_time_ms));
  md.set_num_messages_in_batch(n);
  md.set_uncompressed_size(static_cast<uint32_t>(payload.size()));
  WriteEntry(md, payload, /*checksum=*/true, out);
  return absl::OkStatus();
}

absl::Status EncodeKafka(const RecordBatchView& batch,
                         const EncodeOptions& options,
                         std::vector<uint8_t>& out) {
  proto::MessageMetadata md;
  md.set_producer_name("");
  md.set_sequence_id(0);
  md.set_publish_time(static_cast<uint64_t>(options.publish_time_ms));
  md.set_num_messages_in_batch(batch.header().records_count);
  proto::KeyValue* kv = md.add_properties();
  kv->set_key(kEntryFormatProperty);
  kv->set_value(kKafkaEntryFormat);
  // No checksum, as KoP's kafka format: the batch carries its own CRC.
  WriteEntry(md, batch.bytes(), /*checksum=*/false, out);
  return absl::OkStatus();
}

// Pulsar's compression of a batch payload (not Kafka's framings): LZ4 and
// SNAPPY are raw blocks, ZLIB a zlib stream; the size comes from metadata.
absl::Status DecompressPulsar(proto::CompressionType type, Bytes in,
                              uint32_t uncompressed_size,
                              std::vector<uint8_t>& out) {
  constexpr uint32_t kMax = 100u << 20;
  if (uncompressed_size > kMax) {
    return absl::InvalidArgumentError("uncompressed_size " +
                                      std::to_string(uncompressed_size) +
                                      " exceeds the limit");
  }
  out.resize(uncompressed_size);
  switch (type) {
    case proto::LZ4: {
      const int n = LZ4_decompress_safe(
          reinterpret_cast<const char*>(in.data()),
          reinterpret_cast<char*>(out.data()), static_cast<int>(in.size()),
          static_cast<int>(out.size()));
      if (n < 0 || static_cast<uint32_t>(n) != uncompressed_size) {
        return absl::DataLossError("bad LZ4 payload");
      }
      return absl::OkStatus();
    }
    case proto::ZLIB: {
      uLongf n = uncompressed_size;
      if (uncompress(out.data(), &n, in.data(), in.size()) != Z_OK ||
          n != uncompressed_size) {
        return absl::DataLossError("bad ZLIB payload");
      }
      return absl::OkStatus();
    }
    case proto::ZSTD: {
      const size_t n =
          ZSTD_decompress(out.data(), out.size(), in.data(), in.size());
      if (ZSTD_isError(n) || n != uncompressed_size) {
        return absl::DataLossError("bad ZSTD payload");
      }
      return absl::OkStatus();
    }
    case proto::SNAPPY: {
      size_t n = 0;
      if (!snappy::GetUncompressedLength(
              reinterpret_cast<const char*>(in.data()), in.size(), &n) ||
          n != uncompressed_size ||
          !snappy::RawUncompress(reinterpret_cast<const char*>(in.data()),
                                 in.size(),
                                 reinterpret_cast<char*>(out.data()))) {
        return absl::DataLossError("bad SNAPPY payload");
      }
      return absl::OkStatus();
    }
    default:
      return absl::UnimplementedError("unknown Pulsar compression " +
                                      std::to_string(static_cast<int>(type)));
  }
}

std::optional<Bytes> KeyOf(bool null_key, const std::string& ordering_key,
                           bool has_ordering_key,
                           const std::string& partition_key,
                           bool has_partition_key) {
  if (null_key) return std::nullopt;
  if (has_ordering_key) return AsBytes(ordering_key);
  // A key from a Pulsar producer without ordering_key: its partition key
  // text (base64-encoded keys are served as their text).
  if (has_partition_key) return AsBytes(partition_key);
  return std::nullopt;
}

}  // namespace

int32_t EntryView::num_messages() const {
  return metadata.has_num_messages_in_batch() ? metadata.num_messages_in_batch()
                                              : 1;
}

bool EntryView::kafka_format() const {
  for (const proto::KeyValue& kv : metadata.properties()) {
    if (kv.key() == kEntryFormatProperty && kv.value() == kKafkaEntryFormat) {
      return true;
    }
  }
  return false;
}

absl::Status EncodeEntry(const RecordBatchView& batch,
                         const EncodeOptions& options,
                         std::vector<uint8_t>& scratch,
                         std::vector<uint8_t>& out) {
  return options.format == EntryFormat::kKafka
             ? EncodeKafka(batch, options, out)
             : EncodePulsar(batch, options, scratch, out);
}

absl::StatusOr<EntryView> ParseEntry(Bytes entry) {
  EntryView view;
  Reader r(entry);
  if (entry.size() >= 2 && entry[0] == (kMagicBrokerEntryMetadata >> 8) &&
      entry[1] == (kMagicBrokerEntryMetadata & 0xff)) {
    r.ReadUint16();
    const uint32_t size = r.ReadUint32();
    Bytes b = r.ReadSpan(size);
    if (!r.ok())
      return absl::DataLossError("broker entry metadata: " + r.error().what);
    proto::BrokerEntryMetadata bem;
    if (!bem.ParseFromArray(b.data(), static_cast<int>(b.size()))) {
      return absl::DataLossError("unparsable broker entry metadata");
    }
    if (bem.has_index()) view.index = bem.index();
    if (bem.has_broker_timestamp())
      view.broker_timestamp = bem.broker_timestamp();
  }
  Bytes rest = r.Rest();
  if (rest.size() >= 2 && rest[0] == (kMagicCrc32c >> 8) &&
      rest[1] == (kMagicCrc32c & 0xff)) {
    r.ReadUint16();
    const uint32_t expected = r.ReadUint32();
    if (!r.ok()) return absl::DataLossError("truncated checksum");
    if (protocol::Crc32c(r.Rest()) != expected) {
      return absl::DataLossError("entry checksum mismatch");
    }
  }
  const uint32_t meta_size = r.ReadUint32();
  Bytes meta = r.ReadSpan(meta_size);
  if (!r.ok())
    return absl::DataLossError("message metadata: " + r.error().what);
  if (!view.metadata.ParseFromArray(meta.data(),
                                    static_cast<int>(meta.size()))) {
    return absl::DataLossError("unparsable message metadata");
  }
  view.payload = r.Rest();
  return view;
}

absl::Status AppendAsKafkaBatch(const EntryView& entry, int64_t base_offset,
                                std::vector<uint8_t>& scratch,
                                std::vector<uint8_t>& out) {
  if (entry.kafka_format()) {
    absl::StatusOr<RecordBatchView> batch =
        RecordBatchView::Parse(entry.payload);
    if (!batch.ok()) return batch.status();
    const size_t at = out.size();
    out.insert(out.end(), batch->bytes().begin(), batch->bytes().end());
    return protocol::SetBaseOffset(std::span(out).subspan(at), base_offset);
  }
  const proto::MessageMetadata& md = entry.metadata;
  Bytes payload = entry.payload;
  if (md.compression() != proto::NONE) {
    absl::Status st = DecompressPulsar(md.compression(), payload,
                                       md.uncompressed_size(), scratch);
    if (!st.ok()) return st;
    payload = scratch;
  }
  const int64_t publish_time = static_cast<int64_t>(md.publish_time());
  std::vector<protocol::RecordInput> records;
  std::vector<std::vector<protocol::RecordHeaderInput>> headers;
  std::vector<proto::SingleMessageMetadata> singles;
  auto timestamp = [publish_time](bool has_event, uint64_t event) {
    return has_event && event > 0 ? static_cast<int64_t>(event) : publish_time;
  };
  if (!md.has_num_messages_in_batch()) {
    // A single non-batched Pulsar message: the payload is its value.
    headers.emplace_back();
    for (const proto::KeyValue& kv : md.properties()) {
      headers.back().push_back({kv.key(), AsBytes(kv.value())});
    }
    protocol::RecordInput in;
    in.timestamp = timestamp(md.has_event_time(), md.event_time());
    in.key = KeyOf(md.null_partition_key() ||
                       (!md.has_partition_key() && !md.has_ordering_key()),
                   md.ordering_key(), md.has_ordering_key(), md.partition_key(),
                   md.has_partition_key());
    if (!md.null_value()) in.value = payload;
    in.headers = headers.back();
    records.push_back(in);
  } else {
    const int32_t n = md.num_messages_in_batch();
    if (n < 0 || static_cast<size_t>(n) > payload.size() / 4 + 1) {
      return absl::DataLossError("num_messages_in_batch " + std::to_string(n) +
                                 " does not fit the payload");
    }
    singles.resize(static_cast<size_t>(n));
    headers.resize(static_cast<size_t>(n));
    Reader r(payload);
    for (int32_t i = 0; i < n; ++i) {
      const uint32_t size = r.ReadUint32();
      Bytes smm = r.ReadSpan(size);
      if (!r.ok())
        return absl::DataLossError("batched message " + std::to_string(i) +
                                   ": " + r.error().what);
      proto::SingleMessageMetadata& s = singles[static_cast<size_t>(i)];
      if (!s.ParseFromArray(smm.data(), static_cast<int>(smm.size())) ||
          s.payload_size() < 0) {
        return absl::DataLossError("unparsable single message metadata");
      }
      Bytes value = r.ReadSpan(static_cast<size_t>(s.payload_size()));
      if (!r.ok())
        return absl::DataLossError("batched message payload: " +
                                   r.error().what);
      if (s.compacted_out()) continue;
      for (const proto::KeyValue& kv : s.properties()) {
        headers[static_cast<size_t>(i)].push_back(
            {kv.key(), AsBytes(kv.value())});
      }
      protocol::RecordInput in;
      in.timestamp = timestamp(s.has_event_time(), s.event_time());
      in.key = KeyOf(s.null_partition_key() ||
                         (!s.has_partition_key() && !s.has_ordering_key()),
                     s.ordering_key(), s.has_ordering_key(), s.partition_key(),
                     s.has_partition_key());
      if (!s.null_value()) in.value = value;
      in.headers = headers[static_cast<size_t>(i)];
      records.push_back(in);
    }
  }
  if (records.empty()) return absl::OkStatus();  // everything compacted out
  protocol::BatchBuildOptions build;
  build.base_offset = base_offset;
  return protocol::AppendRecordBatch(records, build, out);
}

}  // namespace kop::pulsar
