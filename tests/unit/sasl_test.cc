// SASL on a connection: SaslHandshake and SaslAuthenticate against a fake
// SecurityPort, the gate before authentication, KIP-368 expiry and
// re-authentication, the bare token after SaslHandshake v0, and which
// listeners advertise the SASL APIs.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "core_test_util.h"
#include "kop/core/broker.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/api_versions_request.h"
#include "kop/protocol/messages/api_versions_response.h"
#include "kop/protocol/messages/metadata_request.h"
#include "kop/protocol/messages/metadata_response.h"
#include "kop/protocol/messages/sasl_authenticate_request.h"
#include "kop/protocol/messages/sasl_authenticate_response.h"
#include "kop/protocol/messages/sasl_handshake_request.h"
#include "kop/protocol/messages/sasl_handshake_response.h"
#include "kop/testing/fake_security.h"
#include "kop/testing/fake_topics.h"
#include "session.h"

namespace kop::core {
namespace {

using namespace kop::protocol;  // NOLINT: test brevity

using testing::DecodeResponse;
using testing::RequestFrame;

struct SaslSink : testing::RecordingSink {
  bool failed_auth_close = false;
  void CloseAfterFailedAuthentication() override {
    failed_auth_close = true;
    Close();
  }
};

struct Fixture {
  explicit Fixture(bool sasl = true, Config config = {}) {
    broker = Broker::Create(config);
    topics.admin = false;
    security.enabled = false;  // authentication only (authz_test.cc)
    security.credentials[{"token", "good"}] = {"alice", 0};
    security.credentials[{"token", "bob-token"}] = {"bob", 0};
    ListenerSecurity l;
    l.sasl = sasl;
    l.sasl_mechanisms = {"PLAIN", "OAUTHBEARER"};
    conn = broker->Accept(&sink, &topics, nullptr, &security, l);
  }
  std::unique_ptr<Broker> broker;
  SaslSink sink;
  testing::FakeTopics topics;
  testing::FakeSecurity security;
  std::unique_ptr<Connection> conn;
  int32_t corr = 0;

