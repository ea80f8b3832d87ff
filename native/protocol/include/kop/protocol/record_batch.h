// Kafka RecordBatch v2 (magic 2, KIP-98): header parsing and validation,
// zero-copy record iteration, splitting a Records field into batches, and a
// builder. Layout: kafka-protocol.md 4.1 / Kafka's DefaultRecordBatch.java.
//
// Nothing here trusts the input: every length is checked against the bytes
// that remain, failures are absl::Status values, and iteration allocates
// nothing per record (views point into the caller's bytes).
#ifndef KOP_PROTOCOL_RECORD_BATCH_H_
#define KOP_PROTOCOL_RECORD_BATCH_H_

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kop/protocol/buffer.h"
#include "kop/protocol/compression.h"
#include "kop/protocol/errors.h"

namespace kop::protocol {

// ---- Errors ----
//
// Failures carry an absl::StatusCode that maps 1:1 onto the Kafka error a
// broker answers with (RecordsKafkaError):
//   DataLoss          -> CORRUPT_MESSAGE (2): CRC mismatch, sizes that do not
//                        add up, magic outside [0, 2], undecodable compressed
//                        payload (Kafka's CorruptRecordException).
//   InvalidArgument   -> INVALID_RECORD (87): records that do not parse,
//                        counts/offsets that disagree with the header, a
//                        Produce with zero or several batches, and magic 0/1
//                        (Kafka's InvalidRecordException; see kMagicV2).
//   ResourceExhausted -> INVALID_RECORD (87): decompresses past the limit.
//                        Not CORRUPT_MESSAGE, which clients retry.
//   Unimplemented     -> UNSUPPORTED_COMPRESSION_TYPE (76): codec id 5-7.
// UNSUPPORTED_VERSION (35) fits none of these: it answers an API version,
// not a batch, and Kafka 4 does not return it for old magic either.

// The Kafka error code for a status returned by this header's functions
// (0 for OK, UNKNOWN_SERVER_ERROR for codes not listed above).
int16_t RecordsKafkaError(const absl::Status& status);

// ---- Layout ----

inline constexpr size_t kLogOverhead = 12;          // baseOffset + batchLength
inline constexpr size_t kRecordBatchOverhead = 61;  // the whole v2 header
inline constexpr size_t kBatchCrcOffset = 17;
inline constexpr size_t kBatchAttributesOffset = 21;  // CRC covers [21, end)
inline constexpr size_t kBatchMagicOffset = 16;
inline constexpr size_t kBatchPartitionLeaderEpochOffset = 12;
inline constexpr size_t kBatchMaxTimestampOffset = 35;
// Kafka 4 reads and writes only magic 2: KIP-724 removed message formats v0
// and v1. A 4.x broker refuses a v0/v1 Produce batch in
// ProduceRequest.validateRecords with InvalidRecordException ("Produce
// requests with version N are only allowed to contain record batches with
// magic version 2"), which KafkaApis answers as INVALID_RECORD (87); magic
// outside [0, 2] is a CorruptRecordException ("Invalid magic found in
// record") from ByteBufferLogInputStream, i.e. CORRUPT_MESSAGE (2).
inline constexpr int8_t kMagicV2 = 2;

enum class TimestampType : uint8_t { kCreateTime = 0, kLogAppendTime = 1 };

// Attribute bits (int16 at offset 21).
inline constexpr int16_t kAttrCodecMask = 0x07;
inline constexpr int16_t kAttrTimestampType = 0x08;
inline constexpr int16_t kAttrTransactional = 0x10;
inline constexpr int16_t kAttrControl = 0x20;
inline constexpr int16_t kAttrDeleteHorizon = 0x40;  // KIP-534

struct RecordBatchHeader {
  int64_t base_offset = 0;
  int32_t batch_length = 0;
  int32_t partition_leader_epoch = -1;
  int8_t magic = kMagicV2;
  uint32_t crc = 0;
  int16_t attributes = 0;
  int32_t last_offset_delta = 0;
  int64_t base_timestamp = -1;
  int64_t max_timestamp = -1;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  int32_t records_count = 0;

