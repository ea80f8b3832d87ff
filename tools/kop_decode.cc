// kop-decode: prints Kafka frames as JSON, one object per line.
//
//   kop-decode [FILE]                       request frames (stdin without FILE)
//   kop-decode --responses --api KEY --version V [FILE]
//   kop-decode --responses --requests REQ_FILE [FILE]   pairs by correlation id
//   --records       every record of every batch, not only batch summaries
//   --max-frame N   largest frame accepted (default 100 MiB)
//
// FILE holds length-prefixed frames as they cross the socket (a tshark TCP
// payload export, a socket dump, or tests/fixtures/frames/*/requests.bin).
// A frame that does not decode prints {"error": ...} and decoding goes on
// with the next frame; a length prefix that cannot be trusted ends the run.
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "kop/protocol/api.h"
#include "kop/protocol/message.h"
#include "kop/protocol/messages/request_header.h"
#include "kop/protocol/messages/response_header.h"
#include "kop/protocol/record_batch.h"

namespace kop::protocol {
namespace {

struct Options {
  bool responses = false;
  int api_key = -1;
  int api_version = -1;
  std::string requests_file;
  std::string input;
  bool records = false;
  size_t max_frame = 100 * 1024 * 1024;
};

bool Printable(Bytes b) {
  for (uint8_t c : b) {
    if (c < 0x20 || c >= 0x7f) return false;
  }
  return true;
}

// Keys, values and header values: text when printable, else base64.
void BytesValue(JsonWriter& j, const std::optional<Bytes>& b) {
  if (!b) {
    j.Null();
  } else if (Printable(*b)) {
    j.String(
        std::string_view(reinterpret_cast<const char*>(b->data()), b->size()));
  } else {
    j.BeginObject();
    j.Key("base64");
    j.Base64(*b);
    j.EndObject();
  }
}

void PrintRecords(JsonWriter& j, const RecordsRef& ref, bool with_records) {
  j.BeginObject();
  j.Key("size_bytes");
  j.Int(static_cast<int64_t>(ref.data.size()));
  j.Key("batches");
  j.BeginArray();
  BatchCursor cursor(ref.data);
  std::vector<uint8_t> scratch;
  while (true) {
    absl::StatusOr<std::optional<RecordBatchView>> next = cursor.Next();
    if (!next.ok()) {
      j.BeginObject();
      j.Key("error");
      j.String(next.status().ToString());
      j.EndObject();
      break;
    }
    if (!next->has_value()) break;
    const RecordBatchView& batch = **next;
    const RecordBatchHeader& h = batch.header();
    j.BeginObject();
    j.Key("base_offset");
    j.Int(h.base_offset);
    j.Key("record_count");
    j.Int(h.records_count);
    j.Key("codec");
    j.String(CompressionCodecName(batch.codec()));
    j.Key("crc_valid");
    j.Bool(batch.CheckCrc().ok());
    j.Key("producer_id");
    j.Int(h.producer_id);
    j.Key("base_sequence");
    j.Int(h.base_sequence);
    j.Key("max_timestamp");
    j.Int(h.max_timestamp);
    if (with_records) {
      j.Key("records");
      j.BeginArray();
      absl::StatusOr<Bytes> payload = batch.Uncompressed(scratch);
      if (!payload.ok()) {
        j.BeginObject();
        j.Key("error");
        j.String(payload.status().ToString());
        j.EndObject();
      } else {
        RecordIterator it = batch.Records(*payload);
        RecordView r;
        while (it.Next(r)) {
          j.BeginObject();
          j.Key("offset");
          j.Int(h.base_offset + r.offset_delta);
          j.Key("timestamp");
          j.Int(h.base_timestamp + r.timestamp_delta);
          j.Key("key");
          BytesValue(j, r.key);
          j.Key("value");
          BytesValue(j, r.value);
          j.Key("headers");
          j.BeginArray();
          for (const RecordHeaderView& hv : r.headers()) {
            j.BeginObject();
            j.Key("key");
            j.String(hv.key);
            j.Key("value");
            BytesValue(j, hv.value);
            j.EndObject();
          }
          j.EndArray();
          j.EndObject();
        }
        if (!it.status().ok()) {
          j.BeginObject();
          j.Key("error");
          j.String(it.status().ToString());
          j.EndObject();
        }
      }
      j.EndArray();
    }
    j.EndObject();
  }
  j.EndArray();
  if (!cursor.partial().empty()) {
    // Legal at the end of Fetch data: the broker cut a batch at max_bytes.
    j.Key("partial_batch_bytes");
    j.Int(static_cast<int64_t>(cursor.partial().size()));
  }
  j.EndObject();
}

void ErrorObject(size_t frame_index, size_t offset, const std::string& what) {
  std::string out;
  JsonWriter j(out);
  j.BeginObject();
  j.Key("frame");
  j.Int(static_cast<int64_t>(frame_index));
  j.Key("offset");
  j.Int(static_cast<int64_t>(offset));
  j.Key("error");
  j.String(what);
  j.EndObject();
  std::cout << out << "\n";
}

// Length-prefixed frames; stops at a prefix it cannot trust.
std::vector<std::pair<size_t, Bytes>> SplitFrames(
    const std::vector<uint8_t>& data, size_t max_frame) {
  std::vector<std::pair<size_t, Bytes>> frames;
  size_t pos = 0;
  while (pos < data.size()) {
    if (data.size() - pos < 4) {
      ErrorObject(frames.size(), pos, "truncated length prefix");
      break;
    }
    Reader r(Bytes(data).subspan(pos, 4));
    const int32_t n = r.ReadInt32();
    if (n < 0 || static_cast<size_t>(n) > max_frame) {
      ErrorObject(frames.size(), pos,
                  "frame length " + std::to_string(n) + " outside 0.." +
                      std::to_string(max_frame) + "; cannot find later frames");
      break;
    }
    if (static_cast<size_t>(n) > data.size() - pos - 4) {
      ErrorObject(frames.size(), pos,
                  "frame of " + std::to_string(n) + " bytes but only " +
                      std::to_string(data.size() - pos - 4) + " remain");
      break;
    }
    frames.emplace_back(pos,
                        Bytes(data).subspan(pos + 4, static_cast<size_t>(n)));
    pos += 4 + static_cast<size_t>(n);
  }
  return frames;
}

bool ReadAll(const std::string& path, std::vector<uint8_t>& out) {
  if (path.empty() || path == "-") {
    out.assign(std::istreambuf_iterator<char>(std::cin), {});
    return true;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), {});
  return true;
}

struct Call {
  int16_t api_key;
  int16_t api_version;
};

// Decodes one frame: header, then body. Prints an object either way.
void DecodeFrame(const Options& o, size_t index, size_t offset, Bytes frame,
                 std::map<int32_t, std::deque<Call>>& calls) {
  Reader r(frame);
  std::string out;
  JsonWriter j(out);
  j.set_records_printer([&o](JsonWriter& jw, const RecordsRef& ref) {
    PrintRecords(jw, ref, o.records);
  });
  int16_t key, version;
  int32_t correlation_id;
  std::optional<std::string> client_id;
  std::unique_ptr<Message> body;
  if (!o.responses) {
    Reader peek(frame);
    key = peek.ReadInt16();
    version = peek.ReadInt16();
    if (!peek.ok()) {
      ErrorObject(index, offset, "frame shorter than a request header");
      return;
    }
    RequestHeader h;
    h.Decode(r, RequestHeaderVersion(key, version));
    correlation_id = h.correlation_id;
    client_id = h.client_id;
    body = NewRequest(key);
  } else {
    Reader peek(frame);
    correlation_id = peek.ReadInt32();
    if (!peek.ok()) {
      ErrorObject(index, offset, "frame shorter than a response header");
      return;
    }
    if (o.api_key >= 0) {
      key = static_cast<int16_t>(o.api_key);
      version = static_cast<int16_t>(o.api_version);
    } else {
      auto it = calls.find(correlation_id);
      if (it == calls.end() || it->second.empty()) {
        ErrorObject(
            index, offset,
            "no request with correlation id " + std::to_string(correlation_id));
        return;
      }
      key = it->second.front().api_key;
      version = it->second.front().api_version;
      it->second.pop_front();
    }
    ResponseHeader h;
    h.Decode(r, ResponseHeaderVersion(key, version));
    body = NewResponse(key);
  }
  const ApiSpec* spec = FindApi(key);
  if (body == nullptr) {
    ErrorObject(index, offset, "unknown API key " + std::to_string(key));
    return;
  }
  if (version < spec->min_version || version > spec->max_version) {
    ErrorObject(index, offset,
                std::string(spec->name) + " version " +
                    std::to_string(version) + " is outside " +
                    std::to_string(spec->min_version) + ".." +
                    std::to_string(spec->max_version));
    return;
  }
  if (r.ok()) body->Decode(r, version);
  if (!r.ok()) {
    ErrorObject(index, offset,
                std::string(body->type_name()) + " v" +
                    std::to_string(version) + ": " + r.error().what +
                    " at byte " + std::to_string(r.error().offset));
    return;
  }
  j.BeginObject();
  j.Key("api_key");
  j.Int(key);
  j.Key("api_name");
  j.String(spec->name);
  j.Key("api_version");
  j.Int(version);
  j.Key("correlation_id");
  j.Int(correlation_id);
  if (!o.responses) {
    j.Key("client_id");
    if (client_id) {
      j.String(*client_id);
    } else {
      j.Null();
    }
  }
  if (r.remaining() != 0) {
    j.Key("trailing_bytes");
    j.Int(static_cast<int64_t>(r.remaining()));
  }
  j.Key("body");
  body->ToJson(j, version);
  j.EndObject();
  std::cout << out << "\n";
}

int Usage() {
  std::cerr << "usage: kop-decode [--records] [--max-frame N] [FILE]\n"
               "       kop-decode --responses (--api KEY --version V | "
               "--requests FILE) [--records] [FILE]\n";
  return 2;
}

int Main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* name) -> const char* {
      if (i + 1 >= argc) {
        std::cerr << name << " needs a value\n";
        return nullptr;
      }
      return argv[++i];
    };
    if (a == "--responses") {
      o.responses = true;
    } else if (a == "--records") {
      o.records = true;
    } else if (a == "--api" || a == "--version" || a == "--requests" ||
               a == "--max-frame") {
      const char* v = value(a.c_str());
      if (!v) return Usage();
      if (a == "--api") o.api_key = std::atoi(v);
      if (a == "--version") o.api_version = std::atoi(v);
      if (a == "--requests") o.requests_file = v;
      if (a == "--max-frame") o.max_frame = std::strtoull(v, nullptr, 10);
    } else if (a == "-h" || a == "--help") {
      return Usage() - 2;
    } else if (!a.empty() && a[0] == '-' && a != "-") {
      std::cerr << "unknown option " << a << "\n";
      return Usage();
    } else {
      o.input = a;
    }
  }
  if (o.responses && o.requests_file.empty() &&
      (o.api_key < 0 || o.api_version < 0)) {
    std::cerr << "--responses needs --api and --version, or --requests\n";
    return Usage();
  }
  std::map<int32_t, std::deque<Call>> calls;
  if (!o.requests_file.empty()) {
    std::vector<uint8_t> req;
    if (!ReadAll(o.requests_file, req)) {
      std::cerr << "cannot read " << o.requests_file << "\n";
      return 1;
    }
    for (auto& [pos, frame] : SplitFrames(req, o.max_frame)) {
      Reader peek(frame);
      Call c{peek.ReadInt16(), peek.ReadInt16()};
      const int32_t corr = peek.ReadInt32();
      if (peek.ok()) calls[corr].push_back(c);
    }
  }
  std::vector<uint8_t> data;
  if (!ReadAll(o.input, data)) {
    std::cerr << "cannot read " << o.input << "\n";
    return 1;
  }
  size_t index = 0;
  for (auto& [pos, frame] : SplitFrames(data, o.max_frame)) {
    DecodeFrame(o, index++, pos, frame, calls);
  }
  return 0;
}

}  // namespace
}  // namespace kop::protocol

int main(int argc, char** argv) { return kop::protocol::Main(argc, argv); }
