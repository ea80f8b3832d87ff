// Kafka frames into the generated codec and the connection.
//
// Input: one mode byte, then
//   mode even: a request frame (header + body), as a client sends it,
//              served over in-memory topics and log;
//   mode odd:  api_key (int16), api_version (int16), then a response frame.
// Whatever decodes must encode again and decode to an equal message; request
// frames also go through the connection (ApiVersions, Metadata, rejects).
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "kop/core/broker.h"
#include "kop/protocol/api.h"
#include "kop/protocol/messages/request_header.h"
#include "kop/protocol/messages/response_header.h"
#include "kop/testing/fake_log.h"
#include "kop/testing/fake_topics.h"

namespace {

using namespace kop::protocol;  // NOLINT

struct NullSink : kop::core::ResponseSink {
  void Send(std::span<const uint8_t> f) override {
    if (f.size() < 4) std::abort();
  }
  void Close() override {}
};

void RoundTrip(const Message& m, int16_t version, bool response, int16_t key) {
  std::vector<uint8_t> bytes;
  Writer w(bytes);
  if (!m.Encode(w, version).ok()) std::abort();  // decoded => encodable
  if (bytes.size() != m.Size(version)) std::abort();
  Reader r(bytes);
  auto again = response ? NewResponse(key) : NewRequest(key);
  again->Decode(r, version);
  if (!r.ok() || r.remaining() != 0 || !(*again == m)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const bool response = data[0] & 1;
  Bytes rest(data + 1, size - 1);
  Reader peek(rest);
  int16_t key, version;
  if (response) {
    key = peek.ReadInt16();
    version = peek.ReadInt16();
    if (!peek.ok()) return 0;
    rest = rest.subspan(4);
  } else {
    key = peek.ReadInt16();
    version = peek.ReadInt16();
    if (!peek.ok()) return 0;
    // Fresh per input: group and producer state must not carry from one
    // input to the next (reproducible crashes, no state growing across a
    // run).
    auto broker = kop::core::Broker::Create({});
    NullSink sink;
    kop::core::testing::FakeTopics topics;
    topics.topics["orders"] = 3;
    kop::core::testing::FakeLog
        log;  // fresh per input: Produce, Fetch, ListOffsets
    broker->Accept(&sink, &topics, &log)->OnFrame(rest);
  }
  const ApiSpec* spec = FindApi(key);
  if (spec == nullptr || version < spec->min_version ||
      version > spec->max_version) {
    return 0;
  }
  Reader r(rest);
  if (response) {
    ResponseHeader h;
    h.Decode(r, ResponseHeaderVersion(key, version));
  } else {
    RequestHeader h;
    h.Decode(r, RequestHeaderVersion(key, version));
  }
  auto body = response ? NewResponse(key) : NewRequest(key);
  body->Decode(r, version);
  if (r.ok()) RoundTrip(*body, version, response, key);
  return 0;
}
