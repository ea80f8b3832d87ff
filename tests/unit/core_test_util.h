// Shared helpers for the core's tests: a recording sink, request frames and
// response decoding.
#ifndef KOP_TESTS_UNIT_CORE_TEST_UTIL_H_
#define KOP_TESTS_UNIT_CORE_TEST_UTIL_H_

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kop/core/broker.h"
#include "kop/protocol/api.h"
#include "kop/protocol/messages/request_header.h"
#include "kop/protocol/messages/response_header.h"
#include "kop/protocol/record_batch.h"
#include "kop/testing/fake_log.h"
#include "kop/testing/fake_security.h"
#include "kop/testing/fake_topics.h"

namespace kop::core::testing {

struct RecordingSink : ResponseSink {
  std::vector<std::vector<uint8_t>> frames;
  bool closed = false;
  void Send(std::span<const uint8_t> f) override {
    frames.emplace_back(f.begin(), f.end());
  }
  void Close() override { closed = true; }
};

inline std::vector<uint8_t> RequestFrame(int16_t key, int16_t version,
                                         int32_t corr,
                                         const protocol::Message& body) {
  protocol::RequestHeader h;
  h.request_api_key = key;
  h.request_api_version = version;
  h.correlation_id = corr;
  h.client_id = "test-client";
  std::vector<uint8_t> out;
  protocol::Writer w(out);
  REQUIRE(h.Encode(w, protocol::RequestHeaderVersion(key, version)).ok());
  REQUIRE(body.Encode(w, version).ok());
  return out;
}

// Checks the length prefix and correlation id; decodes the whole body.
template <typename T>
T DecodeResponse(const std::vector<uint8_t>& frame, int16_t key,
                 int16_t version, int32_t expected_corr) {
  protocol::Reader r(frame);
  REQUIRE(r.ReadInt32() == static_cast<int32_t>(frame.size() - 4));
  protocol::ResponseHeader h;
  h.Decode(r, protocol::ResponseHeaderVersion(key, version));
  CHECK(h.correlation_id == expected_corr);
  T body;
  body.Decode(r, version);
  REQUIRE(r.ok());
  CHECK(r.remaining() == 0);
  return body;
}

// Sends `request` on `conn` with the next correlation id and decodes the one
// response it must answer at once (the fixtures' Send).
template <typename Response>
Response Exchange(Connection& conn, RecordingSink& sink, int32_t& corr,
                  int16_t key, int16_t version,
                  const protocol::Message& request) {
  const size_t before = sink.frames.size();
  conn.OnFrame(RequestFrame(key, version, ++corr, request));
  REQUIRE(sink.frames.size() == before + 1);
  return DecodeResponse<Response>(sink.frames.back(), key, version, corr);
}

// A batch of `n` records with values "v<i>" and timestamps 1700000000000+i.
inline std::vector<uint8_t> TestBatch(
    int n,
    protocol::CompressionCodec codec = protocol::CompressionCodec::kNone) {
  static std::vector<std::string> values;
  while (values.size() < static_cast<size_t>(n))
    values.push_back("v" + std::to_string(values.size()));
  std::vector<protocol::RecordInput> in(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    in[i].timestamp = 1700000000000 + i;
    in[i].value = protocol::Bytes(
        reinterpret_cast<const uint8_t*>(values[i].data()), values[i].size());
  }
  protocol::BatchBuildOptions o;
  o.codec = codec;
  std::vector<uint8_t> out;
  REQUIRE(protocol::AppendRecordBatch(in, o, out).ok());
  return out;
}

// Whether a LogPort read or append, or a TopicPort lookup, named `topic`.
inline bool Touched(const FakeLog& log, const FakeTopics& topics,
                    const std::string& topic) {
  for (const auto& [key, partition] : log.partitions) {
    if (key.first == topic) return true;
  }
  for (const std::string& n : topics.looked_up) {
    if (n == topic) return true;
  }
  return false;
}

// A broker and one PLAINTEXT connection acting as `role`, with the fakes it
// uses: what the authorization, ACL and topic-name tests' fixtures share.
struct RoleConnection {
  void Connect(const Config& config, std::string role,
               bool with_security = true) {
    broker = Broker::Create(config);
    conn = broker->Accept(&sink, &topics, &log,
                          with_security ? &security : nullptr,
                          ListenerSecurity{false, {}, std::move(role)});
  }
  template <typename Response>
  Response Send(int16_t key, int16_t version,
                const protocol::Message& request) {
    return Exchange<Response>(*conn, sink, corr, key, version, request);
  }

  RecordingSink sink;
  FakeTopics topics;
  FakeLog log;
  FakeSecurity security;
  std::unique_ptr<Broker> broker;  // outlives conn (declared first)
  std::unique_ptr<Connection> conn;
  int32_t corr = 0;
};

}  // namespace kop::core::testing

#endif  // KOP_TESTS_UNIT_CORE_TEST_UTIL_H_
