#include "kop/protocol/record_batch.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "kop/protocol/crc32c.h"

namespace kop::protocol {
namespace {

// Kafka's LegacyRecord.RECORD_OVERHEAD_V0: the smallest batchLength
// ByteBufferLogInputStream accepts before it looks at the magic.
constexpr int32_t kMinRecordOverheadV0 = 14;

template <typename T>
void StoreBe(uint8_t* p, T value) {
  using U = std::make_unsigned_t<T>;
  const U v = static_cast<U>(value);
  for (size_t i = 0; i < sizeof(T); ++i) {
    p[i] = static_cast<uint8_t>(v >> (8 * (sizeof(T) - 1 - i)));
  }
}

int32_t LoadBe32(const uint8_t* p) {
  return static_cast<int32_t>((uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) |
                              (uint32_t{p[2]} << 8) | uint32_t{p[3]});
}

absl::Status Prefixed(const absl::Status& s, size_t at) {
  return absl::Status(s.code(),
                      absl::StrCat("batch at byte ", at, ": ", s.message()));
}

absl::Status MagicError(int8_t magic) {
  if (magic < 0 || magic > kMagicV2) {
    return absl::DataLossError(
        absl::StrCat("Invalid magic found in record: ", magic));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "record batches must have magic version 2, found ", magic,
      " (message formats v0/v1 were removed in Kafka 4, KIP-724)"));
}

absl::Status CheckBatchEditable(std::span<uint8_t> batch) {
  if (batch.size() < kRecordBatchOverhead) {
    return absl::InvalidArgumentError(
        absl::StrCat("a v2 batch has at least ", kRecordBatchOverhead,
                     " bytes, got ", batch.size()));
  }
  if (static_cast<int8_t>(batch[kBatchMagicOffset]) != kMagicV2) {
    return MagicError(static_cast<int8_t>(batch[kBatchMagicOffset]));
  }
  return absl::OkStatus();
}

}  // namespace

int16_t RecordsKafkaError(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return Code(ErrorCode::NONE);
    case absl::StatusCode::kDataLoss:
      return Code(ErrorCode::CORRUPT_MESSAGE);
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kResourceExhausted:
      return Code(ErrorCode::INVALID_RECORD);
    case absl::StatusCode::kUnimplemented:
      return Code(ErrorCode::UNSUPPORTED_COMPRESSION_TYPE);
    default:
      return Code(ErrorCode::UNKNOWN_SERVER_ERROR);
  }
}

// ---- Record headers ----

RecordHeaderIterator::RecordHeaderIterator(Bytes encoded, int32_t count)
    : reader_(encoded), left_(count), done_(false) {
  Advance();
}

void RecordHeaderIterator::Advance() {
  // The bytes were validated by RecordIterator; the checks stay so that a
  // hand-made range cannot read out of bounds either.
  if (left_ <= 0 || !reader_.ok()) {
    done_ = true;
    return;
  }
  --left_;
  const int32_t key_len = reader_.ReadVarint();
  if (key_len < 0) reader_.Fail("negative header key length");
  Bytes key = reader_.ReadSpan(key_len < 0 ? 0 : static_cast<size_t>(key_len));
  const int32_t value_len = reader_.ReadVarint();
  if (value_len < -1) reader_.Fail("bad header value length");
  current_.key =
      std::string_view(reinterpret_cast<const char*>(key.data()), key.size());
  current_.value.reset();
  if (value_len >= 0) current_.value = reader_.ReadSpan(value_len);
  if (!reader_.ok()) done_ = true;
}

// ---- Records ----

RecordIterator::RecordIterator(Bytes records, int32_t count)
    : records_(records), count_(count) {
  if (count < 0) {
    status_ = absl::InvalidArgumentError(
        absl::StrCat("Found invalid record count ", count));
  }
}

bool RecordIterator::Fail(size_t at, const std::string& what) {
  status_ = absl::InvalidArgumentError(absl::StrCat(
      "record ", read_, " at byte ", at, " of the records: ", what));
  return false;
}

