// Every decompressor on arbitrary bytes: the first byte picks the codec (and
// whether to also round-trip the rest through the compressor); the rest is
// the compressed payload.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "kop/protocol/compression.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto codec = static_cast<kop::protocol::CompressionCodec>(data[0] % 5);
  const bool round_trip = (data[0] & 0x80) != 0;
  std::span<const uint8_t> payload(data + 1, size - 1);
  std::vector<uint8_t> out;
  constexpr size_t kLimit = 4 << 20;
  absl::Status s = kop::protocol::Decompress(codec, payload, kLimit, out);
  if (out.size() > kLimit) std::abort();
  if (!s.ok() && !out.empty()) std::abort();
  if (round_trip) {
    std::vector<uint8_t> compressed, back;
    kop::protocol::CompressOptions opts;
    opts.snappy_framing = (data[0] & 0x40)
                              ? kop::protocol::SnappyFraming::kRaw
                              : kop::protocol::SnappyFraming::kXerial;
    if (!kop::protocol::Compress(codec, payload, compressed, opts).ok()) {
      std::abort();
    }
    if (!kop::protocol::Decompress(codec, compressed, kLimit, back).ok() ||
        back.size() != payload.size() ||
        !std::equal(back.begin(), back.end(), payload.begin())) {
      std::abort();
    }
  }
  return 0;
}
