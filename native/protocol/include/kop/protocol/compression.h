// Kafka record-batch compression codecs (attributes bits 0-2 of a v2 batch).
//
// Decompression never trusts the input: output is capped by a caller-given
// limit (a small compressed batch can claim gigabytes: a zip bomb), sizes
// declared inside the stream are used only to refuse early, never to
// allocate, and malformed input is an error value, never a crash.
#ifndef KOP_PROTOCOL_COMPRESSION_H_
#define KOP_PROTOCOL_COMPRESSION_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace kop::protocol {

// Numbered as Kafka numbers them on the wire (`CompressionType.id`).
enum class CompressionCodec : uint8_t {
  kNone = 0,
  kGzip = 1,
  kSnappy = 2,
  kLz4 = 3,
  kZstd = 4,
};

// The codec for a wire id, or nullopt for 5-7 (no codec; Kafka answers
// UNSUPPORTED_COMPRESSION_TYPE).
std::optional<CompressionCodec> CompressionCodecFromId(int id);
std::string_view CompressionCodecName(CompressionCodec codec);

// The default cap on one batch's decompressed size. Kafka has no such cap
// (it streams records), but we materialize the payload, so we bound it; a
// broker's max.message.bytes is 1 MiB by default and real compression ratios
// stay far below 100x.
inline constexpr size_t kDefaultMaxDecompressedBytes = size_t{100} << 20;

// How snappy output is framed. Java's client writes xerial snappy-java
// framing; librdkafka and franz-go write one raw block. All readers accept
// both (kafka-protocol.md 4.2).
enum class SnappyFraming { kXerial, kRaw };

struct CompressOptions {
  // Codec level; 0 = the codec's default (gzip 6, lz4 fast, zstd 3, as the
  // Java client's defaults, KIP-390).
  int level = 0;
  SnappyFraming snappy_framing = SnappyFraming::kXerial;
};

// Appends `input` compressed with `codec` to `out` (kNone copies).
// Errors: InvalidArgument for a codec id outside 0-4, Internal if the codec
// library fails.
absl::Status Compress(CompressionCodec codec, std::span<const uint8_t> input,
                      std::vector<uint8_t>& out,
                      const CompressOptions& options = {});

// Replaces the contents of `out` with `input` decompressed (the capacity of
// `out` is reused, so a caller decoding many batches allocates once).
// Snappy input is read as xerial framing when it starts with xerial's magic,
// as one raw block otherwise. gzip, lz4 and zstd accept concatenated
// frames/members, as their Java readers do.
// Errors: ResourceExhausted when the output would exceed `max_output`
// (nothing beyond max_output + 1 bytes is ever allocated for the output);
// DataLoss for malformed or truncated input; InvalidArgument for a bad codec.
absl::Status Decompress(CompressionCodec codec, std::span<const uint8_t> input,
                        size_t max_output, std::vector<uint8_t>& out);

}  // namespace kop::protocol

#endif  // KOP_PROTOCOL_COMPRESSION_H_
