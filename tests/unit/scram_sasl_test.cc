// SCRAM on a connection: SaslHandshake + two SaslAuthenticate rounds against
// a fake metadata store, a wrong password and an unknown user (the same
// refusal), and the credential admin APIs (AlterUserScramCredentials,
// DescribeUserScramCredentials) with their superuser gate.
#include <catch2/catch.hpp>
#include <string>

#include "authz_cache.h"
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
#include "scram_cache.h"

namespace kop::core {
namespace {

using namespace kop::protocol;  // NOLINT: test brevity

using testing::DecodeResponse;
using testing::RequestFrame;
using testing::ScramClient;

int64_t virtual_now = 1'000'000;
int64_t VirtualClock() { return virtual_now; }

struct Fixture {
  explicit Fixture(bool sasl = true, std::string role = "") {
    broker = Broker::Create(Config{{"kopAuthorizationCacheRefreshMs", "1000"}});
    topics.admin = false;
    security.enabled = false;
    listener.sasl = sasl;
    listener.sasl_mechanisms = {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"};
    listener.tls_role = std::move(role);
    conn = broker->Accept(&sink, &topics, nullptr, &security, listener);
    SetAuthorizationClockForTesting(&VirtualClock);
  }
  ~Fixture() { SetAuthorizationClockForTesting(nullptr); }
  // A new connection to the same broker, in place of the current one.
  void Reconnect() {
    conn.reset();
    sink.frames.clear();
    sink.closed = false;
    conn = broker->Accept(&sink, &topics, nullptr, &security, listener);
  }
  ListenerSecurity listener;
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
                                           int32_t iterations = 4096,
                                           const std::string& salt = "pepper") {
    AlterUserScramCredentialsRequest req;
    auto& u = req.upsertions.emplace_back();
    u.name = user;
    u.mechanism = mechanism;
    u.iterations = iterations;
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

TEST_CASE("a salt longer than the bound is refused", "[scram]") {
  Fixture f(false);
  auto a =
      f.Upsert("u", "pw", 2, 4096, std::string(kScramMaxSaltBytes + 1, 's'));
  CHECK(a.results.at(0).error_code == Code(ErrorCode::UNACCEPTABLE_CREDENTIAL));
  CHECK(a.results.at(0).error_message.value_or("").find("salt is longer") !=
        std::string::npos);
  CHECK(f.security.scram.empty());
  CHECK(f.Upsert("u", "pw", 2, 4096, std::string(kScramMaxSaltBytes, 's'))
            .results.at(0)
            .error_code == 0);
}

TEST_CASE("the superuser answer is kept per connection for the refresh time",
          "[scram][cache]") {
  Fixture f(false, "admin");
  f.security.enabled = true;
  f.security.superusers = {"admin"};
  auto describe = [&f] {
    return f
        .Call<DescribeUserScramCredentialsResponse>(
            50, 0, DescribeUserScramCredentialsRequest{})
        .error_code;
  };
  CHECK(describe() == 0);
  CHECK(describe() == 0);
  CHECK(f.Upsert("u", "pw").results.at(0).error_code == 0);
  CHECK(f.security.super_user_asks == 1);
  // Revoked: still a superuser on this connection until the answer expires.
  f.security.superusers.clear();
  virtual_now += 999;
  CHECK(describe() == 0);
  CHECK(f.security.super_user_asks == 1);
  virtual_now += 1;
  CHECK(describe() == Code(ErrorCode::CLUSTER_AUTHORIZATION_FAILED));
  CHECK(f.security.super_user_asks == 2);
  // A refusal is kept as well; another connection asks again.
  CHECK(describe() == Code(ErrorCode::CLUSTER_AUTHORIZATION_FAILED));
  CHECK(f.security.super_user_asks == 2);
  f.Reconnect();
  CHECK(describe() == Code(ErrorCode::CLUSTER_AUTHORIZATION_FAILED));
  CHECK(f.security.super_user_asks == 3);
}

TEST_CASE("SCRAM credentials are kept per broker for the refresh time",
          "[scram][cache]") {
  Fixture s;
  s.security.scram[{"SCRAM-SHA-512", "alice"}] =
      testing::ScramStored(sasl::HashKind::kSha512, "pw", "salt", 4096);
  REQUIRE(s.Login("alice", "pw").error_code == 0);
  s.Reconnect();
  REQUIRE(s.Login("alice", "pw").error_code == 0);
  CHECK(s.security.scram_fetches == 1);
  // An unknown user is kept too.
  s.Reconnect();
  CHECK(s.Login("bob", "pw").error_code != 0);
  s.Reconnect();
  CHECK(s.Login("bob", "pw").error_code != 0);
  CHECK(s.security.scram_fetches == 2);
  // Changed behind the broker's back (another broker): the old password
  // works until the entry expires, then only the new one.
  s.security.scram[{"SCRAM-SHA-512", "alice"}] =
      testing::ScramStored(sasl::HashKind::kSha512, "new", "salt", 4096);
  virtual_now += 999;
  s.Reconnect();
  CHECK(s.Login("alice", "pw").error_code == 0);
  virtual_now += 1;
  s.Reconnect();
  CHECK(s.Login("alice", "pw").error_code != 0);
  s.Reconnect();
  CHECK(s.Login("alice", "new").error_code == 0);
  CHECK(s.security.scram_fetches == 3);
  // Deleted through this broker: at once.
  s.listener.sasl = false;  // the admin call on a PLAINTEXT connection
  s.Reconnect();
  AlterUserScramCredentialsRequest del;
  del.deletions.push_back({"alice", 2, {}});
  REQUIRE(s.Call<AlterUserScramCredentialsResponse>(51, 0, del)
              .results.at(0)
              .error_code == 0);
  s.listener.sasl = true;
  s.Reconnect();
  CHECK(s.Login("alice", "new").error_code != 0);
  CHECK(s.security.scram_fetches == 4);
}

TEST_CASE("the SCRAM credential cache is bounded", "[scram][cache]") {
  ScramCredentialCache cache;
  const uint64_t g = cache.Generation();
  for (size_t i = 0; i < ScramCredentialCache::kMaxEntries + 10; ++i) {
    cache.Put("SCRAM-SHA-512", "u" + std::to_string(i), std::nullopt, g, 0,
              1000 + static_cast<int64_t>(i));
  }
  CHECK(cache.size() == ScramCredentialCache::kMaxEntries);
  // The soonest-expiring went first; the latest is kept.
  CHECK_FALSE(cache.Find("SCRAM-SHA-512", "u0", 0));
  CHECK(cache.Find("SCRAM-SHA-512",
                   "u" + std::to_string(ScramCredentialCache::kMaxEntries + 9),
                   0));
  // A fetch that raced a change is not kept.
  cache.Forget("SCRAM-SHA-512", "x");
  cache.Put("SCRAM-SHA-512", "y", std::nullopt, g, 0, 1000);
  CHECK_FALSE(cache.Find("SCRAM-SHA-512", "y", 0));
}

}  // namespace
}  // namespace kop::core