bool RecordIterator::Next(RecordView& out) {
  if (!status_.ok()) return false;
  const size_t start = pos_;
  if (read_ == count_) {
    if (pos_ != records_.size()) {
      status_ = absl::InvalidArgumentError(absl::StrCat(
          records_.size() - pos_, " bytes remain after the last of the ",
          count_, " records the batch declares"));
    }
    return false;
  }
  if (pos_ == records_.size()) {
    status_ = absl::InvalidArgumentError(absl::StrCat(
        "the batch declares ", count_, " records but holds ", read_));
    return false;
  }
  Reader r(records_.subspan(pos_));
  const int32_t length = r.ReadVarint();
  if (!r.ok()) return Fail(start, "record length: " + r.error().what);
  if (length < 0 || static_cast<size_t>(length) > r.remaining()) {
    return Fail(start, absl::StrCat("record length ", length, ", ",
                                    r.remaining(), " bytes remain"));
  }
  const size_t body_at = start + r.position();
  Reader f(r.ReadSpan(static_cast<size_t>(length)));
  out.attributes = f.ReadInt8();
  out.timestamp_delta = f.ReadVarlong();
  out.offset_delta = f.ReadVarint();
  const int32_t key_len = f.ReadVarint();
  if (f.ok() && key_len < -1) f.Fail(absl::StrCat("key length ", key_len));
  out.key.reset();
  if (key_len >= 0) out.key = f.ReadSpan(static_cast<size_t>(key_len));
  const int32_t value_len = f.ReadVarint();
  if (f.ok() && value_len < -1) {
    f.Fail(absl::StrCat("value length ", value_len));
  }
  out.value.reset();
  if (value_len >= 0) out.value = f.ReadSpan(static_cast<size_t>(value_len));
  const int32_t headers = f.ReadVarint();
  if (f.ok() && headers < 0) f.Fail(absl::StrCat("header count ", headers));
  const size_t headers_at = f.position();
  for (int32_t i = 0; i < headers && f.ok(); ++i) {
    const int32_t hk = f.ReadVarint();
    if (f.ok() && hk < 0) {
      f.Fail(absl::StrCat("header ", i, " key length ", hk));
    }
    f.Skip(static_cast<size_t>(std::max(hk, 0)));
    const int32_t hv = f.ReadVarint();
    if (f.ok() && hv < -1) {
      f.Fail(absl::StrCat("header ", i, " value length ", hv));
    }
    if (hv > 0) f.Skip(static_cast<size_t>(hv));
  }
  if (!f.ok()) {
    return Fail(body_at + f.error().offset, f.error().what);
  }
  if (f.remaining() != 0) {
    // Kafka: "Invalid record size: expected to read N bytes in record
    // payload, but instead read M".
    return Fail(
        start,
        absl::StrCat("record length ", length, " but its fields use ",
                     static_cast<size_t>(length) - f.remaining(), " bytes"));
  }
  out.headers_count = headers;
  Bytes body = records_.subspan(body_at, static_cast<size_t>(length));
  out.headers_encoded = body.subspan(headers_at, f.position() - headers_at);
  out.encoded = records_.subspan(start, body_at - start + length);
  pos_ = body_at + static_cast<size_t>(length);
  ++read_;
  return true;
}

// ---- Batches ----

absl::StatusOr<RecordBatchView> RecordBatchView::Parse(Bytes batch) {
  if (batch.size() < kLogOverhead) {
    return absl::DataLossError(
        absl::StrCat("batch of ", batch.size(), " bytes is shorter than its ",
                     kLogOverhead, "-byte log overhead"));
  }
  RecordBatchHeader h;
  Reader r(batch);
  h.base_offset = r.ReadInt64();
  h.batch_length = r.ReadInt32();
  if (h.batch_length < 0 ||
      static_cast<size_t>(h.batch_length) != batch.size() - kLogOverhead) {
    return absl::DataLossError(
        absl::StrCat("batchLength ", h.batch_length, " disagrees with the ",
                     batch.size() - kLogOverhead, " bytes after it"));
  }
  if (batch.size() <= kBatchMagicOffset) {
    return absl::DataLossError(absl::StrCat("batch of ", batch.size(),
                                            " bytes ends before its magic"));
  }
  const int8_t magic = static_cast<int8_t>(batch[kBatchMagicOffset]);
  if (magic != kMagicV2) return MagicError(magic);
  if (batch.size() < kRecordBatchOverhead) {
    return absl::DataLossError(
        absl::StrCat("Record batch is corrupt (the size ", batch.size(),
                     " is smaller than the minimum allowed overhead ",
                     kRecordBatchOverhead, ")"));
  }
  h.partition_leader_epoch = r.ReadInt32();
  h.magic = r.ReadInt8();
  h.crc = r.ReadUint32();
  h.attributes = r.ReadInt16();
  h.last_offset_delta = r.ReadInt32();
  h.base_timestamp = r.ReadInt64();
  h.max_timestamp = r.ReadInt64();
  h.producer_id = r.ReadInt64();
  h.producer_epoch = r.ReadInt16();
  h.base_sequence = r.ReadInt32();
  h.records_count = r.ReadInt32();
  if (!r.ok()) {  // unreachable after the size check; kept as a guard
    return absl::DataLossError("batch header: " + r.error().what);
  }
  if (!CompressionCodecFromId(h.codec_id())) {
    return absl::UnimplementedError(
        absl::StrCat("unknown compression type id ", h.codec_id()));
  }
  return RecordBatchView(batch, h);
}