  int codec_id() const { return attributes & kAttrCodecMask; }
  TimestampType timestamp_type() const {
    return (attributes & kAttrTimestampType) ? TimestampType::kLogAppendTime
                                             : TimestampType::kCreateTime;
  }
  bool is_transactional() const { return attributes & kAttrTransactional; }
  bool is_control() const { return attributes & kAttrControl; }
  bool has_delete_horizon() const { return attributes & kAttrDeleteHorizon; }
  int64_t last_offset() const { return base_offset + last_offset_delta; }
};

// ---- Records ----

struct RecordHeaderView {
  std::string_view key;  // never null on the wire
  std::optional<Bytes> value;
};

// Iterates the (already validated) headers of one record.
class RecordHeaderIterator {
 public:
  using value_type = RecordHeaderView;
  using difference_type = std::ptrdiff_t;

  RecordHeaderIterator() : reader_(Bytes{}) {}
  RecordHeaderIterator(Bytes encoded, int32_t count);
  const RecordHeaderView& operator*() const { return current_; }
  const RecordHeaderView* operator->() const { return &current_; }
  RecordHeaderIterator& operator++() {
    Advance();
    return *this;
  }
  void operator++(int) { Advance(); }
  bool operator==(std::default_sentinel_t) const { return done_; }

 private:
  void Advance();
  Reader reader_;
  int32_t left_ = 0;
  bool done_ = true;
  RecordHeaderView current_;
};

struct RecordHeaderRange {
  Bytes encoded;
  int32_t count = 0;
  RecordHeaderIterator begin() const { return {encoded, count}; }
  std::default_sentinel_t end() const { return {}; }
};

// One record, as views into the batch (or decompression buffer).
struct RecordView {
  int8_t attributes = 0;
  int64_t timestamp_delta = 0;
  int32_t offset_delta = 0;
  std::optional<Bytes> key;
  std::optional<Bytes> value;
  int32_t headers_count = 0;
  Bytes headers_encoded;  // the validated header bytes, for pass-through
  Bytes encoded;          // the whole record, its length varint included

  RecordHeaderRange headers() const { return {headers_encoded, headers_count}; }
};

// Walks `count` records laid out back to back in `records` (an uncompressed
// payload). Every field is bounds-checked; a record's fields must fill its
// declared length exactly, the bytes must hold exactly `count` records.
//   RecordIterator it(payload, count);
//   RecordView r;
//   while (it.Next(r)) { ... }
//   if (!it.status().ok()) ...
class RecordIterator {
 public:
  RecordIterator(Bytes records, int32_t count);
  // Fills `out` and returns true, or returns false at the end or on the
  // first error (then status() says which, and where).
  bool Next(RecordView& out);
  const absl::Status& status() const { return status_; }
  int32_t records_read() const { return read_; }

 private:
  bool Fail(size_t at, const std::string& what);
  Bytes records_;
  size_t pos_ = 0;
  int32_t count_;
  int32_t read_ = 0;
  absl::Status status_;
};

// ---- Batches ----

struct ValidateOptions {
  size_t max_uncompressed_bytes = kDefaultMaxDecompressedBytes;
  // Produce-side rules (Kafka's LogValidator): recordsCount > 0,
  // lastOffsetDelta == recordsCount - 1 and record i has offsetDelta i.
  // Kafka rewrites a compressed batch whose inner offsets are off; we pass
  // batches through, so we refuse it. Off: what batches read back from a
  // compacted log satisfy (KIP-58; offset deltas strictly increasing and at
  // most lastOffsetDelta, possibly zero records).
  bool strict_offsets = true;
};

class RecordBatchView {
 public:
  // Reads the header of the batch that is exactly `batch` (12 + batchLength
  // bytes). Checks sizes, magic and codec id; not the CRC or the records.
  static absl::StatusOr<RecordBatchView> Parse(Bytes batch);

  const RecordBatchHeader& header() const { return header_; }
  Bytes bytes() const { return bytes_; }
  // The records section after the 61-byte header (compressed if codec != 0).
  Bytes payload() const { return bytes_.subspan(kRecordBatchOverhead); }
  CompressionCodec codec() const {
    return static_cast<CompressionCodec>(header_.codec_id());
  }
  bool compressed() const { return codec() != CompressionCodec::kNone; }

