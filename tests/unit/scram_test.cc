// The SCRAM server state machine (sasl/scram.h) against a client written
// here: RFC 7677's SCRAM-SHA-256 example, a SHA-512 exchange, a wrong
// password, an unknown user (refused exactly like a wrong password), a
// replayed client-final, and malformed messages cut or altered byte by byte.
#include "sasl/scram.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "kop/testing/scram_client.h"

namespace kop::core::sasl {
namespace {

using testing::ScramClient;
using testing::ScramStored;

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST_CASE("RFC 7677's SCRAM-SHA-256 exchange", "[scram]") {
  std::string salt;
  REQUIRE(absl::Base64Unescape("W22ZaJ0SNY7soEsUEjb6gQ==", &salt));
  ScramServer server(HashKind::kSha256, "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
  auto user = server.ReadClientFirst(Bytes("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"));
  REQUIRE(user.ok());
  CHECK(*user == "user");
  CHECK(server.ServerFirst(
            ScramStored(HashKind::kSha256, "pencil", salt, 4096)) ==
        "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEs"
        "UEjb6gQ==,i=4096");
  auto final_message = server.ReadClientFinal(
      Bytes("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p="
            "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="));
  REQUIRE(final_message.ok());
  CHECK(*final_message == "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
}

TEST_CASE("SCRAM-SHA-512 with the right and a wrong password", "[scram]") {
  const auto stored = ScramStored(HashKind::kSha512, "s3cret", "salty", 4096);
  for (const std::string password : {"s3cret", "wrong"}) {
    ScramClient client{HashKind::kSha512, password, "n=alice=2Cx,r=abc"};
    ScramServer server(HashKind::kSha512, NewScramNonce());
    auto user = server.ReadClientFirst(Bytes(client.First()));
    REQUIRE(user.ok());
    CHECK(*user == "alice,x");
    std::string expected;
    const std::string final_message =
        client.Final(server.ServerFirst(stored), &expected);
    auto answer = server.ReadClientFinal(Bytes(final_message));
    if (password == "s3cret") {
      REQUIRE(answer.ok());
      CHECK(*answer == expected);
    } else {
      CHECK(absl::IsUnauthenticated(answer.status()));
    }
    // One attempt per exchange.
    CHECK_FALSE(server.ReadClientFinal(Bytes(final_message)).ok());
  }
}

TEST_CASE("an unknown user fails like a wrong password", "[scram]") {
  ScramClient client{HashKind::kSha256, "anything", "n=nobody,r=xyz"};
  ScramServer a(HashKind::kSha256, "N1");
  ScramServer b(HashKind::kSha256, "N2");
  REQUIRE(a.ReadClientFirst(Bytes(client.First())).ok());
  REQUIRE(b.ReadClientFirst(Bytes(client.First())).ok());
  const std::string first_a = a.ServerFirst(std::nullopt);
  const std::string first_b = b.ServerFirst(std::nullopt);
  // A decoy salt that stays the same for the user, with 4096 iterations.
  CHECK(first_a.substr(first_a.find(",s=")) ==
        first_b.substr(first_b.find(",s=")));
  CHECK(first_a.ends_with(",i=4096"));
  auto answer = a.ReadClientFinal(Bytes(client.Final(first_a)));
  CHECK(absl::IsUnauthenticated(answer.status()));
  CHECK(answer.status().message() == "invalid credentials");
}

TEST_CASE("a replayed client-final fails on a new exchange", "[scram]") {
  const auto stored = ScramStored(HashKind::kSha256, "pw", "salt", 4096);
  ScramClient client{HashKind::kSha256, "pw", "n=u,r=fixed"};
  ScramServer first(HashKind::kSha256, NewScramNonce());
  REQUIRE(first.ReadClientFirst(Bytes(client.First())).ok());
  const std::string recorded = client.Final(first.ServerFirst(stored));
  REQUIRE(first.ReadClientFinal(Bytes(recorded)).ok());

  ScramServer second(HashKind::kSha256, NewScramNonce());
  REQUIRE(second.ReadClientFirst(Bytes(client.First())).ok());
  second.ServerFirst(stored);
  auto answer = second.ReadClientFinal(Bytes(recorded));
  REQUIRE_FALSE(answer.ok());
  CHECK(answer.status().message() == "the SCRAM nonce does not match");
}

TEST_CASE("librdkafka 2.0.2's repeated client nonce is accepted", "[scram]") {
  const auto stored = ScramStored(HashKind::kSha512, "pw", "salt", 4096);
  // r=<client nonce><client nonce><server nonce>, as kcat 1.7.1 sends it:
  // Kafka's ScramSaslServer accepts it. Any other prefix is refused.
  for (const std::string prefix : {"cn0nce", "other!", "cn0nc"}) {
    ScramClient client{HashKind::kSha512, "pw", "n=u,r=cn0nce"};
    client.final_nonce_prefix = prefix;
    ScramServer server(HashKind::kSha512, NewScramNonce());
    REQUIRE(server.ReadClientFirst(Bytes(client.First())).ok());
    std::string expected;
    auto answer = server.ReadClientFinal(
        Bytes(client.Final(server.ServerFirst(stored), &expected)));
    if (prefix == "cn0nce") {
      REQUIRE(answer.ok());
      CHECK(*answer == expected);
    } else {
      REQUIRE_FALSE(answer.ok());
      CHECK(answer.status().message() == "the SCRAM nonce does not match");
    }
  }
}

TEST_CASE("SCRAM refuses what Kafka's server refuses", "[scram]") {
  auto first = [](const std::string& m) {
    ScramServer s(HashKind::kSha256, "N");
    return s.ReadClientFirst(Bytes(m)).status();
  };
  CHECK(first("n,,n=u,r=x").ok());
  CHECK(first("y,,n=u,r=x,e=ext").ok());
  CHECK(first("n,a=u,n=u,r=x").ok());
  CHECK_FALSE(first("n,a=v,n=u,r=x").ok());  // impersonation
  CHECK_FALSE(first("p=tls-unique,,n=u,r=x").ok());
  CHECK_FALSE(first("n,,m=1,n=u,r=x").ok());
  CHECK_FALSE(first("n,,n=u,r=x,tokenauth=true").ok());
  CHECK_FALSE(first("n,,n=u=2X,r=x").ok());
  CHECK_FALSE(first("n,,n=,r=x").ok());
  CHECK_FALSE(first("n,,n=u,r=").ok());
  CHECK_FALSE(first("n,,n=u").ok());
  CHECK_FALSE(first("n,,n=u,r=x,").ok());
  CHECK_FALSE(
      first("n,,n=" + std::string(kScramMaxUserBytes + 1, 'u') + ",r=x").ok());
  CHECK_FALSE(first(std::string(kScramMaxMessageBytes + 1, 'n')).ok());
  CHECK_FALSE(first("").ok());
  std::string with_nul = "n,,n=u,r=x";
  with_nul[5] = '\0';
  CHECK_FALSE(first(with_nul).ok());

  // Out of order.
  ScramServer s(HashKind::kSha256, "N");
  CHECK_FALSE(s.ReadClientFinal(Bytes("c=biws,r=xN,p=AAAA")).ok());
}

TEST_CASE("malformed SCRAM messages, byte by byte, never crash", "[scram]") {
  const auto stored = ScramStored(HashKind::kSha256, "pw", "salt", 4096);
  ScramClient client{HashKind::kSha256, "pw", "n=user,r=client-nonce"};
  const std::string good_first = client.First();
  ScramServer probe(HashKind::kSha256, "SN");
  REQUIRE(probe.ReadClientFirst(Bytes(good_first)).ok());
  const std::string good_final = client.Final(probe.ServerFirst(stored));
  const char replacements[] = {'\0', ',', '=', 'x', '\xff'};

  auto run = [&](const std::string& first, const std::string& final_message) {
    ScramServer s(HashKind::kSha256, "SN");
    if (!s.ReadClientFirst(Bytes(first)).ok()) return false;
    s.ServerFirst(stored);
    return s.ReadClientFinal(Bytes(final_message)).ok();
  };
  REQUIRE(run(good_first, good_final));
  for (size_t cut = 0; cut < good_first.size(); ++cut) {
    CHECK_FALSE(run(good_first.substr(0, cut), good_final));
  }
  for (size_t cut = 0; cut < good_final.size(); ++cut) {
    CHECK_FALSE(run(good_first, good_final.substr(0, cut)));
  }
  for (size_t i = 0; i < good_final.size(); ++i) {
    for (char r : replacements) {
      if (good_final[i] == r) continue;
      std::string bad = good_final;
      bad[i] = r;
      CHECK_FALSE(run(good_first, bad));
    }
  }
  for (size_t i = 0; i < good_first.size(); ++i) {
    for (char r : replacements) {
      std::string bad = good_first;
      bad[i] = r;
      run(bad, good_final);  // may pass only where the byte is irrelevant
    }
  }
}

TEST_CASE("SCRAM mechanism names and numbers", "[scram]") {
  CHECK(ScramHash("SCRAM-SHA-256") == HashKind::kSha256);
  CHECK(ScramHash("SCRAM-SHA-512") == HashKind::kSha512);
  CHECK_FALSE(ScramHash("PLAIN"));
  CHECK(ScramMechanismName(1) == std::string("SCRAM-SHA-256"));
  CHECK(ScramMechanismName(2) == std::string("SCRAM-SHA-512"));
  CHECK_FALSE(ScramMechanismName(0));
  CHECK(ScramMechanismType("SCRAM-SHA-512") == 2);
  CHECK(ScramMechanismType("PLAIN") == 0);
}

}  // namespace
}  // namespace kop::core::sasl
