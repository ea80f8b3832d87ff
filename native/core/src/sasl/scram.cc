#include "sasl/scram.h"

#include <array>
#include <random>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"

namespace kop::core::sasl {
namespace {

absl::Status Malformed(const std::string& what) {
  return absl::InvalidArgumentError("the SCRAM " + what + " is malformed");
}

std::string_view AsView(std::span<const uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// RFC 5802 section 7: "printable" (%x21-7E except ',') for nonces.
bool Printable(std::string_view s) {
  for (char c : s) {
    if (c < 0x21 || c > 0x7e || c == ',') return false;
  }
  return true;
}

// saslname: "=2C" stands for ',' and "=3D" for '='; no other '=' and no NUL.
std::optional<std::string> DecodeSaslName(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\0') return std::nullopt;
    if (s[i] != '=') {
      out += s[i];
      continue;
    }
    const std::string_view esc = s.substr(i + 1, 2);
    if (esc == "2C") {
      out += ',';
    } else if (esc == "3D") {
      out += '=';
    } else {
      return std::nullopt;
    }
    i += 2;
  }
  return out;
}

// Strict RFC 4648 base64 (padding required), as RFC 5802's base64 rule.
std::optional<std::string> DecodeBase64(std::string_view s) {
  if (s.empty() || s.size() % 4 != 0) return std::nullopt;
  size_t i = 0;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                    (c >= '0' && c <= '9') || c == '+' || c == '/';
    if (!ok) break;
  }
  if (s.size() - i > 2) return std::nullopt;
  for (size_t j = i; j < s.size(); ++j) {
    if (s[j] != '=') return std::nullopt;
  }
  std::string out;
  if (!absl::Base64Unescape(absl::string_view(s.data(), s.size()), &out)) {
    return std::nullopt;
  }
  return out;
}

// "k=value" with a one-letter key: the value, or nullopt.
std::optional<std::string_view> Attribute(std::string_view attr, char key) {
  if (attr.size() < 2 || attr[0] != key || attr[1] != '=') return std::nullopt;
  return attr.substr(2);
}

// Extensions (RFC 5802 attr-val: ALPHA "=" value): each must look like one.
bool ValidExtension(std::string_view attr) {
  return attr.size() >= 2 &&
         ((attr[0] >= 'a' && attr[0] <= 'z') ||
          (attr[0] >= 'A' && attr[0] <= 'Z')) &&
         attr[1] == '=';
}

std::vector<std::string_view> SplitCommas(std::string_view s) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t comma = s.find(',', start);
    parts.push_back(s.substr(start, comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return parts;
}

// A secret of this process, for decoy credentials: stable for a user while
// the broker runs, unguessable from outside.
const std::string& DecoySecret() {
  static const std::string secret = [] {
    std::random_device rd;
    std::string s(32, '\0');
    for (char& c : s) c = static_cast<char>(rd() & 0xff);
    return s;
  }();
  return secret;
}

}  // namespace

std::optional<HashKind> ScramHash(std::string_view mechanism) {
  if (mechanism == kScramSha256) return HashKind::kSha256;
  if (mechanism == kScramSha512) return HashKind::kSha512;
  return std::nullopt;
}

std::optional<std::string> ScramMechanismName(int8_t type) {
  if (type == 1) return kScramSha256;
  if (type == 2) return kScramSha512;
  return std::nullopt;
}

int8_t ScramMechanismType(std::string_view mechanism) {
  if (mechanism == kScramSha256) return 1;
  if (mechanism == kScramSha512) return 2;
  return 0;
}

ScramCredential ScramCredentialFrom(HashKind kind,
                                    std::string_view salted_password,
                                    std::string salt, int32_t iterations) {
  ScramCredential c;
  c.salt = std::move(salt);
  c.iterations = iterations;
  c.stored_key = Hash(kind, Hmac(kind, salted_password, "Client Key"));
  c.server_key = Hmac(kind, salted_password, "Server Key");
  return c;
}

std::string NewScramNonce() {
  std::random_device rd;
  std::string raw(24, '\0');
  for (char& c : raw) c = static_cast<char>(rd() & 0xff);
  return absl::Base64Escape(raw);
}

absl::Status ScramServer::Fail(const std::string& why) {
  stage_ = Stage::kDone;
  return absl::InvalidArgumentError(why);
}

absl::StatusOr<std::string> ScramServer::ReadClientFirst(
    std::span<const uint8_t> bytes) {
  if (stage_ != Stage::kClientFirst) {
    return Fail("the SCRAM client-first message came out of order");
  }
  stage_ = Stage::kDone;  // until it is accepted
  if (bytes.empty() || bytes.size() > kScramMaxMessageBytes) {
    return Malformed("client-first message (empty or too long)");
  }
  const std::string_view all = AsView(bytes);
  // gs2-header = gs2-cbind-flag "," [authzid] ","
  if (all.substr(0, 2) == "p=") {
    return Fail("SCRAM channel binding is not supported");
  }
  if (all.size() < 3 || (all[0] != 'n' && all[0] != 'y') || all[1] != ',') {
    return Malformed("client-first message's GS2 header");
  }
  const size_t authz_end = all.find(',', 2);
  if (authz_end == std::string_view::npos) {
    return Malformed("client-first message's GS2 header");
  }
  std::optional<std::string> authzid;
  const std::string_view authz = all.substr(2, authz_end - 2);
  if (!authz.empty()) {
    auto value = Attribute(authz, 'a');
    if (!value) return Malformed("client-first message's authorization id");
    authzid = DecodeSaslName(*value);
    if (!authzid) return Malformed("client-first message's authorization id");
  }
  gs2_header_ = std::string(all.substr(0, authz_end + 1));
  const std::string_view bare = all.substr(authz_end + 1);
  const auto attrs = SplitCommas(bare);
  if (!attrs.empty() && Attribute(attrs[0], 'm')) {
    return Fail("SCRAM mandatory extensions are not supported");
  }
  if (attrs.size() < 2) return Malformed("client-first message");
  auto name = Attribute(attrs[0], 'n');
  if (!name || name->empty() || name->size() > kScramMaxUserBytes) {
    return Malformed("client-first message's user name");
  }
  auto user = DecodeSaslName(*name);
  if (!user || user->empty()) {
    return Malformed("client-first message's user name");
  }
  auto nonce = Attribute(attrs[1], 'r');
  if (!nonce || nonce->empty() || nonce->size() > kScramMaxNonceBytes ||
      !Printable(*nonce)) {
    return Malformed("client-first message's nonce");
  }
  for (size_t i = 2; i < attrs.size(); ++i) {
    if (!ValidExtension(attrs[i])) {
      return Malformed("client-first message's extensions");
    }
    // KIP-48 delegation tokens authenticate over SCRAM with this extension;
    // Pulsar has no delegation tokens.
    if (attrs[i].substr(0, 10) == "tokenauth=") {
      return Fail("SCRAM delegation tokens are not supported");
    }
  }
  // Kafka's ScramSaslServer: no impersonation.
  if (authzid && *authzid != *user) {
    return Fail("the SCRAM authorization id differs from the user name");
  }
  client_first_bare_ = std::string(bare);
  user_ = std::move(*user);
  nonce_ = std::string(*nonce) + server_nonce_;
  stage_ = Stage::kServerFirst;
  return user_;
}

std::string ScramServer::ServerFirst(
    const std::optional<ScramCredential>& credential) {
  const size_t digest = DigestSize(kind_);
  known_user_ = credential.has_value() && !credential->salt.empty() &&
                credential->stored_key.size() == digest &&
                credential->server_key.size() == digest &&
                credential->iterations >= kScramMinIterations &&
                credential->iterations <= kScramMaxIterations;
  if (known_user_) {
    credential_ = *credential;
  } else {
    // The decoy: the same shape as a real credential, never matched.
    const std::string seed =
        std::string(1, static_cast<char>(kind_)) + std::string(1, '\0') + user_;
    credential_.salt = Hmac(kind_, DecoySecret(), "salt" + seed).substr(0, 24);
    credential_.iterations = kScramMinIterations;
    credential_.stored_key = Hmac(kind_, DecoySecret(), "stored" + seed);
    credential_.server_key = Hmac(kind_, DecoySecret(), "server" + seed);
  }
  server_first_ = "r=" + nonce_ + ",s=" + absl::Base64Escape(credential_.salt) +
                  ",i=" + std::to_string(credential_.iterations);
  stage_ = Stage::kClientFinal;
  return server_first_;
}

absl::StatusOr<std::string> ScramServer::ReadClientFinal(
    std::span<const uint8_t> bytes) {
  if (stage_ != Stage::kClientFinal) {
    return Fail("the SCRAM client-final message came out of order");
  }
  stage_ = Stage::kDone;  // one attempt per exchange
  if (bytes.empty() || bytes.size() > kScramMaxMessageBytes) {
    return Malformed("client-final message (empty or too long)");
  }
  const std::string_view all = AsView(bytes);
  const auto attrs = SplitCommas(all);
  if (attrs.size() < 3) return Malformed("client-final message");
  auto binding = Attribute(attrs[0], 'c');
  auto decoded_binding = binding ? DecodeBase64(*binding) : std::nullopt;
  if (!decoded_binding) return Malformed("client-final message's binding");
  if (*decoded_binding != gs2_header_) {
    return Fail("the SCRAM channel binding does not match the GS2 header");
  }
  auto nonce = Attribute(attrs[1], 'r');
  if (!nonce) return Malformed("client-final message's nonce");
  // librdkafka 2.0.2 (kcat 1.7.1's) repeats its client nonce: r=<client
  // nonce><client nonce><server nonce>. Kafka's ScramSaslServer takes any
  // nonce that ends with the server-first one; we take that doubled form too.
  const std::string_view client_nonce(nonce_.data(),
                                      nonce_.size() - server_nonce_.size());
  const bool doubled = nonce->size() == client_nonce.size() + nonce_.size() &&
                       nonce->starts_with(client_nonce) &&
                       nonce->ends_with(nonce_);
  if (*nonce != nonce_ && !doubled) {
    return Fail("the SCRAM nonce does not match");
  }
  for (size_t i = 2; i + 1 < attrs.size(); ++i) {
    if (!ValidExtension(attrs[i])) {
      return Malformed("client-final message's extensions");
    }
  }
  auto proof_attr = Attribute(attrs.back(), 'p');
  auto proof = proof_attr ? DecodeBase64(*proof_attr) : std::nullopt;
  const size_t digest = DigestSize(kind_);
  if (!proof || proof->size() != digest) {
    return Malformed("client-final message's proof");
  }
  const std::string_view without_proof =
      all.substr(0, all.size() - attrs.back().size() - 1);
  const std::string auth_message = client_first_bare_ + "," + server_first_ +
                                   "," + std::string(without_proof);
  // RFC 5802 section 3: ClientKey = ClientProof XOR ClientSignature, and
  // H(ClientKey) must be StoredKey.
  const std::string signature =
      Hmac(kind_, credential_.stored_key, auth_message);
  std::string client_key = *proof;
  for (size_t i = 0; i < digest; ++i) client_key[i] ^= signature[i];
  const bool match =
      ConstantTimeEquals(Hash(kind_, client_key), credential_.stored_key);
  if (!match || !known_user_) {
    return absl::UnauthenticatedError("invalid credentials");
  }
  return "v=" +
         absl::Base64Escape(Hmac(kind_, credential_.server_key, auth_message));
}

}  // namespace kop::core::sasl