  uint32_t ComputeCrc() const;
  // DataLoss when the stored CRC does not match.
  absl::Status CheckCrc() const;
  // The uncompressed records: payload() itself when uncompressed, else
  // `scratch` filled by decompressing (its capacity is reused).
  absl::StatusOr<Bytes> Uncompressed(
      std::vector<uint8_t>& scratch,
      size_t max_uncompressed_bytes = kDefaultMaxDecompressedBytes) const;
  // Iterates records of Uncompressed()'s result.
  RecordIterator Records(Bytes uncompressed) const {
    return RecordIterator(uncompressed, header_.records_count);
  }
  // Everything a broker checks on append: the CRC, then every record, the
  // count and offsets against the header. Allocates nothing for uncompressed
  // batches; compressed ones decompress into `scratch`.
  absl::Status Validate(std::vector<uint8_t>& scratch,
                        const ValidateOptions& options = {}) const;

 private:
  RecordBatchView(Bytes bytes, const RecordBatchHeader& header)
      : bytes_(bytes), header_(header) {}
  Bytes bytes_;
  RecordBatchHeader header_;
};

// Splits a Records field into consecutive batches without copying. A Fetch
// response may end in a partial batch (the broker cuts at max_bytes) that
// consumers skip; it is reported in partial(), not an error.
class BatchCursor {
 public:
  explicit BatchCursor(Bytes records) : records_(records) {}
  // The next complete batch (header parsed, CRC not checked), or nullopt at
  // the end of the input, including when only a partial batch remains.
  absl::StatusOr<std::optional<RecordBatchView>> Next();
  // After Next() returned nullopt: the bytes of a trailing incomplete batch
  // (empty if the input ended cleanly).
  Bytes partial() const { return records_.subspan(pos_); }
  size_t position() const { return pos_; }

 private:
  Bytes records_;
  size_t pos_ = 0;
};

struct SplitRecords {
  std::vector<RecordBatchView> batches;
  Bytes partial;  // trailing incomplete batch, if any
};
absl::StatusOr<SplitRecords> SplitBatches(Bytes records);

// The one batch of a Produce (v3+) partition, as Kafka 4's
// ProduceRequest.validateRecords demands: at least one batch, magic 2,
// exactly one (INVALID_RECORD otherwise, with Kafka's messages); then
// Validate() with `options`. zstd before Produce v7 is the handler's check.
absl::StatusOr<RecordBatchView> ParseProduceBatch(
    Bytes records, std::vector<uint8_t>& scratch,
    const ValidateOptions& options = {});

// ---- In-place edits (a broker assigning offsets and stamping appends) ----

// baseOffset and partitionLeaderEpoch are outside the CRC: patched as is.
absl::Status SetBaseOffset(std::span<uint8_t> batch, int64_t base_offset);
absl::Status SetPartitionLeaderEpoch(std::span<uint8_t> batch, int32_t epoch);
// For LogAppendTime topics: sets timestamp type bit 3 and maxTimestamp, and
// recomputes the CRC (as Kafka's DefaultRecordBatch.setMaxTimestamp).
absl::Status SetLogAppendTime(std::span<uint8_t> batch, int64_t timestamp);

// ---- Builder ----

struct RecordHeaderInput {
  std::string_view key;
  std::optional<Bytes> value;
};

struct RecordInput {
  int64_t timestamp = 0;
  std::optional<Bytes> key;
  std::optional<Bytes> value;
  std::span<const RecordHeaderInput> headers;
};

struct BatchBuildOptions {
  int64_t base_offset = 0;
  int32_t partition_leader_epoch = -1;
  CompressionCodec codec = CompressionCodec::kNone;
  CompressOptions compress;
  TimestampType timestamp_type = TimestampType::kCreateTime;
  // maxTimestamp for kLogAppendTime (records keep their own timestamps).
  int64_t log_append_time = -1;
  bool transactional = false;
  bool control = false;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
};

// Appends one batch holding `records` (offset deltas 0..n-1, baseTimestamp
// = the first record's timestamp) to `out`, CRC computed. InvalidArgument
// for no records or a batch past 2 GiB.
absl::Status AppendRecordBatch(std::span<const RecordInput> records,
                               const BatchBuildOptions& options,
                               std::vector<uint8_t>& out);

}  // namespace kop::protocol

#endif  // KOP_PROTOCOL_RECORD_BATCH_H_
