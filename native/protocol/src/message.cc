#include "kop/protocol/message.h"

#include <cinttypes>
#include <cmath>
#include <cstdio>

namespace kop::protocol {

namespace {

// A string or bytes length: -1 (null) or a length that fits what remains.
int32_t ReadChecked(Reader& r, int64_t n, const char* what) {
  if (!r.ok()) return -1;
  if (n < -1) {
    r.Fail(std::string("negative ") + what + " length " + std::to_string(n));
    return -1;
  }
  if (n > static_cast<int64_t>(r.remaining())) {
    r.Fail(std::string(what) + " length " + std::to_string(n) +
           " exceeds the " + std::to_string(r.remaining()) +
           " bytes that remain");
    return -1;
  }
  return static_cast<int32_t>(n);
}

int64_t ReadCompactLength(Reader& r) {
  return static_cast<int64_t>(r.ReadUnsignedVarint()) - 1;
}

}  // namespace

int32_t ReadStringLength(Reader& r, bool compact) {
  return ReadChecked(r, compact ? ReadCompactLength(r) : r.ReadInt16(),
                     "string");
}

int32_t ReadBytesLength(Reader& r, bool compact) {
  return ReadChecked(r, compact ? ReadCompactLength(r) : r.ReadInt32(),
                     "bytes");
}

int32_t ReadArrayLength(Reader& r, bool compact, size_t min_element_size) {
  const int64_t n = compact ? ReadCompactLength(r) : r.ReadInt32();
  if (!r.ok()) return -1;
  if (n < -1) {
    r.Fail("negative array length " + std::to_string(n));
    return -1;
  }
  if (min_element_size == 0) min_element_size = 1;
  if (n > 0 && static_cast<uint64_t>(n) > r.remaining() / min_element_size) {
    r.Fail("array of " + std::to_string(n) + " elements cannot fit in the " +
           std::to_string(r.remaining()) + " bytes that remain");
    return -1;
  }
  return static_cast<int32_t>(n);
}

void WriteStringLength(Writer& w, bool compact, int32_t length) {
  if (compact) {
    w.WriteUnsignedVarint(static_cast<uint32_t>(length + 1));
  } else {
    w.WriteInt16(static_cast<int16_t>(length));
  }
}

void WriteBytesLength(Writer& w, bool compact, int32_t length) {
  if (compact) {
    w.WriteUnsignedVarint(static_cast<uint32_t>(length + 1));
  } else {
    w.WriteInt32(length);
  }
}

size_t StringLengthSize(bool compact, int32_t length) {
  return compact ? UnsignedVarintSize(static_cast<uint32_t>(length + 1)) : 2;
}

size_t BytesLengthSize(bool compact, int32_t length) {
  return compact ? UnsignedVarintSize(static_cast<uint32_t>(length + 1)) : 4;
}

std::string ReadStringBody(Reader& r, int32_t length) {
  if (length <= 0) return {};
  Bytes b = r.ReadSpan(static_cast<size_t>(length));
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

std::vector<uint8_t> ReadBytesBody(Reader& r, int32_t length) {
  if (length <= 0) return {};
  Bytes b = r.ReadSpan(static_cast<size_t>(length));
  return std::vector<uint8_t>(b.begin(), b.end());
}

void WriteRawTaggedField(Writer& w, const RawTaggedField& f) {
  w.WriteUnsignedVarint(f.tag);
  w.WriteUnsignedVarint(static_cast<uint32_t>(f.data.size()));
  w.WriteSpan(Bytes(f.data));
}

size_t RawTaggedFieldSize(const RawTaggedField& f) {
  return UnsignedVarintSize(f.tag) + UnsignedVarintSize(f.data.size()) +
         f.data.size();
}

std::string Base64Encode(Bytes b) {
  static constexpr char kTable[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string s;
  s.reserve((b.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < b.size(); i += 3) {
    const uint32_t v = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
    s += kTable[v >> 18];
    s += kTable[(v >> 12) & 63];
    s += kTable[(v >> 6) & 63];
    s += kTable[v & 63];
  }
  if (i + 1 == b.size()) {
    const uint32_t v = b[i] << 16;
    s += kTable[v >> 18];
    s += kTable[(v >> 12) & 63];
    s += "==";
  } else if (i + 2 == b.size()) {
    const uint32_t v = (b[i] << 16) | (b[i + 1] << 8);
    s += kTable[v >> 18];
    s += kTable[(v >> 12) & 63];
    s += kTable[(v >> 6) & 63];
    s += '=';
  }
  return s;
}

// ---- JsonWriter ----

void JsonWriter::Separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_.push_back(',');
    first_.back() = false;
  }
}

void JsonWriter::BeginObject() {
  Separate();
  out_.push_back('{');
  first_.push_back(true);
}
void JsonWriter::EndObject() {
  out_.push_back('}');
  first_.pop_back();
}
void JsonWriter::BeginArray() {
  Separate();
  out_.push_back('[');
  first_.push_back(true);
}
void JsonWriter::EndArray() {
  out_.push_back(']');
  first_.pop_back();
}
void JsonWriter::Key(std::string_view k) {
  String(k);
  out_.push_back(':');
  after_key_ = true;
}

void JsonWriter::String(std::string_view s) {
  Separate();
  out_.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out_ += "\\\"";
        break;
      case '\\':
        out_ += "\\\\";
        break;
      case '\n':
        out_ += "\\n";
        break;
      case '\r':
        out_ += "\\r";
        break;
      case '\t':
        out_ += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out_ += buf;
        } else {
          out_.push_back(static_cast<char>(c));
        }
    }
  }
  out_.push_back('"');
}

void JsonWriter::Null() {
  Separate();
  out_ += "null";
}
void JsonWriter::Bool(bool b) {
  Separate();
  out_ += b ? "true" : "false";
}
void JsonWriter::Int(int64_t v) {
  Separate();
  out_ += std::to_string(v);
}
void JsonWriter::Double(double d) {
  Separate();
  if (!std::isfinite(d)) {
    out_ += "null";
    return;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", d);
  out_ += buf;
}
void JsonWriter::Uuid(const protocol::Uuid& u) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < u.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s.push_back('-');
    s.push_back(kHex[u[i] >> 4]);
    s.push_back(kHex[u[i] & 15]);
  }
  String(s);
}
void JsonWriter::Base64(Bytes b) { String(Base64Encode(b)); }
void JsonWriter::Raw(std::string_view json) {
  Separate();
  out_ += json;
}
void JsonWriter::Records(const RecordsRef& r) {
  if (r.is_null) {
    Null();
  } else if (records_printer_) {
    records_printer_(*this, r);
  } else {
    BeginObject();
    Key("size_bytes");
    Int(static_cast<int64_t>(r.data.size()));
    EndObject();
  }
}
void JsonWriter::TaggedFields(const std::vector<RawTaggedField>& fields) {
  BeginArray();
  for (const RawTaggedField& f : fields) {
    BeginObject();
    Key("tag");
    Int(f.tag);
    Key("data");
    Base64(Bytes(f.data));
    EndObject();
  }
  EndArray();
}

}  // namespace kop::protocol
