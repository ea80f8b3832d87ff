#include "kop/protocol/compression.h"

#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"

namespace kop::protocol {
namespace {

using Span = std::span<const uint8_t>;

// Output that grows geometrically but never past `max_output + 1` bytes. The
// one byte past the limit is how a streaming decoder proves the limit was
// exceeded without trusting any size the input declares.
class BoundedOutput {
 public:
  BoundedOutput(std::vector<uint8_t>& out, size_t max_output, size_t size_hint)
      : out_(out),
        max_output_(
            std::min(max_output, std::numeric_limits<size_t>::max() / 4)),
        size_hint_(size_hint) {
    out_.clear();
  }

  // Room after what was produced (at least one byte), or empty when the
  // output already holds max_output + 1 bytes.
  std::span<uint8_t> Room() {
    if (used_ == out_.size() && !Grow(1)) return {};
    return {out_.data() + used_, out_.size() - used_};
  }
  // Room for exactly `n` more bytes, or nullopt if that passes the limit.
  std::optional<std::span<uint8_t>> RoomFor(size_t n) {
    if (n > max_output_ - used_) return std::nullopt;
    if (out_.size() - used_ < n && !Grow(n)) return std::nullopt;
    return std::span<uint8_t>(out_.data() + used_, n);
  }
  void Commit(size_t n) { used_ += n; }
  bool exceeded() const { return used_ > max_output_; }
  void Finish() { out_.resize(used_); }
  absl::Status LimitError(const char* codec) const {
    return absl::ResourceExhaustedError(
        absl::StrCat(codec, ": payload decompresses to more than ", max_output_,
                     " bytes (the limit)"));
  }

 private:
  bool Grow(size_t at_least) {
    const size_t cap = max_output_ + 1;
    if (used_ + at_least > cap) return false;
    size_t want = out_.empty() ? std::max(size_hint_, kMinChunk)
                               : std::max(out_.size(), kMinChunk) * 2;
    want = std::min(std::max(want, used_ + at_least), cap);
    if (want > out_.capacity()) out_.reserve(want);  // allocates exactly `want`
    out_.resize(want);
    return true;
  }

  static constexpr size_t kMinChunk = 64 * 1024;
  std::vector<uint8_t>& out_;
  size_t max_output_;
  size_t size_hint_;
  size_t used_ = 0;
};

size_t SizeHint(Span input, size_t max_output) {
  // Typical Kafka ratios are 2-5x; start there and double as needed.
  size_t hint = input.size() <= std::numeric_limits<size_t>::max() / 4
                    ? input.size() * 4
                    : input.size();
  return std::min(hint, max_output);
}

// zlib counts in uInt; feed it at most this much per call.
constexpr size_t kZlibStep = size_t{1} << 30;

// ---- gzip (zlib) ----

absl::Status GzipCompress(Span input, std::vector<uint8_t>& out, int level) {
  z_stream zs{};
  // windowBits 15 + 16: a gzip (RFC 1952) wrapper, as Java's
  // GZIPOutputStream writes; level 6 is java.util.zip's default.
  if (deflateInit2(&zs, level == 0 ? 6 : level, Z_DEFLATED, 15 + 16, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    return absl::InternalError("gzip: deflateInit2 failed");
  }
  const size_t start = out.size();
  size_t produced = 0;
  size_t in_pos = 0;
  out.resize(start + deflateBound(&zs, input.size()) + 64);
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (out.size() - start - produced < 64) out.resize(out.size() * 2);
    const size_t step_in = std::min(input.size() - in_pos, kZlibStep);
    const size_t room = std::min(out.size() - start - produced, kZlibStep);
    zs.next_in = const_cast<Bytef*>(input.data() + in_pos);
    zs.avail_in = static_cast<uInt>(step_in);
    zs.next_out = out.data() + start + produced;
    zs.avail_out = static_cast<uInt>(room);
    const bool last = in_pos + step_in == input.size();
    rc = deflate(&zs, last ? Z_FINISH : Z_NO_FLUSH);
    in_pos += step_in - zs.avail_in;
    produced += room - zs.avail_out;
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
      deflateEnd(&zs);
      out.resize(start);
      return absl::InternalError(absl::StrCat("gzip: deflate failed: ", rc));
    }
  }
  deflateEnd(&zs);
  out.resize(start + produced);
  return absl::OkStatus();
}

absl::Status GzipDecompress(Span input, BoundedOutput& sink) {
  z_stream zs{};
  // windowBits 15 + 32: gzip or zlib header, detected (Java writes gzip).
  if (inflateInit2(&zs, 15 + 32) != Z_OK) {
    return absl::InternalError("gzip: inflateInit2 failed");
  }
  struct Closer {
    z_stream* zs;
    ~Closer() { inflateEnd(zs); }
  } closer{&zs};
  size_t in_pos = 0;
  while (true) {
    std::span<uint8_t> room = sink.Room();
    if (room.empty()) return sink.LimitError("gzip");
    const size_t step_in = std::min(input.size() - in_pos, kZlibStep);
    const size_t step_out = std::min(room.size(), kZlibStep);
    zs.next_in = const_cast<Bytef*>(input.data() + in_pos);
    zs.avail_in = static_cast<uInt>(step_in);
    zs.next_out = room.data();
    zs.avail_out = static_cast<uInt>(step_out);
    const int rc = inflate(&zs, Z_NO_FLUSH);
    const size_t consumed = step_in - zs.avail_in;
    const size_t produced = step_out - zs.avail_out;
    in_pos += consumed;
    sink.Commit(produced);
    if (sink.exceeded()) return sink.LimitError("gzip");
    if (rc == Z_STREAM_END) {
      if (in_pos == input.size()) return absl::OkStatus();
      // Another member follows: Java's GZIPInputStream reads concatenated
      // members.
      if (inflateReset(&zs) != Z_OK) {
        return absl::InternalError("gzip: inflateReset failed");
      }
      continue;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return absl::DataLossError(
          absl::StrCat("gzip: corrupt stream near input byte ", in_pos, ": ",
                       zs.msg != nullptr ? zs.msg : "inflate error"));
    }
    // Output space left over but no progress: the input ran out mid-member.
    if (zs.avail_out != 0 && consumed == 0 && produced == 0) {
      return absl::DataLossError(
          absl::StrCat("gzip: truncated stream (", input.size(), " bytes)"));
    }
  }
}

// ---- snappy ----

// xerial snappy-java stream header: magic, int32 version 1, int32
// min-compatible version 1 (kafka-protocol.md 4.2).
constexpr uint8_t kXerialMagic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
constexpr size_t kXerialHeaderSize = 16;
// snappy-java's default block size.
constexpr size_t kXerialBlockSize = 32 * 1024;

bool StartsWithXerialMagic(Span in) {
  return in.size() >= sizeof kXerialMagic &&
         std::memcmp(in.data(), kXerialMagic, sizeof kXerialMagic) == 0;
}

uint32_t LoadBe32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) |
         (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}