uint32_t RecordBatchView::ComputeCrc() const {
  return Crc32c(bytes_.subspan(kBatchAttributesOffset));
}

absl::Status RecordBatchView::CheckCrc() const {
  const uint32_t computed = ComputeCrc();
  if (computed != header_.crc) {
    return absl::DataLossError(
        absl::StrCat("Record is corrupt (stored crc = ", header_.crc,
                     ", computed crc = ", computed, ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Bytes> RecordBatchView::Uncompressed(
    std::vector<uint8_t>& scratch, size_t max_uncompressed_bytes) const {
  if (!compressed()) return payload();
  absl::Status s =
      Decompress(codec(), payload(), max_uncompressed_bytes, scratch);
  if (!s.ok()) {
    // Undecodable data is corrupt; past the limit keeps its own code.
    if (s.code() == absl::StatusCode::kResourceExhausted) return s;
    return absl::DataLossError(s.message());
  }
  return Bytes(scratch);
}

absl::Status RecordBatchView::Validate(std::vector<uint8_t>& scratch,
                                       const ValidateOptions& options) const {
  if (absl::Status s = CheckCrc(); !s.ok()) return s;
  const RecordBatchHeader& h = header_;
  const int64_t count = h.records_count;
  if (count < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("Found invalid record count ", count));
  }
  if (options.strict_offsets) {
    // Kafka's LogValidator.validateBatch.
    if (count == 0) {
      return absl::InvalidArgumentError(
          "Invalid reported count for record batch: 0");
    }
    if (int64_t{h.last_offset_delta} + 1 != count) {
      return absl::InvalidArgumentError(
          absl::StrCat("Inconsistent batch offset range [", h.base_offset, ", ",
                       h.last_offset(), "] and count of records ", count));
    }
  } else if (int64_t{h.last_offset_delta} + 1 < count) {
    return absl::InvalidArgumentError(
        absl::StrCat("lastOffsetDelta ", h.last_offset_delta, " cannot cover ",
                     count, " records"));
  }
  absl::StatusOr<Bytes> records =
      Uncompressed(scratch, options.max_uncompressed_bytes);
  if (!records.ok()) return records.status();
  RecordIterator it = Records(*records);
  RecordView r;
  int64_t previous = -1;
  while (it.Next(r)) {
    const int64_t index = it.records_read() - 1;
    const bool ok = options.strict_offsets
                        ? r.offset_delta == index
                        : r.offset_delta > previous &&
                              r.offset_delta <= h.last_offset_delta;
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat(
          "record ", index, " has offsetDelta ", r.offset_delta,
          options.strict_offsets
              ? absl::StrCat(", expected ", index)
              : absl::StrCat(" after ", previous, ", lastOffsetDelta ",
                             h.last_offset_delta)));
    }
    previous = r.offset_delta;
  }
  return it.status();
}

// ---- Splitting ----

absl::StatusOr<std::optional<RecordBatchView>> BatchCursor::Next() {
  const size_t remaining = records_.size() - pos_;
  if (remaining < kLogOverhead) return std::nullopt;  // end, or partial
  const uint8_t* p = records_.data() + pos_;
  const int32_t length = LoadBe32(p + 8);
  // ByteBufferLogInputStream.nextBatchSize's order: size, then magic.
  if (length < kMinRecordOverheadV0) {
    return Prefixed(absl::DataLossError(absl::StrCat(
                        "Record size ", length,
                        " is less than the minimum record overhead (",
                        kMinRecordOverheadV0, ")")),
                    pos_);
  }
  if (remaining <= kBatchMagicOffset) return std::nullopt;
  const int8_t magic = static_cast<int8_t>(p[kBatchMagicOffset]);
  if (magic != kMagicV2) return Prefixed(MagicError(magic), pos_);
  if (static_cast<size_t>(length) > remaining - kLogOverhead) {
    return std::nullopt;  // a partial batch: legal at the end of fetch data
  }
  absl::StatusOr<RecordBatchView> batch =
      RecordBatchView::Parse(records_.subspan(pos_, kLogOverhead + length));
  if (!batch.ok()) return Prefixed(batch.status(), pos_);
  pos_ += kLogOverhead + static_cast<size_t>(length);
  return *batch;
}

absl::StatusOr<SplitRecords> SplitBatches(Bytes records) {
  SplitRecords out;
  BatchCursor cursor(records);
  while (true) {
    absl::StatusOr<std::optional<RecordBatchView>> next = cursor.Next();
    if (!next.ok()) return next.status();
    if (!next->has_value()) break;
    out.batches.push_back(**next);
  }
  out.partial = cursor.partial();
  return out;
}

absl::StatusOr<RecordBatchView> ParseProduceBatch(
    Bytes records, std::vector<uint8_t>& scratch,
    const ValidateOptions& options) {
  BatchCursor cursor(records);
  absl::StatusOr<std::optional<RecordBatchView>> first = cursor.Next();
  if (!first.ok()) {
    if (first.status().code() == absl::StatusCode::kInvalidArgument) {
      return absl::InvalidArgumentError(
          "Produce requests are only allowed to contain record batches with "
          "magic version 2");
    }
    return first.status();
  }
  if (!first->has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Produce requests must have at least one record batch per partition (",
        records.size(), " bytes hold no complete batch)"));
  }
  if (cursor.position() != records.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Produce requests are only allowed to contain exactly one record "
        "batch per partition (",
        records.size() - cursor.position(), " bytes follow the first)"));
  }
  const RecordBatchView& batch = **first;
  if (absl::Status s = batch.Validate(scratch, options); !s.ok()) return s;
  return batch;
}

