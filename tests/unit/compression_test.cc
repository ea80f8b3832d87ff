#include "kop/protocol/compression.h"

#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace kop::protocol {
namespace {

using Buf = std::vector<uint8_t>;

constexpr CompressionCodec kCodecs[] = {
    CompressionCodec::kNone, CompressionCodec::kGzip, CompressionCodec::kSnappy,
    CompressionCodec::kLz4, CompressionCodec::kZstd};

Buf TextLike(size_t n, uint32_t seed) {
  static const char* kWords[] = {"kafka ",  "pulsar ",  "record ", "batch ",
                                 "offset ", "{\"id\":", "42}, ",   "\n"};
  std::mt19937 rng(seed);
  Buf out;
  while (out.size() < n) {
    const char* w = kWords[rng() % 8];
    out.insert(out.end(), w, w + std::strlen(w));
    if (rng() % 16 == 0) out.push_back(static_cast<uint8_t>(rng()));
  }
  out.resize(n);
  return out;
}

TEST_CASE("compression: every codec round-trips", "[compression]") {
  std::vector<Buf> inputs = {Buf{}, Buf{'x'}, TextLike(1000, 1),
                             TextLike(200000, 2), Buf(100000, 0)};
  std::mt19937 rng(3);
  Buf random(70000);
  for (auto& b : random) b = static_cast<uint8_t>(rng());
  inputs.push_back(random);
  for (CompressionCodec codec : kCodecs) {
    for (SnappyFraming framing :
         {SnappyFraming::kXerial, SnappyFraming::kRaw}) {
      for (const Buf& in : inputs) {
        INFO(CompressionCodecName(codec) << " size " << in.size());
        Buf compressed = {0xAA};  // Compress appends
        CompressOptions opts;
        opts.snappy_framing = framing;
        REQUIRE(Compress(codec, in, compressed, opts).ok());
        REQUIRE(compressed[0] == 0xAA);
        Buf out = {1, 2, 3};  // Decompress replaces
        absl::Status s =
            Decompress(codec, std::span<const uint8_t>(compressed).subspan(1),
                       kDefaultMaxDecompressedBytes, out);
        REQUIRE(s.ok());
        REQUIRE(out == in);
      }
    }
  }
}

TEST_CASE("compression: codec ids match Kafka", "[compression]") {
  CHECK(static_cast<int>(CompressionCodec::kGzip) == 1);
  CHECK(static_cast<int>(CompressionCodec::kSnappy) == 2);
  CHECK(static_cast<int>(CompressionCodec::kLz4) == 3);
  CHECK(static_cast<int>(CompressionCodec::kZstd) == 4);
  CHECK(CompressionCodecFromId(4) == CompressionCodec::kZstd);
  CHECK_FALSE(CompressionCodecFromId(5).has_value());
  CHECK_FALSE(CompressionCodecFromId(-1).has_value());
}

// The xerial framing as snappy-java's SnappyOutputStream writes it, by hand.
Buf XerialHeader() {
  return {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1};
}
// A raw snappy block: varint uncompressed length 5, literal tag
// ((5 - 1) << 2 | 0b00), the bytes.
const Buf kHelloBlock = {0x05, 0x10, 'h', 'e', 'l', 'l', 'o'};

TEST_CASE("compression: hand-made xerial snappy frames", "[compression]") {
  Buf out;
  Buf frame = XerialHeader();
  frame.insert(frame.end(), {0, 0, 0, 7});
  frame.insert(frame.end(), kHelloBlock.begin(), kHelloBlock.end());
  frame.insert(frame.end(), {0, 0, 0, 7});
  frame.insert(frame.end(), kHelloBlock.begin(), kHelloBlock.end());
  REQUIRE(Decompress(CompressionCodec::kSnappy, frame, 1000, out).ok());
  CHECK(std::string(out.begin(), out.end()) == "hellohello");

  // Concatenated streams: a second header mid-stream is skipped.
  Buf twice = frame;
  Buf again = XerialHeader();
  twice.insert(twice.end(), again.begin(), again.end());
  twice.insert(twice.end(), {0, 0, 0, 7});
  twice.insert(twice.end(), kHelloBlock.begin(), kHelloBlock.end());
  REQUIRE(Decompress(CompressionCodec::kSnappy, twice, 1000, out).ok());
  CHECK(std::string(out.begin(), out.end()) == "hellohellohello");

  // Header only: an empty payload.
  REQUIRE(
      Decompress(CompressionCodec::kSnappy, XerialHeader(), 1000, out).ok());
  CHECK(out.empty());

  // A raw block without framing (librdkafka, franz-go).
  REQUIRE(Decompress(CompressionCodec::kSnappy, kHelloBlock, 1000, out).ok());
  CHECK(std::string(out.begin(), out.end()) == "hello");
}

TEST_CASE("compression: malformed xerial frames fail cleanly",
          "[compression]") {
  Buf out;
  auto decode = [&](const Buf& in) {
    return Decompress(CompressionCodec::kSnappy, in, 1 << 20, out);
  };
  Buf bad_len = XerialHeader();
  bad_len.insert(bad_len.end(), {0x7F, 0xFF, 0xFF, 0xFF});
  bad_len.insert(bad_len.end(), kHelloBlock.begin(), kHelloBlock.end());
  CHECK(decode(bad_len).code() == absl::StatusCode::kDataLoss);

  Buf short_len = XerialHeader();
  short_len.insert(short_len.end(), {0, 0});
  CHECK(decode(short_len).code() == absl::StatusCode::kDataLoss);

  Buf short_header = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0};
  CHECK(decode(short_header).code() == absl::StatusCode::kDataLoss);