void StoreBe32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}

void SnappyRawAppend(Span input, std::vector<uint8_t>& out) {
  const size_t start = out.size();
  out.resize(start + snappy::MaxCompressedLength(input.size()));
  size_t n = 0;
  snappy::RawCompress(reinterpret_cast<const char*>(input.data()), input.size(),
                      reinterpret_cast<char*>(out.data() + start), &n);
  out.resize(start + n);
}

absl::Status SnappyCompress(Span input, std::vector<uint8_t>& out,
                            SnappyFraming framing) {
  if (framing == SnappyFraming::kRaw) {
    SnappyRawAppend(input, out);
    return absl::OkStatus();
  }
  const size_t header_at = out.size();
  out.resize(header_at + kXerialHeaderSize);
  std::memcpy(out.data() + header_at, kXerialMagic, sizeof kXerialMagic);
  StoreBe32(out.data() + header_at + 8, 1);   // version
  StoreBe32(out.data() + header_at + 12, 1);  // minimum compatible version
  for (size_t pos = 0; pos < input.size(); pos += kXerialBlockSize) {
    Span block =
        input.subspan(pos, std::min(kXerialBlockSize, input.size() - pos));
    const size_t len_at = out.size();
    out.resize(len_at + 4);
    SnappyRawAppend(block, out);
    StoreBe32(out.data() + len_at,
              static_cast<uint32_t>(out.size() - len_at - 4));
  }
  return absl::OkStatus();
}

// Decodes one raw snappy block (its own length header first) into the sink.
absl::Status SnappyRawBlock(Span block, BoundedOutput& sink, size_t at) {
  const char* src = reinterpret_cast<const char*>(block.data());
  size_t n = 0;
  if (!snappy::GetUncompressedLength(src, block.size(), &n)) {
    return absl::DataLossError(
        absl::StrCat("snappy: bad block header at input byte ", at));
  }
  // The declared size is checked against the limit before any allocation.
  std::optional<std::span<uint8_t>> room = sink.RoomFor(n);
  if (!room) return sink.LimitError("snappy");
  char empty = 0;
  char* dst = n == 0 ? &empty : reinterpret_cast<char*>(room->data());
  if (!snappy::RawUncompress(src, block.size(), dst)) {
    return absl::DataLossError(
        absl::StrCat("snappy: corrupt block at input byte ", at));
  }
  sink.Commit(n);
  return absl::OkStatus();
}

