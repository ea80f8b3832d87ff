#include "kop/protocol/record_batch.h"

#include <catch2/catch.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "kop/protocol/crc32c.h"

namespace kop::protocol {
namespace {

using Buf = std::vector<uint8_t>;

Bytes B(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
std::string S(Bytes b) { return std::string(b.begin(), b.end()); }

constexpr CompressionCodec kCodecs[] = {
    CompressionCodec::kNone, CompressionCodec::kGzip, CompressionCodec::kSnappy,
    CompressionCodec::kLz4, CompressionCodec::kZstd};

// Storage for records' headers so RecordInput spans stay valid.
struct Sample {
  std::vector<std::vector<RecordHeaderInput>> headers;
  std::vector<std::string> values;
  std::vector<RecordInput> records;
};

Sample MakeSample(int n) {
  Sample s;
  s.headers.resize(n);
  s.values.resize(n);
  for (int i = 0; i < n; ++i) {
    s.values[i] = "value-" + std::to_string(i) + std::string(i * 7, 'v');
    if (i % 3 == 1) {
      s.headers[i] = {{"trace", B("abc")}, {"null-header", std::nullopt}};
    }
  }
  for (int i = 0; i < n; ++i) {
    RecordInput r;
    r.timestamp = 1700000000000 + (i % 4 == 3 ? -5 : i * 10);
    if (i % 5 != 2) r.key = B(i % 2 ? "key-odd" : "");
    if (i % 7 != 4) r.value = B(s.values[i]);
    r.headers = s.headers[i];
    s.records.push_back(r);
  }
  return s;
}

Buf Build(const Sample& s, CompressionCodec codec = CompressionCodec::kNone,
          BatchBuildOptions opts = {}) {
  Buf out;
  opts.codec = codec;
  REQUIRE(AppendRecordBatch(s.records, opts, out).ok());
  return out;
}

void FixCrc(Buf& batch) {
  const uint32_t crc = Crc32c(Bytes(batch).subspan(kBatchAttributesOffset));
  for (int i = 0; i < 4; ++i) {
    batch[kBatchCrcOffset + i] = static_cast<uint8_t>(crc >> (24 - 8 * i));
  }
}

void PutBe32(Buf& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    b[at + i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}

absl::Status ValidateBytes(Bytes bytes, ValidateOptions opts = {}) {
  absl::StatusOr<RecordBatchView> v = RecordBatchView::Parse(bytes);
  if (!v.ok()) return v.status();
  Buf scratch;
  return v->Validate(scratch, opts);
}

TEST_CASE("record batch: build, parse, records equal", "[record_batch]") {
  Sample s = MakeSample(25);
  for (CompressionCodec codec : kCodecs) {
    INFO(CompressionCodecName(codec));
    BatchBuildOptions opts;
    opts.base_offset = 1000;
    opts.partition_leader_epoch = 7;
    opts.producer_id = 99;
    opts.producer_epoch = 3;
    opts.base_sequence = 12;
    opts.transactional = true;
    Buf batch = Build(s, codec, opts);
    auto view = RecordBatchView::Parse(batch);
    REQUIRE(view.ok());
    const RecordBatchHeader& h = view->header();
    CHECK(h.base_offset == 1000);
    CHECK(h.batch_length == static_cast<int32_t>(batch.size() - 12));
    CHECK(h.partition_leader_epoch == 7);
    CHECK(h.magic == 2);
    CHECK(h.codec_id() == static_cast<int>(codec));
    CHECK(h.is_transactional());
    CHECK_FALSE(h.is_control());
    CHECK(h.timestamp_type() == TimestampType::kCreateTime);
    CHECK(h.last_offset_delta == 24);
    CHECK(h.last_offset() == 1024);
    CHECK(h.base_timestamp == 1700000000000);
    CHECK(h.max_timestamp == 1700000000000 + 240);
    CHECK(h.producer_id == 99);
    CHECK(h.producer_epoch == 3);
    CHECK(h.base_sequence == 12);
    CHECK(h.records_count == 25);
    Buf scratch;
    REQUIRE(view->Validate(scratch).ok());

    auto payload = view->Uncompressed(scratch);
    REQUIRE(payload.ok());
    RecordIterator it = view->Records(*payload);
    RecordView r;
    int i = 0;
    while (it.Next(r)) {
      const RecordInput& want = s.records[i];
      CHECK(r.offset_delta == i);
      CHECK(h.base_timestamp + r.timestamp_delta == want.timestamp);
      REQUIRE(r.key.has_value() == want.key.has_value());
      if (r.key) CHECK(S(*r.key) == S(*want.key));
      REQUIRE(r.value.has_value() == want.value.has_value());
      if (r.value) CHECK(S(*r.value) == S(*want.value));
      REQUIRE(r.headers_count == static_cast<int32_t>(want.headers.size()));
      size_t j = 0;
      for (const RecordHeaderView& hv : r.headers()) {
        REQUIRE(j < want.headers.size());
        CHECK(hv.key == want.headers[j].key);
        REQUIRE(hv.value.has_value() == want.headers[j].value.has_value());
        if (hv.value) CHECK(S(*hv.value) == S(*want.headers[j].value));
        ++j;
      }
      CHECK(j == want.headers.size());
      ++i;
    }
    CHECK(it.status().ok());
    CHECK(i == 25);
  }
}

TEST_CASE("record batch: a flipped bit after the CRC field is detected",
          "[record_batch]") {
  Sample s = MakeSample(6);
  for (CompressionCodec codec :
       {CompressionCodec::kNone, CompressionCodec::kLz4}) {
    Buf batch = Build(s, codec);
    for (size_t byte = kBatchCrcOffset; byte < batch.size(); ++byte) {
      for (int bit = 0; bit < 8; ++bit) {
        Buf bad = batch;
        bad[byte] ^= static_cast<uint8_t>(1 << bit);
        absl::Status st = ValidateBytes(bad);
        INFO("byte " << byte << " bit " << bit << ": " << st.message());
        REQUIRE_FALSE(st.ok());
        // The codec bits may turn into 5-7 (UNSUPPORTED_COMPRESSION_TYPE);
        // everything else is a CRC mismatch.
        if (st.code() != absl::StatusCode::kUnimplemented) {
          REQUIRE(st.code() == absl::StatusCode::kDataLoss);
          REQUIRE(RecordsKafkaError(st) == Code(ErrorCode::CORRUPT_MESSAGE));
        }
      }
    }
    // baseOffset and partitionLeaderEpoch are outside the CRC.
    Buf moved = batch;
    REQUIRE(SetBaseOffset(moved, 123456789).ok());
    REQUIRE(SetPartitionLeaderEpoch(moved, 42).ok());
    REQUIRE(ValidateBytes(moved).ok());
    auto view = RecordBatchView::Parse(moved);
    REQUIRE(view.ok());
    CHECK(view->header().base_offset == 123456789);
    CHECK(view->header().partition_leader_epoch == 42);
  }
}

TEST_CASE("record batch: truncation at every length fails cleanly",
          "[record_batch]") {
  Sample s = MakeSample(5);
  for (CompressionCodec codec : kCodecs) {
    Buf batch = Build(s, codec);
    for (size_t len = 0; len < batch.size(); ++len) {
      Bytes prefix = Bytes(batch).first(len);
      CHECK_FALSE(RecordBatchView::Parse(prefix).ok());
      // In fetch data the prefix is a partial trailing batch, not an error.
      auto split = SplitBatches(prefix);
      if (len < kLogOverhead || len > kBatchMagicOffset) {
        REQUIRE(split.ok());
        CHECK(split->batches.empty());
        CHECK(split->partial.size() == len);
      }
      // A batch whose batchLength is patched to the prefix is corrupt.
      if (len >= kRecordBatchOverhead) {
        Buf cut(prefix.begin(), prefix.end());
        PutBe32(cut, 8, static_cast<uint32_t>(len - 12));
        CHECK_FALSE(ValidateBytes(cut).ok());
        FixCrc(cut);
        absl::Status st = ValidateBytes(cut);
        CHECK_FALSE(st.ok());
        CHECK(RecordsKafkaError(st) != Code(ErrorCode::NONE));
      }
    }
  }
}

TEST_CASE("record batch: split fetch data with a partial tail",
          "[record_batch]") {
  Sample s = MakeSample(4);
  Buf data;
  std::vector<size_t> starts;
  for (CompressionCodec codec : kCodecs) {
    starts.push_back(data.size());
    BatchBuildOptions opts;
    opts.base_offset = static_cast<int64_t>(starts.size() * 4);
    opts.codec = codec;
    REQUIRE(AppendRecordBatch(s.records, opts, data).ok());
  }
  auto all = SplitBatches(data);
  REQUIRE(all.ok());
  REQUIRE(all->batches.size() == 5);
  CHECK(all->partial.empty());
  for (size_t i = 0; i < 5; ++i) {
    CHECK(all->batches[i].bytes().data() == data.data() + starts[i]);
    Buf scratch;
    CHECK(all->batches[i].Validate(scratch).ok());
  }
  // Cut anywhere inside the last batch: four batches and a partial tail.
  for (size_t cut = starts[4] + 1; cut < data.size(); ++cut) {
    auto split = SplitBatches(Bytes(data).first(cut));
    if (cut - starts[4] > kBatchMagicOffset || cut - starts[4] < kLogOverhead) {
      REQUIRE(split.ok());
      CHECK(split->batches.size() == 4);
      CHECK(split->partial.size() == cut - starts[4]);
    }
  }
}

TEST_CASE("record batch: wrong record count and offsets", "[record_batch]") {
  Sample s = MakeSample(5);
  for (CompressionCodec codec :
       {CompressionCodec::kNone, CompressionCodec::kZstd}) {
    Buf batch = Build(s, codec);
    for (int32_t count : {0, 4, 6, 1000000, -1}) {
      Buf bad = batch;
      PutBe32(bad, 57, static_cast<uint32_t>(count));
      FixCrc(bad);
      absl::Status st = ValidateBytes(bad);
      INFO("count " << count << ": " << st.message());
      CHECK(st.code() == absl::StatusCode::kInvalidArgument);
      CHECK(RecordsKafkaError(st) == Code(ErrorCode::INVALID_RECORD));
      // Count and lastOffsetDelta agreeing, but not the records.
      if (count > 0) {
        PutBe32(bad, 23, static_cast<uint32_t>(count - 1));
        FixCrc(bad);
        CHECK(RecordsKafkaError(ValidateBytes(bad)) ==
              Code(ErrorCode::INVALID_RECORD));
      }
    }
    Buf bad_delta = batch;
    PutBe32(bad_delta, 23, 9);
    FixCrc(bad_delta);
    CHECK(RecordsKafkaError(ValidateBytes(bad_delta)) ==
          Code(ErrorCode::INVALID_RECORD));
    // A compacted log's batch: lastOffsetDelta past the count is fine when
    // not strict.
    ValidateOptions lenient;
    lenient.strict_offsets = false;
    CHECK(ValidateBytes(bad_delta, lenient).ok());
  }
}

TEST_CASE("record batch: corrupt records behind a valid CRC",
          "[record_batch]") {
  Sample s = MakeSample(3);
  Buf batch = Build(s);
  // Record 0's length varint is the first payload byte: make it huge, or
  // negative, or off by one.
  for (uint8_t first : {0x7E, 0x01, 0x00, 0x02, 0xFF}) {
    Buf bad = batch;
    bad[kRecordBatchOverhead] = first;
    FixCrc(bad);
    absl::Status st = ValidateBytes(bad);
    CHECK(RecordsKafkaError(st) == Code(ErrorCode::INVALID_RECORD));
  }
  // Garbage everywhere in the payload must never crash.
  for (size_t at = kRecordBatchOverhead; at < batch.size(); ++at) {
    for (uint8_t v : {0x00, 0x7F, 0x80, 0xFF}) {
      Buf bad = batch;
      bad[at] = v;
      FixCrc(bad);
      (void)ValidateBytes(bad);
    }
  }
}

TEST_CASE("record batch: magic, codec and error codes", "[record_batch]") {
  Sample s = MakeSample(2);
  Buf batch = Build(s);
  Buf v1 = batch;
  v1[kBatchMagicOffset] = 1;
  CHECK(RecordsKafkaError(ValidateBytes(v1)) ==
        Code(ErrorCode::INVALID_RECORD));
  CHECK(RecordsKafkaError(SplitBatches(v1).status()) ==
        Code(ErrorCode::INVALID_RECORD));
  Buf v3 = batch;
  v3[kBatchMagicOffset] = 3;
  CHECK(RecordsKafkaError(ValidateBytes(v3)) ==
        Code(ErrorCode::CORRUPT_MESSAGE));
  CHECK(RecordsKafkaError(SplitBatches(v3).status()) ==
        Code(ErrorCode::CORRUPT_MESSAGE));
  Buf codec = batch;
  codec[kBatchAttributesOffset + 1] |= 0x05;
  FixCrc(codec);
  CHECK(RecordsKafkaError(ValidateBytes(codec)) ==
        Code(ErrorCode::UNSUPPORTED_COMPRESSION_TYPE));
  Buf tiny(12, 0);
  PutBe32(tiny, 8, 3);
  CHECK(RecordsKafkaError(SplitBatches(tiny).status()) ==
        Code(ErrorCode::CORRUPT_MESSAGE));
  CHECK(RecordsKafkaError(absl::OkStatus()) == Code(ErrorCode::NONE));
}

TEST_CASE("record batch: produce takes exactly one batch", "[record_batch]") {
  Sample s = MakeSample(3);
  Buf batch = Build(s, CompressionCodec::kSnappy);
  Buf scratch;
  auto one = ParseProduceBatch(batch, scratch);
  REQUIRE(one.ok());
  CHECK(one->header().records_count == 3);
  Buf two = batch;
  two.insert(two.end(), batch.begin(), batch.end());
  CHECK(RecordsKafkaError(ParseProduceBatch(two, scratch).status()) ==
        Code(ErrorCode::INVALID_RECORD));
  CHECK(RecordsKafkaError(ParseProduceBatch({}, scratch).status()) ==
        Code(ErrorCode::INVALID_RECORD));
  Buf v0 = batch;
  v0[kBatchMagicOffset] = 0;
  auto legacy = ParseProduceBatch(v0, scratch);
  CHECK(RecordsKafkaError(legacy.status()) == Code(ErrorCode::INVALID_RECORD));
  CHECK(legacy.status().message().find("magic version 2") != std::string::npos);
}

TEST_CASE("record batch: a compressed bomb is refused", "[record_batch]") {
  std::string big(4 << 20, 'z');
  RecordInput r;
  r.value = B(big);
  Buf batch;
  BatchBuildOptions opts;
  opts.codec = CompressionCodec::kZstd;
  REQUIRE(AppendRecordBatch({&r, 1}, opts, batch).ok());
  CHECK(batch.size() < 4096);
  ValidateOptions small;
  small.max_uncompressed_bytes = 1 << 20;
  absl::Status st = ValidateBytes(batch, small);
  CHECK(st.code() == absl::StatusCode::kResourceExhausted);
  CHECK(RecordsKafkaError(st) == Code(ErrorCode::INVALID_RECORD));
  CHECK(ValidateBytes(batch).ok());
}

TEST_CASE("record batch: log append time recomputes the CRC",
          "[record_batch]") {
  Sample s = MakeSample(3);
  Buf batch = Build(s);
  REQUIRE(SetLogAppendTime(batch, 1800000000000).ok());
  REQUIRE(ValidateBytes(batch).ok());
  auto view = RecordBatchView::Parse(batch);
  REQUIRE(view.ok());
  CHECK(view->header().timestamp_type() == TimestampType::kLogAppendTime);
  CHECK(view->header().max_timestamp == 1800000000000);
  Buf small(20, 0);
  CHECK_FALSE(SetBaseOffset(small, 1).ok());

  BatchBuildOptions opts;
  opts.timestamp_type = TimestampType::kLogAppendTime;
  opts.log_append_time = 5;
  opts.control = true;
  Buf built = Build(s, CompressionCodec::kNone, opts);
  auto v2 = RecordBatchView::Parse(built);
  REQUIRE(v2.ok());
  CHECK(v2->header().max_timestamp == 5);
  CHECK(v2->header().is_control());
  CHECK(v2->header().timestamp_type() == TimestampType::kLogAppendTime);
  Buf none;
  CHECK_FALSE(AppendRecordBatch({}, {}, none).ok());
}

}  // namespace
}  // namespace kop::protocol