// ---- In-place edits ----

absl::Status SetBaseOffset(std::span<uint8_t> batch, int64_t base_offset) {
  if (absl::Status s = CheckBatchEditable(batch); !s.ok()) return s;
  StoreBe<int64_t>(batch.data(), base_offset);
  return absl::OkStatus();
}

absl::Status SetPartitionLeaderEpoch(std::span<uint8_t> batch, int32_t epoch) {
  if (absl::Status s = CheckBatchEditable(batch); !s.ok()) return s;
  StoreBe<int32_t>(batch.data() + kBatchPartitionLeaderEpochOffset, epoch);
  return absl::OkStatus();
}

absl::Status SetLogAppendTime(std::span<uint8_t> batch, int64_t timestamp) {
  if (absl::Status s = CheckBatchEditable(batch); !s.ok()) return s;
  uint8_t* attr = batch.data() + kBatchAttributesOffset;
  const int16_t attributes =
      static_cast<int16_t>((attr[0] << 8) | attr[1] | kAttrTimestampType);
  StoreBe<int16_t>(attr, attributes);
  StoreBe<int64_t>(batch.data() + kBatchMaxTimestampOffset, timestamp);
  StoreBe<uint32_t>(
      batch.data() + kBatchCrcOffset,
      Crc32c(std::span<const uint8_t>(batch).subspan(kBatchAttributesOffset)));
  return absl::OkStatus();
}

// ---- Builder ----

namespace {

constexpr size_t kInt32Max = std::numeric_limits<int32_t>::max();

size_t NullableSize(const std::optional<Bytes>& b) {
  return b ? VarintSize(static_cast<int32_t>(b->size())) + b->size()
           : VarintSize(-1);
}

void WriteNullable(Writer& w, const std::optional<Bytes>& b) {
  if (!b) {
    w.WriteVarint(-1);
    return;
  }
  w.WriteVarint(static_cast<int32_t>(b->size()));
  w.WriteSpan(*b);
}

bool FitsInt32(const std::optional<Bytes>& b) {
  return !b || b->size() <= kInt32Max;
}

}  // namespace

