// Parsing of the SASL client messages the broker accepts (PLAIN, RFC 4616;
// OAUTHBEARER's client first message, RFC 7628) and of the PLAIN user name's
// tenant/namespace. Pure functions over the wire bytes: every length is
// bounded, and no error message ever contains the password or token.
#ifndef KOP_CORE_SASL_MECHANISMS_H_
#define KOP_CORE_SASL_MECHANISMS_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "absl/status/statusor.h"

namespace kop::core::sasl {

// The largest SASL client message accepted. A Pulsar token is a few KiB; an
// OIDC access token rarely passes 8 KiB.
inline constexpr size_t kMaxClientMessageBytes = 64 * 1024;

inline constexpr const char* kPlain = "PLAIN";
inline constexpr const char* kOAuthBearer = "OAUTHBEARER";

// RFC 4616: message = [authzid] NUL authcid NUL passwd.
struct PlainMessage {
  std::string authzid;  // empty when absent
  std::string user;     // authcid
  std::string password;
};
absl::StatusOr<PlainMessage> ParsePlain(std::span<const uint8_t> bytes);

// The PLAIN password "<method>:<credential>": `method` names the Pulsar
// authentication provider (its getAuthMethodName(), e.g. "token").
struct MethodCredential {
  std::string method;
  std::string credential;
};
absl::StatusOr<MethodCredential> SplitPassword(const std::string& password);

// RFC 7628 client first message: gs2-header ("n," or "y,", optionally with
// "a=authzid"), then kvpairs separated by 0x01, ending in 0x01 0x01; the
// "auth" pair is "Bearer <token>" (RFC 6750's b64token).
struct OAuthBearerMessage {
  std::string authzid;
  std::string token;
};
absl::StatusOr<OAuthBearerMessage> ParseOAuthBearer(
    std::span<const uint8_t> bytes);

// The namespace short topic names resolve in for a PLAIN user name:
// "tenant/namespace" -> "persistent://tenant/namespace/"; "tenant" alone ->
// "persistent://tenant/<default_namespace>/". Each part must be a valid
// Pulsar name (NamedEntity: letters, digits, '_', '-', '=', ':', '.').
absl::StatusOr<std::string> TopicPrefixForUser(
    const std::string& user, const std::string& default_namespace);

}  // namespace kop::core::sasl

#endif  // KOP_CORE_SASL_MECHANISMS_H_
