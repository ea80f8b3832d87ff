// A SCRAM client for tests (RFC 5802 section 3): the client-first message
// and the client-final message with its proof, from a password.
#ifndef KOP_TESTING_SCRAM_CLIENT_H_
#define KOP_TESTING_SCRAM_CLIENT_H_

#include <string>

#include "absl/strings/escaping.h"
#include "sasl/scram.h"
#include "sasl/sha2.h"

namespace kop::core::testing {

using sasl::Hash;
using sasl::HashKind;
using sasl::Hmac;
using sasl::Pbkdf2;

// What a client computes (RFC 5802 section 3).
struct ScramClient {
  HashKind kind;
  std::string password;
  std::string first_bare;  // "n=user,r=nonce"
  std::string gs2 = "n,,";
  // Put before the server's nonce in the client-final (librdkafka 2.0.2
  // repeats its client nonce there).
  std::string final_nonce_prefix = "";

  std::string First() const { return gs2 + first_bare; }
  // The client-final message for `server_first`; `server_final` gets the
  // signature the server must answer.
  std::string Final(const std::string& server_first,
                    std::string* server_final = nullptr) const {
    std::string nonce, salt_b64;
    int iterations = 0;
    for (size_t start = 0; start < server_first.size();) {
      size_t comma = server_first.find(',', start);
      if (comma == std::string::npos) comma = server_first.size();
      const std::string attr = server_first.substr(start, comma - start);
      if (attr[0] == 'r') nonce = attr.substr(2);
      if (attr[0] == 's') salt_b64 = attr.substr(2);
      if (attr[0] == 'i') iterations = std::stoi(attr.substr(2));
      start = comma + 1;
    }
    std::string salt;
    if (!absl::Base64Unescape(salt_b64, &salt)) return "";
    const std::string salted = Pbkdf2(kind, password, salt, iterations);
    const std::string without_proof =
        "c=" + absl::Base64Escape(gs2) + ",r=" + final_nonce_prefix + nonce;
    const std::string auth =
        first_bare + "," + server_first + "," + without_proof;
    const std::string client_key = Hmac(kind, salted, "Client Key");
    const std::string signature = Hmac(kind, Hash(kind, client_key), auth);
    std::string proof = client_key;
    for (size_t i = 0; i < proof.size(); ++i) proof[i] ^= signature[i];
    if (server_final != nullptr) {
      *server_final = "v=" + absl::Base64Escape(Hmac(
                                 kind, Hmac(kind, salted, "Server Key"), auth));
    }
    return without_proof + ",p=" + absl::Base64Escape(proof);
  }
};

inline ScramCredential ScramStored(HashKind kind, const std::string& password,
                                   const std::string& salt, int iterations) {
  return sasl::ScramCredentialFrom(
      kind, Pbkdf2(kind, password, salt, iterations), salt, iterations);
}

}  // namespace kop::core::testing

#endif  // KOP_TESTING_SCRAM_CLIENT_H_