absl::Status SnappyDecompress(Span input, BoundedOutput& sink) {
  if (!StartsWithXerialMagic(input)) {
    // librdkafka / franz-go: one raw block.
    return SnappyRawBlock(input, sink, 0);
  }
  size_t pos = 0;
  while (pos < input.size()) {
    // A stream header, at the start or again where streams were
    // concatenated (snappy-java's reader skips such headers too). No chunk
    // length can start with 0x82: it would be negative as an int32.
    if (StartsWithXerialMagic(input.subspan(pos))) {
      if (input.size() - pos < kXerialHeaderSize) {
        return absl::DataLossError(absl::StrCat(
            "snappy: truncated xerial header at input byte ", pos));
      }
      pos += kXerialHeaderSize;
      continue;
    }
    if (input.size() - pos < 4) {
      return absl::DataLossError(absl::StrCat(
          "snappy: truncated xerial chunk length at input byte ", pos));
    }
    const uint32_t len = LoadBe32(input.data() + pos);
    pos += 4;
    if (len > input.size() - pos) {
      return absl::DataLossError(absl::StrCat(
          "snappy: xerial chunk at input byte ", pos - 4, " declares ", len,
          " bytes, ", input.size() - pos, " remain"));
    }
    absl::Status s = SnappyRawBlock(input.subspan(pos, len), sink, pos);
    if (!s.ok()) return s;
    pos += len;
  }
  return absl::OkStatus();
}

// ---- lz4 frame ----

absl::Status Lz4Compress(Span input, std::vector<uint8_t>& out, int level) {
  LZ4F_preferences_t prefs{};
  // 64 KiB independent blocks, no content size: what Kafka's
  // Lz4BlockOutputStream writes, and its reader refuses dependent blocks.
  prefs.frameInfo.blockSizeID = LZ4F_max64KB;
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  prefs.compressionLevel = level;
  const size_t start = out.size();
  out.resize(start + LZ4F_compressFrameBound(input.size(), &prefs));
  const size_t n = LZ4F_compressFrame(out.data() + start, out.size() - start,
                                      input.data(), input.size(), &prefs);
  if (LZ4F_isError(n)) {
    out.resize(start);
    return absl::InternalError(
        absl::StrCat("lz4: compress failed: ", LZ4F_getErrorName(n)));
  }
  out.resize(start + n);
  return absl::OkStatus();
}

absl::Status Lz4Decompress(Span input, BoundedOutput& sink) {
  LZ4F_dctx* dctx = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION))) {
    return absl::InternalError("lz4: cannot create a decompression context");
  }
  struct Closer {
    LZ4F_dctx* d;
    ~Closer() { LZ4F_freeDecompressionContext(d); }
  } closer{dctx};
  if (input.empty()) {
    return absl::DataLossError("lz4: empty input (no frame)");
  }
  size_t pos = 0;
  size_t hint = 1;  // nonzero: a frame is in progress
  while (pos < input.size() || hint != 0) {
    std::span<uint8_t> room = sink.Room();
    if (room.empty()) return sink.LimitError("lz4");
    size_t dst_size = room.size();
    size_t src_size = input.size() - pos;
    // The frame's declared content size is never used to allocate: output
    // goes into the bounded sink and liblz4 checks the size at the end.
    hint = LZ4F_decompress(dctx, room.data(), &dst_size, input.data() + pos,
                           &src_size, nullptr);
    if (LZ4F_isError(hint)) {
      return absl::DataLossError(
          absl::StrCat("lz4: corrupt frame near input byte ", pos, ": ",
                       LZ4F_getErrorName(hint)));
    }
    pos += src_size;
    sink.Commit(dst_size);
    if (sink.exceeded()) return sink.LimitError("lz4");
    if (src_size == 0 && dst_size == 0 && pos < input.size()) {
      return absl::DataLossError(
          absl::StrCat("lz4: frame makes no progress at input byte ", pos));
    }
    if (pos == input.size() && hint != 0 && dst_size < room.size()) {
      // Input gone, output space unused, frame not finished.
      return absl::DataLossError(
          absl::StrCat("lz4: truncated frame (", input.size(), " bytes)"));
    }
  }
  return absl::OkStatus();
}

// ---- zstd ----