absl::Status AppendRecordBatch(std::span<const RecordInput> records,
                               const BatchBuildOptions& options,
                               std::vector<uint8_t>& out) {
  if (records.empty()) {
    return absl::InvalidArgumentError(
        "a record batch needs at least one record");
  }
  if (records.size() > kInt32Max) {
    return absl::InvalidArgumentError("too many records for one batch");
  }
  const size_t start = out.size();
  const int64_t base_timestamp = records[0].timestamp;
  int64_t max_timestamp = base_timestamp;

  std::vector<uint8_t> raw;
  const bool compressed = options.codec != CompressionCodec::kNone;
  out.resize(start + kRecordBatchOverhead);
  std::vector<uint8_t>& dst = compressed ? raw : out;
  Writer w(dst);
  for (size_t i = 0; i < records.size(); ++i) {
    const RecordInput& rec = records[i];
    if (!FitsInt32(rec.key) || !FitsInt32(rec.value) ||
        rec.headers.size() > kInt32Max) {
      out.resize(start);
      return absl::InvalidArgumentError(
          absl::StrCat("record ", i, " has a field past 2 GiB"));
    }
    max_timestamp = std::max(max_timestamp, rec.timestamp);
    // Deltas wrap like Kafka's long arithmetic; readers add them back.
    const int64_t ts_delta =
        static_cast<int64_t>(static_cast<uint64_t>(rec.timestamp) -
                             static_cast<uint64_t>(base_timestamp));
    const int32_t offset_delta = static_cast<int32_t>(i);
    size_t body = 1 + VarlongSize(ts_delta) + VarintSize(offset_delta) +
                  NullableSize(rec.key) + NullableSize(rec.value) +
                  VarintSize(static_cast<int32_t>(rec.headers.size()));
    for (const RecordHeaderInput& h : rec.headers) {
      if (h.key.size() > kInt32Max || !FitsInt32(h.value)) {
        out.resize(start);
        return absl::InvalidArgumentError(
            absl::StrCat("record ", i, " has a header past 2 GiB"));
      }
      body += VarintSize(static_cast<int32_t>(h.key.size())) + h.key.size() +
              NullableSize(h.value);
    }
    if (body > kInt32Max) {
      out.resize(start);
      return absl::InvalidArgumentError(
          absl::StrCat("record ", i, " is past 2 GiB"));
    }
    w.WriteVarint(static_cast<int32_t>(body));
    w.WriteInt8(0);
    w.WriteVarlong(ts_delta);
    w.WriteVarint(offset_delta);
    WriteNullable(w, rec.key);
    WriteNullable(w, rec.value);
    w.WriteVarint(static_cast<int32_t>(rec.headers.size()));
    for (const RecordHeaderInput& h : rec.headers) {
      w.WriteVarint(static_cast<int32_t>(h.key.size()));
      w.WriteSpan(h.key);
      WriteNullable(w, h.value);
    }
  }
  if (compressed) {
    absl::Status s = Compress(options.codec, raw, out, options.compress);
    if (!s.ok()) {
      out.resize(start);
      return s;
    }
  }
  const size_t batch_length = out.size() - start - kLogOverhead;
  if (batch_length > kInt32Max) {
    out.resize(start);
    return absl::InvalidArgumentError("record batch is past 2 GiB");
  }
  int16_t attributes = static_cast<int16_t>(options.codec) & kAttrCodecMask;
  if (options.timestamp_type == TimestampType::kLogAppendTime) {
    attributes |= kAttrTimestampType;
    max_timestamp = options.log_append_time;
  }
  if (options.transactional) attributes |= kAttrTransactional;
  if (options.control) attributes |= kAttrControl;

  uint8_t* h = out.data() + start;
  StoreBe<int64_t>(h + 0, options.base_offset);
  StoreBe<int32_t>(h + 8, static_cast<int32_t>(batch_length));
  StoreBe<int32_t>(h + 12, options.partition_leader_epoch);
  h[16] = static_cast<uint8_t>(kMagicV2);
  StoreBe<int16_t>(h + 21, attributes);
  StoreBe<int32_t>(h + 23, static_cast<int32_t>(records.size() - 1));
  StoreBe<int64_t>(h + 27, base_timestamp);
  StoreBe<int64_t>(h + 35, max_timestamp);
  StoreBe<int64_t>(h + 43, options.producer_id);
  StoreBe<int16_t>(h + 51, options.producer_epoch);
  StoreBe<int32_t>(h + 53, options.base_sequence);
  StoreBe<int32_t>(h + 57, static_cast<int32_t>(records.size()));
  const uint32_t crc = Crc32c(
      std::span<const uint8_t>(out).subspan(start + kBatchAttributesOffset));
  StoreBe<uint32_t>(h + kBatchCrcOffset, crc);
  return absl::OkStatus();
}

}  // namespace kop::protocol
