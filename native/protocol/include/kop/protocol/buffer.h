// Big-endian reader and writer for Kafka's wire primitives.
//
// The reader never trusts the input: every read is bounds-checked, and the
// first failure is sticky (later reads return zero values), so a decoder can
// read a whole struct and check `ok()` once, while loops and allocations
// check it before trusting a count.
#ifndef KOP_PROTOCOL_BUFFER_H_
#define KOP_PROTOCOL_BUFFER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kop::protocol {

using Bytes = std::span<const uint8_t>;
using Uuid = std::array<uint8_t, 16>;

// Where and why decoding failed.
struct DecodeError {
  size_t offset = 0;
  std::string what;
};

class Reader {
 public:
  explicit Reader(Bytes data) : data_(data) {}

  size_t position() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }
  bool ok() const { return error_.what.empty(); }
  const DecodeError& error() const { return error_; }

  // Records the first failure; later ones are ignored so the root cause wins.
  void Fail(std::string what) {
    if (ok()) {
      error_.offset = pos_;
      error_.what = std::move(what);
      if (error_.what.empty()) error_.what = "decode error";
    }
    pos_ = data_.size();  // stop every later read
  }

  int8_t ReadInt8() { return static_cast<int8_t>(ReadFixed<uint8_t>()); }
  int16_t ReadInt16() { return static_cast<int16_t>(ReadFixed<uint16_t>()); }
  int32_t ReadInt32() { return static_cast<int32_t>(ReadFixed<uint32_t>()); }
  int64_t ReadInt64() { return static_cast<int64_t>(ReadFixed<uint64_t>()); }
  uint16_t ReadUint16() { return ReadFixed<uint16_t>(); }
  uint32_t ReadUint32() { return ReadFixed<uint32_t>(); }
  double ReadFloat64() {
    uint64_t bits = ReadFixed<uint64_t>();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    return d;
  }
  Uuid ReadUuid() {
    Uuid u{};
    Bytes b = ReadSpan(16);
    if (!b.empty()) std::memcpy(u.data(), b.data(), 16);
    return u;
  }
  bool ReadBool() { return ReadFixed<uint8_t>() != 0; }

  // Kafka's unsigned varint (protobuf style), at most 5 bytes for 32 bits.
  uint32_t ReadUnsignedVarint() {
    return static_cast<uint32_t>(ReadVarBits(5, "unsigned varint"));
  }
  int32_t ReadVarint() {
    uint32_t v = static_cast<uint32_t>(ReadVarBits(5, "varint"));
    return static_cast<int32_t>((v >> 1) ^ (~(v & 1) + 1));
  }
  int64_t ReadVarlong() {
    uint64_t v = ReadVarBits(10, "varlong");
    return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1));
  }

  // `n` bytes as a view into the input, or an empty span after a failure.
  Bytes ReadSpan(size_t n) {
    if (n > remaining()) {
      Fail("need " + std::to_string(n) + " bytes, " +
           std::to_string(remaining()) + " remain");
      return {};
    }
    Bytes out = data_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  void Skip(size_t n) { ReadSpan(n); }

  // Everything not yet read.
  Bytes Rest() const { return data_.subspan(pos_); }

 private:
  template <typename T>
  T ReadFixed() {
    if (remaining() < sizeof(T)) {
      Fail("need " + std::to_string(sizeof(T)) + " bytes, " +
           std::to_string(remaining()) + " remain");
      return 0;
    }
    T v = 0;
    for (size_t i = 0; i < sizeof(T); ++i) {
      v = static_cast<T>((static_cast<uint64_t>(v) << 8) | data_[pos_ + i]);
    }
    pos_ += sizeof(T);
    return v;
  }

  uint64_t ReadVarBits(int max_bytes, const char* what) {
    uint64_t v = 0;
    for (int i = 0; i < max_bytes; ++i) {
      if (remaining() == 0) {
        Fail(std::string("truncated ") + what);
        return 0;
      }
      uint8_t b = data_[pos_++];
      v |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
      if ((b & 0x80) == 0) return v;
    }
    Fail(std::string(what) + " longer than " + std::to_string(max_bytes) +
         " bytes");
    return 0;
  }

  Bytes data_;
  size_t pos_ = 0;
  DecodeError error_;
};

// Appends to a byte vector. Encoders size their output first (`size()`), so
// one reservation covers a whole message.
class Writer {
 public:
  explicit Writer(std::vector<uint8_t>& out) : out_(out) {}

  size_t position() const { return out_.size(); }

  void WriteInt8(int8_t v) { out_.push_back(static_cast<uint8_t>(v)); }
  void WriteInt16(int16_t v) { WriteFixed(static_cast<uint16_t>(v)); }
  void WriteInt32(int32_t v) { WriteFixed(static_cast<uint32_t>(v)); }
  void WriteInt64(int64_t v) { WriteFixed(static_cast<uint64_t>(v)); }
  void WriteUint16(uint16_t v) { WriteFixed(v); }
  void WriteUint32(uint32_t v) { WriteFixed(v); }
  void WriteFloat64(double d) {
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    WriteFixed(bits);
  }
  void WriteBool(bool b) { out_.push_back(b ? 1 : 0); }
  void WriteUuid(const Uuid& u) { out_.insert(out_.end(), u.begin(), u.end()); }
  void WriteUnsignedVarint(uint32_t v) { WriteVarBits(v); }
  void WriteVarint(int32_t v) {
    WriteVarBits((static_cast<uint32_t>(v) << 1) ^
                 static_cast<uint32_t>(v >> 31));
  }
  void WriteVarlong(int64_t v) {
    WriteVarBits((static_cast<uint64_t>(v) << 1) ^
                 static_cast<uint64_t>(v >> 63));
  }
  void WriteSpan(Bytes b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void WriteSpan(std::string_view s) {
    out_.insert(out_.end(), s.begin(), s.end());
  }
  // Overwrites 4 bytes written earlier (length prefixes, batch sizes).
  void PatchInt32(size_t at, int32_t v) {
    for (int i = 0; i < 4; ++i) {
      out_[at + i] =
          static_cast<uint8_t>(static_cast<uint32_t>(v) >> (24 - 8 * i));
    }
  }

 private:
  template <typename T>
  void WriteFixed(T v) {
    for (int i = sizeof(T) - 1; i >= 0; --i) {
      out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
    }
  }
  void WriteVarBits(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<uint8_t>(v | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<uint8_t>(v));
  }

  std::vector<uint8_t>& out_;
};

// Encoded sizes, for `size()` before encoding.
inline size_t UnsignedVarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}
inline size_t VarintSize(int32_t v) {
  return UnsignedVarintSize((static_cast<uint32_t>(v) << 1) ^
                            static_cast<uint32_t>(v >> 31));
}
inline size_t VarlongSize(int64_t v) {
  return UnsignedVarintSize((static_cast<uint64_t>(v) << 1) ^
                            static_cast<uint64_t>(v >> 63));
}

}  // namespace kop::protocol

#endif  // KOP_PROTOCOL_BUFFER_H_
