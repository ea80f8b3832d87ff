// SHA-256/SHA-512 (RFC 6234's test strings), HMAC (RFC 4231 test cases 1, 2
// and 6) and PBKDF2 (the RFC 7914 / RFC 6070-style "password"/"salt" case)
// that the SCRAM mechanisms use (sasl/sha2.h).
#include "sasl/sha2.h"

#include <catch2/catch.hpp>
#include <string>

namespace kop::core::sasl {
namespace {

std::string Hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

TEST_CASE("SHA-256 and SHA-512 digests match RFC 6234", "[sha2]") {
  struct Vector {
    std::string input;
    const char* sha256;
    const char* sha512;
  };
  const Vector vectors[] = {
      {"abc",
       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
       "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992"
       "a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
      {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13"
       "c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"},
      // 56 bytes: the padding spills into a second SHA-256 block.
      {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
       "204a8fc6dda82f0a0ced7beb8e08a41657c16ef468b228a8279be331a703c33596fd15c"
       "13b1b07f9aa1d3bea57789ca031ad85c7a71dd70354ec631238ca3445"},
      // 112 bytes: the same for SHA-512.
      {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmno"
       "p"
       "jklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
       "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
       "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289"
       "e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909"},
      {std::string(1000000, 'a'),
       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
       "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973ebde0ff24"
       "4877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b"},
  };
  for (const auto& v : vectors) {
    CHECK(Hex(Hash(HashKind::kSha256, v.input)) == v.sha256);
    CHECK(Hex(Hash(HashKind::kSha512, v.input)) == v.sha512);
  }
  CHECK(DigestSize(HashKind::kSha256) == 32);
  CHECK(DigestSize(HashKind::kSha512) == 64);
}

TEST_CASE("HMAC matches RFC 4231", "[sha2]") {
  struct Vector {
    std::string key;
    std::string data;
    const char* sha256;
    const char* sha512;
  };
  const Vector vectors[] = {
      {std::string(20, '\x0b'), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
       "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b"
       "7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"},
      {"Jefe", "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
       "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea25055497"
       "58bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
      // Test case 6: a key longer than the block is hashed first.
      {std::string(131, '\xaa'),
       "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
       "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d0"
       "37e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"},
  };
  for (const auto& v : vectors) {
    CHECK(Hex(Hmac(HashKind::kSha256, v.key, v.data)) == v.sha256);
    CHECK(Hex(Hmac(HashKind::kSha512, v.key, v.data)) == v.sha512);
  }
}

TEST_CASE("PBKDF2 derives one digest-long key", "[sha2]") {
  CHECK(Hex(Pbkdf2(HashKind::kSha256, "password", "salt", 4096)) ==
        "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a");
  CHECK(Hex(Pbkdf2(HashKind::kSha512, "password", "salt", 2)) ==
        "e1d9c16aa681708a45f5c7c4e215ceb66e011a2e9f0040713f18aefdb866d53cf76cab"
        "2868a39b9f7840edce4fef5a82be67335c77a6068e04112754f27ccf4e");
}

TEST_CASE("ConstantTimeEquals compares bytes and lengths", "[sha2]") {
  CHECK(ConstantTimeEquals("abc", "abc"));
  CHECK_FALSE(ConstantTimeEquals("abc", "abd"));
  CHECK_FALSE(ConstantTimeEquals("abc", "ab"));
  CHECK(ConstantTimeEquals("", ""));
}

}  // namespace
}  // namespace kop::core::sasl
