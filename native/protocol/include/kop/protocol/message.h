// What every generated Kafka message has in common, and the helpers the
// generated code calls for lengths, tagged fields and JSON.
#ifndef KOP_PROTOCOL_MESSAGE_H_
#define KOP_PROTOCOL_MESSAGE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "kop/protocol/buffer.h"

namespace kop::protocol {

// A `records` field: a view onto the frame it was decoded from (or onto
// whatever buffer the encoder's caller owns). Never a copy.
struct RecordsRef {
  bool is_null = true;
  Bytes data;

  static RecordsRef Of(Bytes b) { return RecordsRef{false, b}; }
  bool operator==(const RecordsRef& o) const {
    return is_null == o.is_null && data.size() == o.data.size() &&
           (data.empty() ||
            std::memcmp(data.data(), o.data.data(), data.size()) == 0);
  }
};

// A tagged field this build does not know, kept so it can be re-encoded.
struct RawTaggedField {
  uint32_t tag = 0;
  std::vector<uint8_t> data;
  bool operator==(const RawTaggedField&) const = default;
};

class JsonWriter;

// The interface of every top-level generated message (requests, responses,
// headers, data). Nested structs have the same methods without the virtuals.
class Message {
 public:
  virtual ~Message() = default;
  // Decodes `version` from `r`; failures are recorded in `r` (check r.ok()).
  virtual void Decode(Reader& r, int16_t version) = 0;
  // Fails only when a field set to a non-default value cannot be written in
  // `version` (and Kafka does not mark it ignorable), or a null where the
  // version does not allow one.
  virtual absl::Status Encode(Writer& w, int16_t version) const = 0;
  virtual size_t Size(int16_t version) const = 0;
  virtual void ToJson(JsonWriter& j, int16_t version) const = 0;
  // The schema's name, e.g. "ProduceRequest".
  virtual const char* type_name() const = 0;
  bool operator==(const Message&) const = default;
};

// Length prefixes. Non-compact strings use int16, bytes and arrays int32;
// compact ones use unsigned varint (length + 1). -1 means null.
// Lengths of strings and bytes are checked against the remaining input.
int32_t ReadStringLength(Reader& r, bool compact);
int32_t ReadBytesLength(Reader& r, bool compact);
// Array counts are bounded by remaining bytes / smallest element size, so a
// hostile count never drives an allocation.
int32_t ReadArrayLength(Reader& r, bool compact, size_t min_element_size);
void WriteStringLength(Writer& w, bool compact, int32_t length);
void WriteBytesLength(Writer& w, bool compact, int32_t length);
inline void WriteArrayLength(Writer& w, bool compact, int32_t length) {
  WriteBytesLength(w, compact, length);
}
size_t StringLengthSize(bool compact, int32_t length);
size_t BytesLengthSize(bool compact, int32_t length);
inline size_t ArrayLengthSize(bool compact, int32_t length) {
  return BytesLengthSize(compact, length);
}

std::string ReadStringBody(Reader& r, int32_t length);
std::vector<uint8_t> ReadBytesBody(Reader& r, int32_t length);

void WriteRawTaggedField(Writer& w, const RawTaggedField& f);
size_t RawTaggedFieldSize(const RawTaggedField& f);

// Standard base64 (RFC 4648, padded): JSON output of bytes fields, and
// Pulsar's encoding of binary partition keys.
std::string Base64Encode(Bytes b);

// A minimal streaming JSON writer for kop-decode and logs.
class JsonWriter {
 public:
  // How `records` fields are printed; by default as their size.
  using RecordsPrinter = std::function<void(JsonWriter&, const RecordsRef&)>;

  explicit JsonWriter(std::string& out) : out_(out) {}

  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  void Key(std::string_view k);
  void String(std::string_view s);
  void Null();
  void Bool(bool b);
  void Int(int64_t v);
  void Double(double d);
  void Uuid(const protocol::Uuid& u);
  void Base64(Bytes b);
  void Raw(std::string_view json);
  void Records(const RecordsRef& r);
  void TaggedFields(const std::vector<RawTaggedField>& fields);

  void set_records_printer(RecordsPrinter p) {
    records_printer_ = std::move(p);
  }

 private:
  void Separate();

  std::string& out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
  RecordsPrinter records_printer_;
};

}  // namespace kop::protocol

#endif  // KOP_PROTOCOL_MESSAGE_H_
