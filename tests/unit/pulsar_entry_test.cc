// Kafka batches through Pulsar entries and back, in both entry formats, and
// entries written by Pulsar producers read as Kafka batches.
#include <zstd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "kop/protocol/record_batch.h"
#include "kop/pulsar/entry.h"

namespace kop::pulsar {
namespace {

using protocol::AppendRecordBatch;
using protocol::BatchBuildOptions;
using protocol::CompressionCodec;
using protocol::RecordBatchView;
using protocol::RecordHeaderInput;
using protocol::RecordInput;

Bytes B(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

struct Rec {
  int64_t offset;
  int64_t timestamp;
  std::optional<std::string> key, value;
  std::vector<std::pair<std::string, std::string>> headers;
  bool operator==(const Rec&) const = default;
};

std::vector<Rec> Records(Bytes batch_bytes) {
  auto batch = RecordBatchView::Parse(batch_bytes);
  REQUIRE(batch.ok());
  REQUIRE(batch->CheckCrc().ok());
  std::vector<uint8_t> scratch;
  auto payload = batch->Uncompressed(scratch);
  REQUIRE(payload.ok());
  std::vector<Rec> out;
  auto it = batch->Records(*payload);
  protocol::RecordView r;
  auto str = [](const std::optional<Bytes>& b) -> std::optional<std::string> {
    if (!b) return std::nullopt;
    return std::string(reinterpret_cast<const char*>(b->data()), b->size());
  };
  while (it.Next(r)) {
    Rec rec{batch->header().base_offset + r.offset_delta,
            batch->header().base_timestamp + r.timestamp_delta,
            str(r.key),
            str(r.value),
            {}};
    for (const auto& h : r.headers())
      rec.headers.emplace_back(std::string(h.key), *str(h.value));
    out.push_back(rec);
  }
  REQUIRE(it.status().ok());
  return out;
}

// Three records: a text key, a binary key with a binary header, a null key
// and a null value.
std::vector<uint8_t> SampleBatch(CompressionCodec codec) {
  static const std::string k1 = "user-1", v1 = "hello",
                           k2 = std::string("\x00\xff\x10", 3), v2 = "world",
                           hv = std::string("\x01\x00\xfe", 3), abc = "abc";
  static const std::vector<RecordHeaderInput> h1 = {{"trace", B(abc)},
                                                    {"bin", B(hv)}};
  std::vector<RecordInput> in(3);
  in[0] = {1700000000000, B(k1), B(v1), h1};
  in[1] = {1700000000500, B(k2), B(v2), {}};
  in[2] = {1700000001000, std::nullopt, std::nullopt, {}};
  BatchBuildOptions o;
  o.codec = codec;
  std::vector<uint8_t> out;
  REQUIRE(AppendRecordBatch(in, o, out).ok());
  return out;
}

// What the broker's AppendIndexMetadataInterceptor puts in front of an entry.
std::vector<uint8_t> WithIndex(const std::vector<uint8_t>& entry,
                               uint64_t index) {
  proto::BrokerEntryMetadata bem;
  bem.set_index(index);
  bem.set_broker_timestamp(1700000009999);
  std::string s = bem.SerializeAsString();
  std::vector<uint8_t> out = {0x0e, 0x02, 0,
                              0,    0,    static_cast<uint8_t>(s.size())};
  out.insert(out.end(), s.begin(), s.end());
  out.insert(out.end(), entry.begin(), entry.end());
  return out;
}

TEST_CASE("pulsar format: Kafka records survive the round trip byte for byte",
          "[pulsar]") {
  for (CompressionCodec codec :
       {CompressionCodec::kNone, CompressionCodec::kZstd,
        CompressionCodec::kSnappy}) {
    std::vector<uint8_t> kafka = SampleBatch(codec);
    auto batch = RecordBatchView::Parse(kafka);
    REQUIRE(batch.ok());
    std::vector<uint8_t> scratch, entry;
    EncodeOptions o;
    o.publish_time_ms = 1700000005000;
    REQUIRE(EncodeEntry(*batch, o, scratch, entry).ok());
    // Stored with Pulsar's checksum magic.
    CHECK(entry[0] == 0x0e);
    CHECK(entry[1] == 0x01);

    std::vector<uint8_t> stored = WithIndex(entry, 12);
    auto view = ParseEntry(stored);
    REQUIRE(view.ok());
    CHECK(view->index == 12u);
    CHECK(view->num_messages() == 3);
    CHECK_FALSE(view->kafka_format());
    // Pulsar consumers see the key as partition key (binary: base64).
    CHECK(view->metadata.publish_time() == 1700000005000u);

    std::vector<uint8_t> back;
    REQUIRE(AppendAsKafkaBatch(*view, 10, scratch, back).ok());
    std::vector<Rec> got = Records(back);
    std::vector<Rec> want = Records(kafka);
    for (Rec& r : want) r.offset += 10;
    CHECK(got == want);
  }
}

TEST_CASE("kafka format: the batch is stored as-is", "[pulsar]") {
  std::vector<uint8_t> kafka = SampleBatch(CompressionCodec::kLz4);
  auto batch = RecordBatchView::Parse(kafka);
  std::vector<uint8_t> scratch, entry;
  EncodeOptions o;
  o.format = EntryFormat::kKafka;
  REQUIRE(EncodeEntry(*batch, o, scratch, entry).ok());
  const std::vector<uint8_t> stored =
      WithIndex(entry, 2);  // views point into it
  auto view = ParseEntry(stored);
  REQUIRE(view.ok());
  CHECK(view->kafka_format());
  CHECK(view->num_messages() == 3);
  REQUIRE(view->payload.size() == kafka.size());
  std::vector<uint8_t> back;
  REQUIRE(AppendAsKafkaBatch(*view, 100, scratch, back).ok());
  REQUIRE(back.size() == kafka.size());
  // Only the base offset (outside the CRC) differs.
  CHECK(std::equal(back.begin() + 8, back.end(), kafka.begin() + 8));
  CHECK(Records(back).front().offset == 100);
}

TEST_CASE("a corrupt pulsar-format entry is refused, never crashes",
          "[pulsar]") {
  std::vector<uint8_t> kafka = SampleBatch(CompressionCodec::kNone);
  auto batch = RecordBatchView::Parse(kafka);
  std::vector<uint8_t> scratch, entry;
  REQUIRE(EncodeEntry(*batch, {}, scratch, entry).ok());
  std::vector<uint8_t> flipped = entry;
  flipped[flipped.size() / 2] ^= 0x04;
  CHECK(absl::IsDataLoss(ParseEntry(flipped).status()));
  for (size_t cut = 0; cut < entry.size(); ++cut) {
    std::vector<uint8_t> part(entry.begin(), entry.begin() + cut);
    auto v = ParseEntry(part);
    if (v.ok()) {
      std::vector<uint8_t> out;
      (void)AppendAsKafkaBatch(*v, 0, scratch, out);
    }
  }
}

TEST_CASE("a Pulsar producer's messages read as Kafka records", "[pulsar]") {
  SECTION("a single non-batched message") {
    proto::MessageMetadata md;
    md.set_producer_name("pulsar-producer");
    md.set_sequence_id(7);
    md.set_publish_time(1700000000123);
    md.set_partition_key("order-9");
    md.set_event_time(1699999999000);
    auto* kv = md.add_properties();
    kv->set_key("source");
    kv->set_value("pulsar");
    std::string meta = md.SerializeAsString();
    std::vector<uint8_t> entry = {0, 0, 0, static_cast<uint8_t>(meta.size())};
    entry.insert(entry.end(), meta.begin(), meta.end());
    const std::string value = "from pulsar";
    entry.insert(entry.end(), value.begin(), value.end());
    const std::vector<uint8_t> stored = WithIndex(entry, 5);
    auto view = ParseEntry(stored);
    REQUIRE(view.ok());
    std::vector<uint8_t> scratch, out;
    REQUIRE(AppendAsKafkaBatch(*view, 5, scratch, out).ok());
    auto recs = Records(out);
    REQUIRE(recs.size() == 1);
    CHECK(recs[0] == Rec{5,
                         1699999999000,
                         "order-9",
                         "from pulsar",
                         {{"source", "pulsar"}}});
  }
  SECTION("a ZSTD-compressed batch without event times") {
    std::vector<uint8_t> payload;
    for (int i = 0; i < 2; ++i) {
      proto::SingleMessageMetadata s;
      const std::string v = "m" + std::to_string(i);
      s.set_payload_size(static_cast<int32_t>(v.size()));
      std::string smm = s.SerializeAsString();
      protocol::Writer w(payload);
      w.WriteUint32(static_cast<uint32_t>(smm.size()));
      w.WriteSpan(std::string_view(smm));
      w.WriteSpan(std::string_view(v));
    }
    std::vector<uint8_t> compressed(ZSTD_compressBound(payload.size()));
    compressed.resize(ZSTD_compress(compressed.data(), compressed.size(),
                                    payload.data(), payload.size(), 3));
    proto::MessageMetadata md;
    md.set_producer_name("p");
    md.set_sequence_id(0);
    md.set_publish_time(1700000000000);
    md.set_num_messages_in_batch(2);
    md.set_compression(proto::ZSTD);
    md.set_uncompressed_size(static_cast<uint32_t>(payload.size()));
    std::string meta = md.SerializeAsString();
    std::vector<uint8_t> entry = {0, 0, 0, static_cast<uint8_t>(meta.size())};
    entry.insert(entry.end(), meta.begin(), meta.end());
    entry.insert(entry.end(), compressed.begin(), compressed.end());
    auto view = ParseEntry(entry);
    REQUIRE(view.ok());
    std::vector<uint8_t> scratch, out;
    REQUIRE(AppendAsKafkaBatch(*view, 0, scratch, out).ok());
    auto recs = Records(out);
    REQUIRE(recs.size() == 2);
    CHECK(recs[1] == Rec{1, 1700000000000, std::nullopt, "m1", {}});
  }
}

}  // namespace
}  // namespace kop::pulsar
