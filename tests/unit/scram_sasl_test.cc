// SCRAM on a connection: SaslHandshake + two SaslAuthenticate rounds against
// a fake metadata store, a wrong password and an unknown user (the same
// refusal), and the credential admin APIs (AlterUserScramCredentials,
// DescribeUserScramCredentials) with their superuser gate.
#include <catch2/catch.hpp>
#include <string>

#include "core_test_util.h"
#include "kop/core/broker.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/alter_user_scram_credentials_request.h"
#include "kop/protocol/messages/alter_user_scram_credentials_response.h"
#include "kop/protocol/messages/describe_user_scram_credentials_request.h"
#include "kop/protocol/messages/describe_user_scram_credentials_response.h"
#include "kop/protocol/messages/metadata_request.h"
#include "kop/protocol/messages/metadata_response.h"
#include "kop/protocol/messages/sasl_authenticate_request.h"
#include "kop/protocol/messages/sasl_authenticate_response.h"
#include "kop/protocol/messages/sasl_handshake_request.h"
#include "kop/protocol/messages/sasl_handshake_response.h"
#include "kop/testing/fake_security.h"
#include "kop/testing/fake_topics.h"
#include "kop/testing/scram_client.h"

namespace kop::core {
namespace {

using namespace kop::protocol;  // NOLINT: test brevity

using testing::DecodeResponse;
using testing::RequestFrame;
using testing::ScramClient;

struct Fixture {
  explicit Fixture(bool sasl = true) {
    broker = Broker::Create(Config{});
    topics.admin = false;
    security.enabled = false;
    ListenerSecurity l;
    l.sasl = sasl;
    l.sasl_mechanisms = {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"};
    conn = broker->Accept(&sink, &topics, nullptr, &security, l);
  }
  std::unique_ptr<Broker> broker;
  testing::RecordingSink sink;
  testing::FakeTopics topics;
  testing::FakeSecurity security;
  std::unique_ptr<Connection> conn;
  int32_t corr = 0;

  template <typename Response>
  Response Call(int16_t key, int16_t v, const Message& req) {
    const size_t before = sink.frames.size();
    conn->OnFrame(RequestFrame(key, v, ++corr, req));
    REQUIRE(sink.frames.size() == before + 1);
    return DecodeResponse<Response>(sink.frames.back(), key, v, corr);
  }
  SaslAuthenticateResponse Step(const std::string& bytes) {
    SaslAuthenticateRequest req;
    req.auth_bytes.assign(bytes.begin(), bytes.end());
    return Call<SaslAuthenticateResponse>(36, 2, req);
  }
  // A whole SCRAM-SHA-512 exchange; returns the final response.
  SaslAuthenticateResponse Login(const std::string& user,
                                 const std::string& password,
                                 std::string* expected_final = nullptr) {
    SaslHandshakeRequest hs;
    hs.mechanism = "SCRAM-SHA-512";
    REQUIRE(Call<SaslHandshakeResponse>(17, 1, hs).error_code == 0);
    ScramClient client{sasl::HashKind::kSha512, password,
                       "n=" + user + ",r=cnonce"};
    auto first = Step(client.First());
    if (first.error_code != 0) return first;
    const std::string server_first(first.auth_bytes.begin(),
                                   first.auth_bytes.end());
    return Step(client.Final(server_first, expected_final));
  }
  AlterUserScramCredentialsResponse Upsert(const std::string& user,
                                           const std::string& password,
                                           int8_t mechanism = 2,
                                           int32_t iterations = 4096) {
    AlterUserScramCredentialsRequest req;
    auto& u = req.upsertions.emplace_back();
    u.name = user;
    u.mechanism = mechanism;
    u.iterations = iterations;
    const std::string salt = "pepper";
    u.salt.assign(salt.begin(), salt.end());
    const auto kind =
        mechanism == 1 ? sasl::HashKind::kSha256 : sasl::HashKind::kSha512;
    const std::string salted = sasl::Pbkdf2(kind, password, salt, iterations);
    u.salted_password.assign(salted.begin(), salted.end());
    return Call<AlterUserScramCredentialsResponse>(51, 0, req);
  }
};

TEST_CASE("SCRAM-SHA-512 authenticates the user as its role", "[scram]") {
  Fixture f(false);  // the admin call on a PLAINTEXT listener, authz off
  REQUIRE(f.Upsert("alice", "pw").results.at(0).error_code == 0);
  Fixture s;
  s.security.scram = f.security.scram;
  std::string expected;
  auto done = s.Login("alice", "pw", &expected);
  REQUIRE(done.error_code == 0);
  CHECK(std::string(done.auth_bytes.begin(), done.auth_bytes.end()) ==
        expected);
  CHECK_FALSE(s.sink.closed);
  // The connection now serves other APIs.
  s.Call<MetadataResponse>(3, 12, MetadataRequest{});
  CHECK_FALSE(s.sink.closed);
}

TEST_CASE("a wrong password and an unknown user fail alike", "[scram]") {
  std::string messages[2];
  for (int i = 0; i < 2; ++i) {
    Fixture s;
    s.security.scram[{"SCRAM-SHA-512", "alice"}] =
        testing::ScramStored(sasl::HashKind::kSha512, "pw", "salt", 4096);
    auto done = i == 0 ? s.Login("alice", "nope") : s.Login("bob", "pw");
    CHECK(done.error_code == Code(ErrorCode::SASL_AUTHENTICATION_FAILED));
    REQUIRE(done.error_message);
    messages[i] = *done.error_message;
    CHECK(messages[i].find("nope") == std::string::npos);
    CHECK(s.sink.closed);
  }
  CHECK(messages[0] == messages[1]);
}

TEST_CASE("a failing credential store fails the exchange", "[scram]") {
  Fixture s;
  s.security.scram_store_down = true;
  auto done = s.Login("alice", "pw");
  CHECK(done.error_code == Code(ErrorCode::SASL_AUTHENTICATION_FAILED));
  CHECK(s.sink.closed);
}

TEST_CASE("a malformed client-first message closes", "[scram]") {
  Fixture s;
  SaslHandshakeRequest hs;
  hs.mechanism = "SCRAM-SHA-256";
  REQUIRE(s.Call<SaslHandshakeResponse>(17, 1, hs).error_code == 0);
  auto r = s.Step("garbage");
  CHECK(r.error_code == Code(ErrorCode::SASL_AUTHENTICATION_FAILED));
  CHECK(s.sink.closed);
}

TEST_CASE("SCRAM admin APIs: validation, describe, delete", "[scram]") {
  Fixture f(false);
  CHECK(f.Upsert("u", "pw", 2, 4095).results.at(0).error_code ==
        Code(ErrorCode::UNACCEPTABLE_CREDENTIAL));
  CHECK(f.Upsert("u", "pw", 2, 16385).results.at(0).error_code ==
        Code(ErrorCode::UNACCEPTABLE_CREDENTIAL));
  CHECK(f.Upsert("u", "pw", 3).results.at(0).error_code ==
        Code(ErrorCode::UNSUPPORTED_SASL_MECHANISM));
  CHECK(f.Upsert("", "pw").results.at(0).error_code ==
        Code(ErrorCode::UNACCEPTABLE_CREDENTIAL));
  REQUIRE(f.Upsert("u", "pw", 1, 8192).results.at(0).error_code == 0);
  REQUIRE(f.Upsert("v", "pw", 2).results.at(0).error_code == 0);
  // Only salt, iterations and keys are stored.
  const auto& stored = f.security.scram.at({"SCRAM-SHA-256", "u"});
  CHECK(stored.salt == "pepper");
  CHECK(stored.iterations == 8192);
  CHECK(stored.stored_key.size() == 32);

  DescribeUserScramCredentialsRequest all;
  all.users = std::nullopt;
  auto d = f.Call<DescribeUserScramCredentialsResponse>(50, 0, all);
  REQUIRE(d.results.size() == 2);
  CHECK(d.results[0].user == "u");
  CHECK(d.results[0].credential_infos.at(0).mechanism == 1);
  CHECK(d.results[0].credential_infos.at(0).iterations == 8192);

  DescribeUserScramCredentialsRequest named;
  named.users.emplace();
  named.users->push_back({"nobody", {}});
  named.users->push_back({"v", {}});
  d = f.Call<DescribeUserScramCredentialsResponse>(50, 0, named);
  REQUIRE(d.results.size() == 2);
  CHECK(d.results[0].error_code == Code(ErrorCode::RESOURCE_NOT_FOUND));
  CHECK(d.results[1].error_code == 0);

  AlterUserScramCredentialsRequest del;
  del.deletions.push_back({"v", 2, {}});
  del.deletions.push_back({"w", 2, {}});
  auto a = f.Call<AlterUserScramCredentialsResponse>(51, 0, del);
  REQUIRE(a.results.size() == 2);
  CHECK(a.results[0].error_code == 0);
  CHECK(a.results[1].error_code == Code(ErrorCode::RESOURCE_NOT_FOUND));
  CHECK_FALSE(f.security.scram.contains({"SCRAM-SHA-512", "v"}));

  AlterUserScramCredentialsRequest twice;
  twice.deletions.push_back({"u", 1, {}});
  twice.deletions.push_back({"u", 1, {}});
  a = f.Call<AlterUserScramCredentialsResponse>(51, 0, twice);
  REQUIRE(a.results.size() == 1);
  CHECK(a.results[0].error_code == Code(ErrorCode::DUPLICATE_RESOURCE));
}

TEST_CASE("with authorization on, only a superuser alters SCRAM users",
          "[scram]") {
  Fixture f(false);
  f.security.enabled = true;
  auto a = f.Upsert("u", "pw");
  CHECK(a.results.at(0).error_code ==
        Code(ErrorCode::CLUSTER_AUTHORIZATION_FAILED));
  CHECK(f.security.scram.empty());
  auto d = f.Call<DescribeUserScramCredentialsResponse>(
      50, 0, DescribeUserScramCredentialsRequest{});
  CHECK(d.error_code == Code(ErrorCode::CLUSTER_AUTHORIZATION_FAILED));

  // An authenticated superuser may.
  Fixture s;
  s.security.enabled = true;
  s.security.superusers = {"admin"};
  s.security.scram[{"SCRAM-SHA-512", "admin"}] =
      testing::ScramStored(sasl::HashKind::kSha512, "pw", "salt", 4096);
  REQUIRE(s.Login("admin", "pw").error_code == 0);
  CHECK(s.Upsert("u", "pw").results.at(0).error_code == 0);
  CHECK(s.security.scram.contains({"SCRAM-SHA-512", "u"}));
}

}  // namespace
}  // namespace kop::core