absl::Status ZstdCompress(Span input, std::vector<uint8_t>& out, int level) {
  const size_t start = out.size();
  out.resize(start + ZSTD_compressBound(input.size()));
  // Level 3 is zstd-jni's and Kafka's default.
  const size_t n =
      ZSTD_compress(out.data() + start, out.size() - start, input.data(),
                    input.size(), level == 0 ? 3 : level);
  if (ZSTD_isError(n)) {
    out.resize(start);
    return absl::InternalError(
        absl::StrCat("zstd: compress failed: ", ZSTD_getErrorName(n)));
  }
  out.resize(start + n);
  return absl::OkStatus();
}

absl::Status ZstdDecompress(Span input, BoundedOutput& sink) {
  ZSTD_DCtx* dctx = ZSTD_createDCtx();
  if (dctx == nullptr) {
    return absl::InternalError("zstd: cannot create a decompression context");
  }
  struct Closer {
    ZSTD_DCtx* d;
    ~Closer() { ZSTD_freeDCtx(d); }
  } closer{dctx};
  // The decoder's window is capped by zstd's default windowLogMax (27,
  // 128 MiB), which still admits level 22 (the highest Kafka allows, KIP-390).
  if (input.empty()) {
    return absl::DataLossError("zstd: empty input (no frame)");
  }
  ZSTD_inBuffer in{input.data(), input.size(), 0};
  size_t ret = 1;
  while (in.pos < in.size || ret != 0) {
    std::span<uint8_t> room = sink.Room();
    if (room.empty()) return sink.LimitError("zstd");
    ZSTD_outBuffer out{room.data(), room.size(), 0};
    const size_t before = in.pos;
    ret = ZSTD_decompressStream(dctx, &out, &in);
    if (ZSTD_isError(ret)) {
      return absl::DataLossError(
          absl::StrCat("zstd: corrupt frame near input byte ", before, ": ",
                       ZSTD_getErrorName(ret)));
    }
    sink.Commit(out.pos);
    if (sink.exceeded()) return sink.LimitError("zstd");
    if (in.pos == before && out.pos == 0 && in.pos < in.size) {
      return absl::DataLossError(
          absl::StrCat("zstd: frame makes no progress at input byte ", in.pos));
    }
    if (in.pos == in.size && ret != 0 && out.pos < out.size) {
      return absl::DataLossError(
          absl::StrCat("zstd: truncated frame (", input.size(), " bytes)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::optional<CompressionCodec> CompressionCodecFromId(int id) {
  if (id < 0 || id > 4) return std::nullopt;
  return static_cast<CompressionCodec>(id);
}

std::string_view CompressionCodecName(CompressionCodec codec) {
  switch (codec) {
    case CompressionCodec::kNone:
      return "none";
    case CompressionCodec::kGzip:
      return "gzip";
    case CompressionCodec::kSnappy:
      return "snappy";
    case CompressionCodec::kLz4:
      return "lz4";
    case CompressionCodec::kZstd:
      return "zstd";
  }
  return "unknown";
}

absl::Status Compress(CompressionCodec codec, std::span<const uint8_t> input,
                      std::vector<uint8_t>& out,
                      const CompressOptions& options) {
  switch (codec) {
    case CompressionCodec::kNone:
      out.insert(out.end(), input.begin(), input.end());
      return absl::OkStatus();
    case CompressionCodec::kGzip:
      return GzipCompress(input, out, options.level);
    case CompressionCodec::kSnappy:
      return SnappyCompress(input, out, options.snappy_framing);
    case CompressionCodec::kLz4:
      return Lz4Compress(input, out, options.level);
    case CompressionCodec::kZstd:
      return ZstdCompress(input, out, options.level);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown compression codec ", static_cast<int>(codec)));
}

absl::Status Decompress(CompressionCodec codec, std::span<const uint8_t> input,
                        size_t max_output, std::vector<uint8_t>& out) {
  BoundedOutput sink(out, max_output, SizeHint(input, max_output));
  absl::Status s;
  switch (codec) {
    case CompressionCodec::kNone:
      if (auto room = sink.RoomFor(input.size()); room) {
        if (!input.empty())
          std::memcpy(room->data(), input.data(), input.size());
        sink.Commit(input.size());
      } else {
        s = sink.LimitError("none");
      }
      break;
    case CompressionCodec::kGzip:
      s = GzipDecompress(input, sink);
      break;
    case CompressionCodec::kSnappy:
      s = SnappyDecompress(input, sink);
      break;
    case CompressionCodec::kLz4:
      s = Lz4Decompress(input, sink);
      break;
    case CompressionCodec::kZstd:
      s = ZstdDecompress(input, sink);
      break;
    default:
      s = absl::InvalidArgumentError(
          absl::StrCat("unknown compression codec ", static_cast<int>(codec)));
  }
  if (!s.ok()) {
    out.clear();
    return s;
  }
  sink.Finish();
  return absl::OkStatus();
}

}  // namespace kop::protocol
