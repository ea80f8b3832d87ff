// SASL client message parsing, byte by byte: PLAIN (RFC 4616), the PLAIN
// password's <method>:<credential>, OAUTHBEARER's client first message
// (RFC 7628) and the user name's tenant/namespace.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "sasl/mechanisms.h"

namespace kop::core::sasl {
namespace {

std::vector<uint8_t> B(const std::string& s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

TEST_CASE("PLAIN: user and password, with or without authzid", "[sasl]") {
  auto m = ParsePlain(B(std::string("\0public/default\0token:abc", 25)));
  REQUIRE(m.ok());
  CHECK(m->authzid.empty());
  CHECK(m->user == "public/default");
  CHECK(m->password == "token:abc");

  auto a = ParsePlain(B(std::string("bob\0bob\0pw", 10)));
  REQUIRE(a.ok());
  CHECK(a->authzid == "bob");
  CHECK(a->user == "bob");
}

TEST_CASE("PLAIN: malformed messages are refused without the secret",
          "[sasl]") {
  const std::vector<std::string> bad = {
      "",                                  // nothing
      "userpassword",                      // no NUL
      std::string("\0user-secret", 12),    // one NUL
      std::string("\0\0secret", 8),        // empty user
      std::string("\0user\0", 6),          // empty password
      std::string("\0u\0se\0cret", 10),    // three NULs
      std::string("eve\0bob\0secret", 14)  // authzid other than the user
  };
  for (const std::string& s : bad) {
    auto m = ParsePlain(B(s));
    INFO(s.size());
    REQUIRE_FALSE(m.ok());
    CHECK(std::string(m.status().message()).find("secret") ==
          std::string::npos);
  }
  std::string huge(kMaxClientMessageBytes + 1, 'x');
  huge[0] = '\0';
  huge[5] = '\0';
  CHECK_FALSE(ParsePlain(B(huge)).ok());
  std::string max(kMaxClientMessageBytes, 'x');
  max[0] = '\0';
  max[5] = '\0';
  CHECK(ParsePlain(B(max)).ok());
}

TEST_CASE("PLAIN password: <method>:<credential>", "[sasl]") {
  auto t = SplitPassword("token:eyJ.a.b");
  REQUIRE(t.ok());
  CHECK(t->method == "token");
  CHECK(t->credential == "eyJ.a.b");
  auto colon = SplitPassword("basic:user:pw");
  REQUIRE(colon.ok());
  CHECK(colon->credential == "user:pw");
  for (const char* bad :
       {"eyJhbGciOi", ":cred", "token:", "to ken:x", "tok/en:x", "token\n:x"}) {
    auto r = SplitPassword(bad);
    INFO(bad);
    REQUIRE_FALSE(r.ok());
  }
  auto none = SplitPassword("justasecret");
  CHECK(std::string(none.status().message()).find("token:<jwt>") !=
        std::string::npos);
  CHECK(std::string(none.status().message()).find("justasecret") ==
        std::string::npos);
}

TEST_CASE("OAUTHBEARER: the client first message", "[sasl]") {
  auto m =
      ParseOAuthBearer(B("n,,\x01"
                         "auth=Bearer abc.DEF-_~+/x==\x01\x01"));
  REQUIRE(m.ok());
  CHECK(m->token == "abc.DEF-_~+/x==");
  CHECK(m->authzid.empty());

  auto ext =
      ParseOAuthBearer(B("n,a=alice,\x01host=h\x01"
                         "auth=bearer  tok\x01"
                         "port=1\x01\x01"));
  REQUIRE(ext.ok());
  CHECK(ext->authzid == "alice");
  CHECK(ext->token == "tok");

  const std::vector<std::string> bad = {
      "",
      "n,,",  // no kvsep
      "p=tls-unique,,\x01"
      "auth=Bearer t\x01\x01",  // channel binding
      "n,\x01"
      "auth=Bearer t\x01\x01",  // gs2 not terminated
      "n,b=x,\x01"
      "auth=Bearer t\x01\x01",  // bad authzid
      "n,a=,\x01"
      "auth=Bearer t\x01\x01",  // empty authzid
      "n,,\x01"
      "auth=Bearer t\x01",  // not terminated
      "n,,\x01"
      "auth=Bearer t",  // no separators
      "n,,\x01"
      "auth=Bearer t\x01\x01x",  // trailing bytes
      "n,,\x01\x01",             // no auth
      "n,,\x01"
      "auth=Basic dTpw\x01\x01",  // not Bearer
      "n,,\x01"
      "auth=Bearer \x01\x01",  // empty token
      "n,,\x01"
      "auth=Bearer a=b\x01\x01",  // '=' inside
      "n,,\x01"
      "auth=Bearer a\"b\x01\x01",  // bad character
      "n,,\x01"
      "auth=Bearer t\x01"
      "auth=Bearer u\x01\x01",  // two auths
      "n,,\x01"
      "=x\x01\x01",  // empty key
      "n,,\x01"
      "novalue\x01\x01",  // no '='
  };
  for (const std::string& s : bad) {
    INFO(s);
    CHECK_FALSE(ParseOAuthBearer(B(s)).ok());
  }
  std::string huge =
      "n,,\x01"
      "auth=Bearer " +
      std::string(kMaxClientMessageBytes, 'a') + "\x01\x01";
  CHECK_FALSE(ParseOAuthBearer(B(huge)).ok());
}

TEST_CASE("PLAIN user name: tenant or tenant/namespace", "[sasl]") {
  CHECK(*TopicPrefixForUser("public/default", "ns") ==
        "persistent://public/default/");
  CHECK(*TopicPrefixForUser("acme", "kafka") == "persistent://acme/kafka/");
  CHECK(*TopicPrefixForUser("a-b_c=d:e.f/g", "x") ==
        "persistent://a-b_c=d:e.f/g/");
  for (const char* bad :
       {"", "/ns", "tenant/", "a/b/c", "ten ant", "t/n s", "t\xc3\xa9",
        "t/../x", "t\n", "..", "./ns", "t/.", "t/.."}) {
    INFO(bad);
    CHECK_FALSE(TopicPrefixForUser(bad, "default").ok());
  }
}

}  // namespace
}  // namespace kop::core::sasl
