// The server side of SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677),
// as Kafka's ScramSaslServer runs it over SaslAuthenticate:
//   client-first  "n,,n=<user>,r=<client nonce>"
//   server-first  "r=<client nonce><server nonce>,s=<salt>,i=<iterations>"
//   client-final  "c=biws,r=<combined nonce>,p=<proof>"
//   server-final  "v=<server signature>"
// The stored credential is Kafka's: salt, iterations, StoredKey, ServerKey
// (never the password). Every attribute is parsed with a bound; the proof is
// compared in constant time. A user with no credential gets a decoy
// server-first (a salt derived from a per-process secret) and fails at the
// proof, exactly like a wrong password: no user enumeration (RFC 5802
// section 9 suggests it; Kafka itself fails at the first message).
#ifndef KOP_CORE_SASL_SCRAM_H_
#define KOP_CORE_SASL_SCRAM_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "kop/core/broker.h"
#include "sasl/sha2.h"

namespace kop::core::sasl {

inline constexpr const char* kScramSha256 = "SCRAM-SHA-256";
inline constexpr const char* kScramSha512 = "SCRAM-SHA-512";
// Kafka's ScramMechanism: 4096 minimum; AlterUserScramCredentials refuses
// more than 16384.
inline constexpr int32_t kScramMinIterations = 4096;
inline constexpr int32_t kScramMaxIterations = 16384;
// Bounds on what a client sends (Kafka has none; these are generous).
inline constexpr size_t kScramMaxMessageBytes = 4096;
inline constexpr size_t kScramMaxUserBytes = 1024;
inline constexpr size_t kScramMaxNonceBytes = 512;

// The hash of a SCRAM mechanism name; nullopt for any other mechanism.
std::optional<HashKind> ScramHash(std::string_view mechanism);
// Kafka's ScramMechanism type numbers in the SCRAM admin APIs: 1 is
// SCRAM-SHA-256, 2 SCRAM-SHA-512; nullopt for others (0 is UNKNOWN).
std::optional<std::string> ScramMechanismName(int8_t type);
int8_t ScramMechanismType(std::string_view mechanism);

// Kafka's ScramFormatter.generateCredential from a salted password
// (Hi(password, salt, i), which AlterUserScramCredentials carries):
// StoredKey = H(HMAC(salted, "Client Key")), ServerKey = HMAC(salted,
// "Server Key").
ScramCredential ScramCredentialFrom(HashKind kind,
                                    std::string_view salted_password,
                                    std::string salt, int32_t iterations);

// A fresh server nonce: 24 random bytes (std::random_device), base64.
std::string NewScramNonce();

// One SCRAM exchange on one connection.
class ScramServer {
 public:
  ScramServer(HashKind kind, std::string server_nonce)
      : kind_(kind), server_nonce_(std::move(server_nonce)) {}

  // Step 1: the client-first message. Returns the user name (decoded from
  // its saslname form), whose credential the caller fetches next.
  absl::StatusOr<std::string> ReadClientFirst(std::span<const uint8_t> bytes);
  // Step 2: the server-first message for the user's credential; nullopt (or
  // a credential unfit for this hash) makes the decoy one.
  std::string ServerFirst(const std::optional<ScramCredential>& credential);
  // Step 3: checks the client-final message and its proof; returns the
  // server-final message. Any failure fails the exchange for good.
  absl::StatusOr<std::string> ReadClientFinal(std::span<const uint8_t> bytes);

  const std::string& user() const { return user_; }

 private:
  enum class Stage { kClientFirst, kServerFirst, kClientFinal, kDone };
  absl::Status Fail(const std::string& why);

  HashKind kind_;
  std::string server_nonce_;
  Stage stage_ = Stage::kClientFirst;
  std::string gs2_header_;
  std::string client_first_bare_;
  std::string user_;
  std::string nonce_;  // client nonce + server nonce
  std::string server_first_;
  bool known_user_ = false;
  ScramCredential credential_;
};

}  // namespace kop::core::sasl

#endif  // KOP_CORE_SASL_SCRAM_H_