  SaslHandshakeResponse Handshake(const std::string& mechanism, int16_t v = 1) {
    SaslHandshakeRequest req;
    req.mechanism = mechanism;
    const size_t before = sink.frames.size();
    conn->OnFrame(RequestFrame(17, v, ++corr, req));
    REQUIRE(sink.frames.size() == before + 1);
    return DecodeResponse<SaslHandshakeResponse>(sink.frames.back(), 17, v,
                                                 corr);
  }
  SaslAuthenticateResponse Authenticate(const std::string& bytes,
                                        int16_t v = 2) {
    SaslAuthenticateRequest req;
    req.auth_bytes.assign(bytes.begin(), bytes.end());
    const size_t before = sink.frames.size();
    conn->OnFrame(RequestFrame(36, v, ++corr, req));
    REQUIRE(sink.frames.size() == before + 1);
    return DecodeResponse<SaslAuthenticateResponse>(sink.frames.back(), 36, v,
                                                    corr);
  }
  // Whether a Metadata request is answered (false: the connection closed).
  bool MetadataServed() {
    const size_t before = sink.frames.size();
    conn->OnFrame(RequestFrame(3, 12, ++corr, MetadataRequest{}));
    return !sink.closed && sink.frames.size() == before + 1;
  }
  std::vector<int16_t> AdvertisedKeys() {
    ApiVersionsRequest req;
    req.client_software_name = "t";
    req.client_software_version = "1";
    conn->OnFrame(RequestFrame(18, 3, ++corr, req));
    auto resp =
        DecodeResponse<ApiVersionsResponse>(sink.frames.back(), 18, 3, corr);
    std::vector<int16_t> keys;
    for (const auto& k : resp.api_keys) keys.push_back(k.api_key);
    return keys;
  }
};

std::string Plain(const std::string& user, const std::string& password) {
  return std::string(1, '\0') + user + std::string(1, '\0') + password;
}

bool Has(const std::vector<int16_t>& v, int16_t k) {
  return std::find(v.begin(), v.end(), k) != v.end();
}

TEST_CASE("SASL APIs are advertised only on SASL listeners", "[sasl]") {
  Fixture plain(false);
  auto keys = plain.AdvertisedKeys();
  CHECK_FALSE(Has(keys, 17));
  CHECK_FALSE(Has(keys, 36));
  Fixture sasl(true);
  keys = sasl.AdvertisedKeys();
  CHECK(Has(keys, 17));
  CHECK(Has(keys, 36));
  CHECK_FALSE(sasl.sink.closed);
  // A handshake on a PLAINTEXT listener is not served.
  SaslHandshakeRequest req;
  req.mechanism = "PLAIN";
  plain.conn->OnFrame(RequestFrame(17, 1, 9, req));
  CHECK(plain.sink.closed);
}

TEST_CASE("before SASL, only ApiVersions and the SASL exchange are served",
          "[sasl]") {
  Fixture f;
  CHECK_FALSE(f.MetadataServed());
  CHECK(f.sink.closed);
  CHECK(f.security.asked.empty());

  Fixture g;
  CHECK(g.Handshake("PLAIN").error_code == 0);
  CHECK_FALSE(g.MetadataServed());  // handshake alone is not enough
}

TEST_CASE("SaslHandshake lists the mechanisms and refuses others", "[sasl]") {
  Fixture f;
  auto r = f.Handshake("SCRAM-SHA-256");
  CHECK(r.error_code == Code(ErrorCode::UNSUPPORTED_SASL_MECHANISM));
  CHECK(r.mechanisms == std::vector<std::string>{"PLAIN", "OAUTHBEARER"});
  CHECK(f.sink.closed);

  Fixture g;
  CHECK(g.Handshake("plain").error_code ==
        Code(ErrorCode::UNSUPPORTED_SASL_MECHANISM));  // case matters

  Fixture twice;
  CHECK(twice.Handshake("PLAIN").error_code == 0);
  CHECK(twice.Handshake("PLAIN").error_code ==
        Code(ErrorCode::ILLEGAL_SASL_STATE));
  CHECK(twice.sink.closed);

  Fixture early;
  auto a = early.Authenticate(Plain("public", "token:good"));
  CHECK(a.error_code == Code(ErrorCode::ILLEGAL_SASL_STATE));
  CHECK(early.sink.closed);
  CHECK(early.security.asked.empty());
}

TEST_CASE("PLAIN with token:<jwt> authenticates through the provider",
          "[sasl]") {
  Fixture f;
  CHECK(f.Handshake("PLAIN").error_code == 0);
  auto a = f.Authenticate(Plain("public/default", "token:good"));
  CHECK(a.error_code == 0);
  CHECK_FALSE(a.error_message.has_value());
  CHECK(a.session_lifetime_ms == 0);
  REQUIRE(f.security.asked.size() == 1);
  CHECK(f.security.asked[0].first == "token");
  CHECK(f.security.asked[0].second == "good");
  CHECK(f.MetadataServed());
}

TEST_CASE("failed SASL attempts answer SASL_AUTHENTICATION_FAILED and close",
          "[sasl]") {
  struct Case {
    std::string mechanism, bytes, must_mention;
    bool asks;
  };
  const std::vector<Case> cases = {
      {"PLAIN", Plain("public", "token:wrong-secret"), "", true},
      {"PLAIN", Plain("public", "nomethod-secret"), "token:<jwt>", false},
      {"PLAIN", Plain("bad tenant", "token:good"), "tenant", false},
      {"PLAIN", "no-nul-secret", "", false},
      {"OAUTHBEARER",
       "n,,\x01"
       "auth=Bearer wrong-secret\x01\x01",
       "", true},
      {"OAUTHBEARER", "garbage-secret", "", false},
  };
  for (const Case& c : cases) {
    INFO(c.bytes);
    Fixture f;
    CHECK(f.Handshake(c.mechanism).error_code == 0);
    auto a = f.Authenticate(c.bytes);
    CHECK(a.error_code == Code(ErrorCode::SASL_AUTHENTICATION_FAILED));
    REQUIRE(a.error_message.has_value());
    CHECK(a.error_message->find("secret") == std::string::npos);
    if (!c.must_mention.empty()) {
      CHECK(a.error_message->find(c.must_mention) != std::string::npos);
    }
    CHECK(f.sink.failed_auth_close);
    CHECK(f.security.asked.size() == (c.asks ? 1u : 0u));
    CHECK_FALSE(f.MetadataServed());
  }
}

TEST_CASE("OAUTHBEARER checks the bearer token as a Pulsar token", "[sasl]") {
  Fixture f;
  CHECK(f.Handshake("OAUTHBEARER").error_code == 0);
  auto a = f.Authenticate(
      "n,,\x01"
      "auth=Bearer good\x01\x01",
      1);
  CHECK(a.error_code == 0);
  REQUIRE(f.security.asked.size() == 1);
  CHECK(f.security.asked[0].first == "token");
  CHECK(f.MetadataServed());
}

TEST_CASE("KIP-368: session lifetime, expiry and re-authentication", "[sasl]") {
  SECTION(
      "the credential's expiry sets the lifetime; then the connection "
      "closes unless the client re-authenticates") {
    Fixture f;
    f.security.credentials[{"token", "short"}] = {"alice", SessionNowMs() + 80};
    CHECK(f.Handshake("PLAIN").error_code == 0);
    auto a = f.Authenticate(Plain("public", "token:short"));
    CHECK(a.error_code == 0);
    CHECK(a.session_lifetime_ms > 0);
    CHECK(a.session_lifetime_ms <= 80);
    CHECK(f.MetadataServed());
    std::this_thread::sleep_for(std::chrono::milliseconds(120));
    // Re-authentication is still allowed after expiry.
    CHECK(f.Handshake("PLAIN").error_code == 0);
    CHECK(f.Authenticate(Plain("public", "token:good")).error_code == 0);
    CHECK(f.MetadataServed());

    Fixture g;
    g.security.credentials[{"token", "short"}] = {"alice", SessionNowMs() + 50};
    CHECK(g.Handshake("PLAIN").error_code == 0);
    CHECK(g.Authenticate(Plain("public", "token:short")).error_code == 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(80));
    CHECK_FALSE(g.MetadataServed());
    CHECK(g.sink.closed);
  }
  SECTION("connectionsMaxReauthMs caps the lifetime") {
    Fixture f(true, {{"connectionsMaxReauthMs", "5000"}});
    CHECK(f.Handshake("PLAIN").error_code == 0);
    CHECK(f.Authenticate(Plain("public", "token:good")).session_lifetime_ms ==
          5000);
  }
  SECTION("an expired credential is refused") {
    Fixture f;
    f.security.credentials[{"token", "old"}] = {"alice", SessionNowMs() - 1};
    CHECK(f.Handshake("PLAIN").error_code == 0);
    CHECK(f.Authenticate(Plain("public", "token:old")).error_code ==
          Code(ErrorCode::SASL_AUTHENTICATION_FAILED));
    CHECK(f.sink.failed_auth_close);
  }
  SECTION("re-authentication must prove the same role") {
    Fixture f;
    CHECK(f.Handshake("PLAIN").error_code == 0);
    CHECK(f.Authenticate(Plain("public", "token:good")).error_code == 0);
    CHECK(f.Handshake("PLAIN").error_code == 0);
    CHECK_FALSE(f.MetadataServed());  // mid re-authentication
  }
  SECTION("re-authentication as another role fails and closes") {
    Fixture f;
    CHECK(f.Handshake("PLAIN").error_code == 0);
    CHECK(f.Authenticate(Plain("public", "token:good")).error_code == 0);
    CHECK(f.Handshake("PLAIN").error_code == 0);
    auto a = f.Authenticate(Plain("public", "token:bob-token"));
    CHECK(a.error_code == Code(ErrorCode::SASL_AUTHENTICATION_FAILED));
    CHECK(f.sink.failed_auth_close);
  }
  SECTION("re-authentication needs SaslHandshake v1") {
    Fixture f;
    CHECK(f.Handshake("PLAIN").error_code == 0);
    CHECK(f.Authenticate(Plain("public", "token:good")).error_code == 0);
    CHECK(f.Handshake("PLAIN", 0).error_code ==
          Code(ErrorCode::ILLEGAL_SASL_STATE));
  }
}

TEST_CASE("after SaslHandshake v0 the token is a bare frame", "[sasl]") {
  Fixture f;
  CHECK(f.Handshake("PLAIN", 0).error_code == 0);
  const std::string token = Plain("public", "token:good");
  f.conn->OnFrame(std::vector<uint8_t>(token.begin(), token.end()));
  REQUIRE(f.sink.frames.size() == 2);
  CHECK(f.sink.frames.back() == std::vector<uint8_t>{0, 0, 0, 0});
  CHECK(f.MetadataServed());

  Fixture bad;
  CHECK(bad.Handshake("PLAIN", 0).error_code == 0);
  const std::string wrong = Plain("public", "token:nope");
  bad.conn->OnFrame(std::vector<uint8_t>(wrong.begin(), wrong.end()));
  CHECK(bad.sink.frames.size() == 1);  // no frame: v0 just closes
  CHECK(bad.sink.failed_auth_close);

  Fixture empty;  // an empty frame is a (failed) token, not a header
  CHECK(empty.Handshake("PLAIN", 0).error_code == 0);
  empty.conn->OnFrame({});
  CHECK(empty.sink.failed_auth_close);
}

TEST_CASE("requests pipelined behind a pending SaslAuthenticate close",
          "[sasl]") {
  Fixture f;
  f.security.defer = true;
  CHECK(f.Handshake("PLAIN").error_code == 0);
  SaslAuthenticateRequest req;
  const std::string token = Plain("public", "token:good");
  req.auth_bytes.assign(token.begin(), token.end());
  f.conn->OnFrame(RequestFrame(36, 2, 50, req));
  CHECK_FALSE(f.MetadataServed());
  f.security.RunDeferred();  // answers a closed connection: dropped
  CHECK(f.sink.frames.size() == 1);
}

}  // namespace
}  // namespace kop::core

