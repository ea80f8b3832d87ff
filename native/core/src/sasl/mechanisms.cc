#include "sasl/mechanisms.h"

#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "topic_names.h"

namespace kop::core::sasl {
namespace {

// A tenant or namespace of a user name: Pulsar's rule (topic_names.h), at
// most 255 characters.
bool ValidPulsarName(std::string_view s) {
  return s.size() <= 255 && IsPulsarEntityName(s);
}

// Provider method names as Pulsar's providers spell them ("token", "tls",
// "basic", "athenz", "sasl"): letters, digits, '_' and '-'.
bool ValidMethod(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// RFC 6750 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" )
// *"="
bool ValidBearerToken(std::string_view s) {
  if (s.empty()) return false;
  size_t i = 0;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
                    c == '_' || c == '~' || c == '+' || c == '/';
    if (!ok) break;
  }
  if (i == 0) return false;
  for (; i < s.size(); ++i) {
    if (s[i] != '=') return false;
  }
  return true;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) {
      return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

absl::Status Invalid(const std::string& why) {
  return absl::InvalidArgumentError(why);
}

}  // namespace

absl::StatusOr<PlainMessage> ParsePlain(std::span<const uint8_t> bytes) {
  if (bytes.size() > kMaxClientMessageBytes) {
    return Invalid("the SASL/PLAIN message is longer than " +
                   std::to_string(kMaxClientMessageBytes) + " bytes");
  }
  const std::string_view all(reinterpret_cast<const char*>(bytes.data()),
                             bytes.size());
  const size_t first = all.find('\0');
  const size_t second =
      first == std::string_view::npos ? first : all.find('\0', first + 1);
  if (second == std::string_view::npos ||
      all.find('\0', second + 1) != std::string_view::npos) {
    return Invalid(
        "the SASL/PLAIN message is not [authzid] NUL user NUL password");
  }
  PlainMessage m;
  m.authzid = std::string(all.substr(0, first));
  m.user = std::string(all.substr(first + 1, second - first - 1));
  m.password = std::string(all.substr(second + 1));
  if (m.user.empty()) return Invalid("the SASL/PLAIN user name is empty");
  if (m.password.empty()) return Invalid("the SASL/PLAIN password is empty");
  // Kafka's PlainSaslServer: an authorization id other than the user name
  // is refused (no impersonation).
  if (!m.authzid.empty() && m.authzid != m.user) {
    return Invalid(
        "the SASL/PLAIN authorization id differs from the user name");
  }
  return m;
}

absl::StatusOr<MethodCredential> SplitPassword(const std::string& password) {
  const size_t colon = password.find(':');
  if (colon == std::string::npos || !ValidMethod(password.substr(0, colon))) {
    return Invalid(
        "the SASL/PLAIN password must be <method>:<credential>, e.g. "
        "token:<jwt>");
  }
  if (colon + 1 == password.size()) {
    return Invalid("the SASL/PLAIN password has an empty credential");
  }
  return MethodCredential{password.substr(0, colon),
                          password.substr(colon + 1)};
}

absl::StatusOr<OAuthBearerMessage> ParseOAuthBearer(
    std::span<const uint8_t> bytes) {
  if (bytes.size() > kMaxClientMessageBytes) {
    return Invalid("the SASL/OAUTHBEARER message is longer than " +
                   std::to_string(kMaxClientMessageBytes) + " bytes");
  }
  std::string_view rest(reinterpret_cast<const char*>(bytes.data()),
                        bytes.size());
  // gs2-header: cbind-flag "," [ "a=" authzid ] ","; channel binding ("p=")
  // is not supported (Kafka's OAuthBearerClientInitialResponse neither).
  if (rest.size() < 2 || (rest[0] != 'n' && rest[0] != 'y') || rest[1] != ',') {
    return Invalid("the SASL/OAUTHBEARER message has no GS2 header");
  }
  rest.remove_prefix(2);
  const size_t comma = rest.find(',');
  if (comma == std::string_view::npos) {
    return Invalid("the SASL/OAUTHBEARER GS2 header is not terminated");
  }
  OAuthBearerMessage m;
  const std::string_view authz = rest.substr(0, comma);
  if (!authz.empty()) {
    if (authz.substr(0, 2) != "a=" || authz.size() == 2) {
      return Invalid("the SASL/OAUTHBEARER authorization id is malformed");
    }
    m.authzid = std::string(authz.substr(2));
  }
  rest.remove_prefix(comma + 1);
  // kvsep *(key "=" value kvsep) kvsep
  if (rest.empty() || rest[0] != '\x01') {
    return Invalid("the SASL/OAUTHBEARER message lacks its separator");
  }
  rest.remove_prefix(1);
  bool have_auth = false;
  std::string_view auth;
  while (true) {
    if (rest.empty()) {
      return Invalid("the SASL/OAUTHBEARER message is not terminated");
    }
    if (rest[0] == '\x01') {
      if (rest.size() != 1) {
        return Invalid("the SASL/OAUTHBEARER message has trailing bytes");
      }
      break;
    }
    const size_t end = rest.find('\x01');
    if (end == std::string_view::npos) {
      return Invalid("the SASL/OAUTHBEARER message is not terminated");
    }
    const std::string_view pair = rest.substr(0, end);
    const size_t eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return Invalid("the SASL/OAUTHBEARER message has a malformed key/value");
    }
    if (pair.substr(0, eq) == "auth") {
      if (have_auth) {
        return Invalid("the SASL/OAUTHBEARER message has two auth values");
      }
      have_auth = true;
      auth = pair.substr(eq + 1);
    }
    // Other keys are SASL extensions (KIP-342); none are used.
    rest.remove_prefix(end + 1);
  }
  if (!have_auth) return Invalid("the SASL/OAUTHBEARER message has no auth");
  // auth = "Bearer" 1*SP b64token (the scheme is case-insensitive).
  const size_t space = auth.find(' ');
  if (space == std::string_view::npos ||
      !EqualsIgnoreCase(auth.substr(0, space), "Bearer")) {
    return Invalid("the SASL/OAUTHBEARER auth value is not a Bearer token");
  }
  std::string_view token = auth.substr(space);
  while (!token.empty() && token[0] == ' ') token.remove_prefix(1);
  if (!ValidBearerToken(token)) {
    return Invalid("the SASL/OAUTHBEARER bearer token is malformed");
  }
  m.token = std::string(token);
  return m;
}

absl::StatusOr<std::string> TopicPrefixForUser(
    const std::string& user, const std::string& default_namespace) {
  const size_t slash = user.find('/');
  const std::string tenant = user.substr(0, slash);
  const std::string ns =
      slash == std::string::npos ? default_namespace : user.substr(slash + 1);
  if (!ValidPulsarName(tenant) || !ValidPulsarName(ns)) {
    return Invalid(
        "the SASL user name must be <tenant> or <tenant>/<namespace>, each a "
        "valid Pulsar name (letters, digits, '_', '-', '=', ':', '.')");
  }
  return "persistent://" + tenant + "/" + ns + "/";
}

}  // namespace kop::core::sasl
