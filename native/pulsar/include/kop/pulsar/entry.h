// Kafka record batches <-> Pulsar ledger entries.
//
// A stored entry is what a Pulsar producer sends after its command frame:
//   [0x0e01][CRC-32C:4][metadata size:4][MessageMetadata][payload]
// (the magic and checksum are optional), and what a cursor reads back may be
// prefixed by the broker's [0x0e02][size:4][BrokerEntryMetadata], whose
// `index` is the Kafka offset of the entry's last message.
//
// Two formats, chosen by broker.conf `entryFormat` (KoP's key and values):
// - pulsar: an ordinary Pulsar batch every Pulsar consumer reads; one
//   SingleMessageMetadata per Kafka record (key -> partition_key and
//   ordering_key, headers -> properties, timestamp -> event_time).
// - kafka: the Kafka batch as-is behind a minimal MessageMetadata with the
//   property entry.format=kafka (no per-record work; Pulsar consumers need a
//   payload processor, as with KoP).
#ifndef KOP_PULSAR_ENTRY_H_
#define KOP_PULSAR_ENTRY_H_

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kop/protocol/buffer.h"
#include "kop/protocol/record_batch.h"
#include "pulsar_entry.pb.h"

namespace kop::pulsar {

using protocol::Bytes;

enum class EntryFormat { kPulsar, kKafka };

// The property that marks kafka-format entries (KoP's name and value).
inline constexpr char kEntryFormatProperty[] = "entry.format";
inline constexpr char kKafkaEntryFormat[] = "kafka";

struct EncodeOptions {
  EntryFormat format = EntryFormat::kPulsar;
  int64_t publish_time_ms = 0;
  // Largest decompressed batch accepted (zip bombs).
  size_t max_uncompressed_bytes = protocol::kDefaultMaxDecompressedBytes;
};

// Appends the entry for one validated Kafka batch to `out`. `scratch` holds
// the decompressed records of a compressed batch in the pulsar format.
absl::Status EncodeEntry(const protocol::RecordBatchView& batch,
                         const EncodeOptions& options,
                         std::vector<uint8_t>& scratch,
                         std::vector<uint8_t>& out);

// An entry as a cursor returns it. Views point into the entry's bytes.
struct EntryView {
  std::optional<uint64_t> index;  // BrokerEntryMetadata.index
  std::optional<uint64_t> broker_timestamp;
  proto::MessageMetadata metadata;
  Bytes payload;

  // Messages (Kafka records) in the entry.
  int32_t num_messages() const;
  bool kafka_format() const;
};

// Parses and checks an entry: lengths bounded by the entry, CRC-32C verified
// when present. DataLoss for a corrupt entry.
absl::StatusOr<EntryView> ParseEntry(Bytes entry);

// Appends the entry's messages as one Kafka batch (magic 2) whose first
// record has `base_offset`. Entries written by Pulsar producers (batched or
// not, any Pulsar compression) convert too.
absl::Status AppendAsKafkaBatch(const EntryView& entry, int64_t base_offset,
                                std::vector<uint8_t>& scratch,
                                std::vector<uint8_t>& out);

}  // namespace kop::pulsar

#endif  // KOP_PULSAR_ENTRY_H_
