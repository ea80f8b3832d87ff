// Writes the committed seed corpus:
//   kop_fuzz_seedgen tests/fuzz/corpus
// record_batch_fuzz/: a few valid batches per codec (alone, two in a row,
// and with a partial tail); decompress_fuzz/: codec byte + payload.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "kop/protocol/compression.h"
#include "kop/protocol/record_batch.h"

namespace {

using kop::protocol::Bytes;
using kop::protocol::CompressionCodec;

void Write(const std::filesystem::path& dir, const std::string& name,
           const std::vector<uint8_t>& bytes) {
  std::filesystem::create_directories(dir);
  std::ofstream f(dir / name, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()),
          static_cast<std::streamsize>(bytes.size()));
}

Bytes B(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus-dir>\n", argv[0]);
    return 2;
  }
  const std::filesystem::path root = argv[1];
  const std::string k1 = "user-17", v1 = "{\"event\":\"click\",\"n\":1}";
  const std::string v2 = "plain value with some repetition repetition";
  const std::vector<kop::protocol::RecordHeaderInput> headers = {
      {"trace-id", B("0af7651916cd43dd")}, {"empty", std::nullopt}};
  std::vector<kop::protocol::RecordInput> records(3);
  records[0].timestamp = 1700000000000;
  records[0].key = B(k1);
  records[0].value = B(v1);
  records[0].headers = headers;
  records[1].timestamp = 1700000000005;
  records[1].value = B(v2);
  records[2].timestamp = 1699999999999;
  records[2].key = B(k1);  // null value: a tombstone

  const char* names[] = {"none", "gzip", "snappy", "lz4", "zstd"};
  for (int c = 0; c < 5; ++c) {
    const auto codec = static_cast<CompressionCodec>(c);
    kop::protocol::BatchBuildOptions opts;
    opts.codec = codec;
    std::vector<uint8_t> one;
    if (!kop::protocol::AppendRecordBatch(records, opts, one).ok()) return 1;
    Write(root / "record_batch_fuzz", std::string(names[c]) + "-one", one);

    std::vector<uint8_t> two = one;
    opts.base_offset = 3;
    opts.producer_id = 1000;
    opts.producer_epoch = 0;
    opts.base_sequence = 3;
    opts.compress.snappy_framing = kop::protocol::SnappyFraming::kRaw;
    if (!kop::protocol::AppendRecordBatch({records.data(), 1}, opts, two)
             .ok()) {
      return 1;
    }
    Write(root / "record_batch_fuzz", std::string(names[c]) + "-two", two);
    std::vector<uint8_t> partial = two;
    partial.insert(partial.end(), one.begin(), one.begin() + one.size() / 2);
    Write(root / "record_batch_fuzz", std::string(names[c]) + "-partial",
          partial);

    // Payload seeds: the codec byte, then compressed text.
    const std::string text = v1 + v2 + v1 + v2 + std::string(300, 'a');
    for (int framing = 0; framing < (c == 2 ? 2 : 1); ++framing) {
      kop::protocol::CompressOptions copts;
      copts.snappy_framing = framing ? kop::protocol::SnappyFraming::kRaw
                                     : kop::protocol::SnappyFraming::kXerial;
      std::vector<uint8_t> payload = {static_cast<uint8_t>(c)};
      if (!kop::protocol::Compress(codec, B(text), payload, copts).ok()) {
        return 1;
      }
      Write(root / "decompress_fuzz",
            std::string(names[c]) + (framing ? "-raw" : ""), payload);
    }
  }
  return 0;
}