namespace kop::core {
namespace {

TEST_CASE("Metadata names this broker by the connection's listener", "[sasl]") {
  std::unique_ptr<Broker> broker =
      Broker::Create({{"kop.advertised.host", "plain.example"},
                      {"kop.advertised.port", "9092"}});
  testing::RecordingSink sink;
  testing::FakeTopics topics;
  ListenerSecurity l;
  l.advertised_host = "sasl.example";
  l.advertised_port = 9093;
  auto conn = broker->Accept(&sink, &topics, nullptr, nullptr, l);
  conn->OnFrame(testing::RequestFrame(3, 12, 1, protocol::MetadataRequest{}));
  REQUIRE(sink.frames.size() == 1);
  auto resp = testing::DecodeResponse<protocol::MetadataResponse>(
      sink.frames[0], 3, 12, 1);
  REQUIRE(resp.brokers.size() == 1);
  CHECK(resp.brokers[0].host == "sasl.example");
  CHECK(resp.brokers[0].port == 9093);

  testing::RecordingSink sink2;
  auto plain = broker->Accept(&sink2, &topics);
  plain->OnFrame(testing::RequestFrame(3, 12, 2, protocol::MetadataRequest{}));
  auto resp2 = testing::DecodeResponse<protocol::MetadataResponse>(
      sink2.frames[0], 3, 12, 2);
  CHECK(resp2.brokers[0].host == "plain.example");
}

}  // namespace
}  // namespace kop::core