  // Chunk shorter than its block claims.
  Buf cut_block = XerialHeader();
  cut_block.insert(cut_block.end(), {0, 0, 0, 4});
  cut_block.insert(cut_block.end(), kHelloBlock.begin(),
                   kHelloBlock.begin() + 4);
  CHECK(decode(cut_block).code() == absl::StatusCode::kDataLoss);

  // A block claiming 4 GiB is refused before anything is allocated.
  Buf huge = {0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00};
  CHECK(decode(huge).code() == absl::StatusCode::kResourceExhausted);
  CHECK(out.capacity() <= (1 << 20) + 1);
}

TEST_CASE("compression: truncated input never crashes", "[compression]") {
  Buf in = TextLike(150000, 9);
  for (CompressionCodec codec : kCodecs) {
    Buf compressed;
    REQUIRE(Compress(codec, in, compressed).ok());
    Buf out;
    const size_t step = std::max<size_t>(1, compressed.size() / 400);
    for (size_t len = 0; len < compressed.size(); len += step) {
      absl::Status s = Decompress(
          codec, std::span<const uint8_t>(compressed).first(len), 1 << 20, out);
      if (s.ok()) {
        // Only a prefix at a chunk boundary can decode (xerial, none).
        REQUIRE(out.size() <= in.size());
        REQUIRE(std::equal(out.begin(), out.end(), in.begin()));
      }
    }
    // And a flipped byte in the middle.
    Buf broken = compressed;
    broken[broken.size() / 2] ^= 0x5A;
    (void)Decompress(codec, broken, 1 << 20, out);
  }
}

TEST_CASE("compression: the output limit is enforced", "[compression]") {
  Buf in = TextLike(10000, 4);
  for (CompressionCodec codec : kCodecs) {
    Buf compressed;
    REQUIRE(Compress(codec, in, compressed).ok());
    Buf out;
    INFO(CompressionCodecName(codec));
    CHECK(Decompress(codec, compressed, 10000, out).ok());
    CHECK(Decompress(codec, compressed, 9999, out).code() ==
          absl::StatusCode::kResourceExhausted);
    CHECK(out.empty());
  }
}

// ---- Bombs: 1 GiB of zeros, compressed by streaming (never materialized).

constexpr size_t kGiB = size_t{1} << 30;
constexpr size_t kChunk = size_t{1} << 20;

Buf GzipBomb(size_t total) {
  Buf zeros(kChunk, 0), out;
  z_stream zs{};
  REQUIRE(deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) ==
          Z_OK);
  Buf tmp(1 << 16);
  for (size_t done = 0; done <= total; done += kChunk) {
    const bool last = done == total;
    zs.next_in = zeros.data();
    zs.avail_in = last ? 0 : static_cast<uInt>(kChunk);
    do {
      zs.next_out = tmp.data();
      zs.avail_out = static_cast<uInt>(tmp.size());
      deflate(&zs, last ? Z_FINISH : Z_NO_FLUSH);
      out.insert(out.end(), tmp.data(), zs.next_out);
    } while (zs.avail_out == 0);
  }
  deflateEnd(&zs);
  return out;
}

Buf ZstdBomb(size_t total) {
  Buf zeros(kChunk, 0), out, tmp(ZSTD_CStreamOutSize());
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  for (size_t done = 0; done <= total; done += kChunk) {
    const bool last = done == total;
    ZSTD_inBuffer in{zeros.data(), last ? 0 : kChunk, 0};
    size_t left;
    do {
      ZSTD_outBuffer o{tmp.data(), tmp.size(), 0};
      left = ZSTD_compressStream2(cctx, &o, &in,
                                  last ? ZSTD_e_end : ZSTD_e_continue);
      REQUIRE_FALSE(ZSTD_isError(left));
      out.insert(out.end(), tmp.data(), tmp.data() + o.pos);
    } while (last ? left != 0 : in.pos < in.size);
  }
  ZSTD_freeCCtx(cctx);
  return out;
}

Buf Lz4Bomb(size_t total) {
  Buf zeros(kChunk, 0), out;
  LZ4F_cctx* cctx = nullptr;
  REQUIRE_FALSE(
      LZ4F_isError(LZ4F_createCompressionContext(&cctx, LZ4F_VERSION)));
  Buf tmp(LZ4F_compressBound(kChunk, nullptr) + 64);
  size_t n = LZ4F_compressBegin(cctx, tmp.data(), tmp.size(), nullptr);
  out.insert(out.end(), tmp.data(), tmp.data() + n);
  for (size_t done = 0; done < total; done += kChunk) {
    n = LZ4F_compressUpdate(cctx, tmp.data(), tmp.size(), zeros.data(), kChunk,
                            nullptr);
    REQUIRE_FALSE(LZ4F_isError(n));
    out.insert(out.end(), tmp.data(), tmp.data() + n);
  }
  n = LZ4F_compressEnd(cctx, tmp.data(), tmp.size(), nullptr);
  out.insert(out.end(), tmp.data(), tmp.data() + n);
  LZ4F_freeCompressionContext(cctx);
  return out;
}

Buf SnappyBomb(size_t total) {
  // One compressed 1 MiB chunk of zeros, repeated in xerial framing. (Snappy
  // tops out near 21:1, so a 1 GiB snappy bomb would be 50 MB; 64 MiB will do.)
  Buf zeros(kChunk, 0);
  std::string block;
  snappy::Compress(reinterpret_cast<const char*>(zeros.data()), kChunk, &block);
  Buf out = XerialHeader();
  for (size_t done = 0; done < total; done += kChunk) {
    const uint32_t n = static_cast<uint32_t>(block.size());
    out.insert(out.end(),
               {static_cast<uint8_t>(n >> 24), static_cast<uint8_t>(n >> 16),
                static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)});
    out.insert(out.end(), block.begin(), block.end());
  }
  return out;
}

TEST_CASE("compression: bombs stop at the limit", "[compression][bomb]") {
  struct Bomb {
    CompressionCodec codec;
    Buf data;
  };
  const Bomb bombs[] = {{CompressionCodec::kGzip, GzipBomb(kGiB)},
                        {CompressionCodec::kZstd, ZstdBomb(kGiB)},
                        {CompressionCodec::kLz4, Lz4Bomb(kGiB)},
                        {CompressionCodec::kSnappy, SnappyBomb(64 * kChunk)}};
  for (const Bomb& bomb : bombs) {
    INFO(CompressionCodecName(bomb.codec)
         << " bomb of " << bomb.data.size() << " bytes");
    CHECK(bomb.data.size() < 8 * kChunk);
    Buf out;
    absl::Status s = Decompress(bomb.codec, bomb.data, kChunk, out);
    CHECK(s.code() == absl::StatusCode::kResourceExhausted);
    CHECK(out.capacity() <= kChunk + 1);
  }
  // The default limit (100 MiB) holds too.
  Buf out;
  absl::Status s = Decompress(CompressionCodec::kZstd, bombs[1].data,
                              kDefaultMaxDecompressedBytes, out);
  CHECK(s.code() == absl::StatusCode::kResourceExhausted);
  CHECK(out.capacity() <= kDefaultMaxDecompressedBytes + 1);
}

TEST_CASE("compression: lz4 frame lying about its content size",
          "[compression]") {
  Buf in = TextLike(5000, 5);
  LZ4F_preferences_t prefs{};
  prefs.frameInfo.contentSize = in.size();
  Buf frame(LZ4F_compressFrameBound(in.size(), &prefs));
  size_t n = LZ4F_compressFrame(frame.data(), frame.size(), in.data(),
                                in.size(), &prefs);
  REQUIRE_FALSE(LZ4F_isError(n));
  frame.resize(n);
  Buf out;
  REQUIRE(Decompress(CompressionCodec::kLz4, frame, 1 << 20, out).ok());
  REQUIRE(out == in);
  // Content size field: bytes 6..13 (after magic, FLG, BD).
  Buf lie = frame;
  lie[13] = 0x40;  // claims ~4.6e18 bytes; header checksum now wrong too
  CHECK_FALSE(Decompress(CompressionCodec::kLz4, lie, 1 << 20, out).ok());
  CHECK(out.capacity() <= (1 << 20) + 1);
}

}  // namespace
}  // namespace kop::protocol
