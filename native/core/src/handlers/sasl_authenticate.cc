// SaslAuthenticate (key 36, KIP-152): the client's SASL token, checked by
// Pulsar's own authentication provider through SecurityPort::Authenticate.
// Only on SASL listeners, after SaslHandshake chose the mechanism (the bare
// token after SaslHandshake v0 comes here too, as v0). PLAIN's password names
// the provider ("token:<jwt>"); OAUTHBEARER's bearer token goes to the token
// provider. SCRAM-SHA-256/512 take two rounds (sasl/scram.h) against the
// credential kept in Pulsar's metadata store; the SCRAM user name is the
// role. KIP-368: v1+ answers session_lifetime_ms.
#include <functional>
#include <string>

#include "handlers/handler.h"
#include "kop/core/log.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/sasl_authenticate_request.h"
#include "kop/protocol/messages/sasl_authenticate_response.h"
#include "sasl/mechanisms.h"
#include "sasl/scram.h"

namespace kop::core {
namespace {

using protocol::ErrorCode;
using protocol::SaslAuthenticateRequest;
using protocol::SaslAuthenticateResponse;

// What the client's message asks Pulsar to check.
struct Attempt {
  std::string method;      // the Pulsar provider's method name
  std::string credential;  // never logged, never answered
  std::string topic_prefix;
};

// The Pulsar method OAUTHBEARER tokens are checked with; the shim falls back
// to Pulsar's OpenID Connect provider when no token provider is configured.
constexpr const char* kBearerMethod = "token";

// Turns the client's message into what to authenticate; an error message
// otherwise (never containing the secret).
absl::StatusOr<Attempt> ParseAttempt(const RequestContext& ctx,
                                     const std::string& mechanism,
                                     std::span<const uint8_t> bytes) {
  const BrokerState& broker = *ctx.broker;
  if (mechanism == sasl::kPlain) {
    auto plain = sasl::ParsePlain(bytes);
    if (!plain.ok()) return plain.status();
    auto prefix = sasl::TopicPrefixForUser(plain->user, broker.kafka_namespace);
    if (!prefix.ok()) return prefix.status();
    auto split = sasl::SplitPassword(plain->password);
    if (!split.ok()) return split.status();
    return Attempt{std::move(split->method), std::move(split->credential),
                   std::move(*prefix)};
  }
  if (mechanism == sasl::kOAuthBearer) {
    auto bearer = sasl::ParseOAuthBearer(bytes);
    if (!bearer.ok()) return bearer.status();
    return Attempt{kBearerMethod, std::move(bearer->token),
                   "persistent://" + broker.kafka_tenant + "/" +
                       broker.kafka_namespace + "/"};
  }
  return absl::InvalidArgumentError("mechanism " + mechanism +
                                    " is not supported");
}

// KIP-368: the session lasts until the credential expires, capped by
// connections.max.reauth.ms; 0: unbounded.
int64_t SessionLifetimeMs(int64_t expires_at_ms, int64_t now_ms,
                          int64_t max_reauth_ms) {
  int64_t lifetime = expires_at_ms > 0 ? expires_at_ms - now_ms : 0;
  if (max_reauth_ms > 0 && (lifetime == 0 || lifetime > max_reauth_ms)) {
    lifetime = max_reauth_ms;
  }
  return lifetime;
}

using Fail = std::function<void(const std::string& why, Reply& reply)>;

// The last step of every mechanism: `r` proved a role; `server_bytes` is the
// mechanism's final message for the client (SCRAM's server-final).
void Succeed(const RequestContext& ctx, AuthResult r, const std::string& prefix,
             std::string server_bytes, const Fail& fail, Reply& reply) {
  Session& s = *ctx.session;
  const int64_t now = SessionNowMs();
  if (r.expires_at_ms > 0 && r.expires_at_ms <= now) {
    fail("the credential has expired", reply);
    return;
  }
  if (s.authenticated_once && (r.role != s.role || prefix != s.topic_prefix)) {
    // KIP-368: a re-authentication may not change who the client is.
    fail("re-authentication must prove the same role and namespace", reply);
    return;
  }
  const int64_t lifetime = SessionLifetimeMs(
      r.expires_at_ms, now, ctx.broker->connections_max_reauth_ms);
  Log(LogLevel::kDebug, "SASL " + s.mechanism + " authenticated " +
                            ctx.client_host + " as role " + r.role +
                            (s.authenticated_once ? " (again)" : ""));
  s.role = std::move(r.role);
  s.topic_prefix = prefix;
  s.expires_at_ms = lifetime > 0 ? now + lifetime : 0;
  s.state = Session::State::kAuthenticated;
  s.authenticated_once = true;
  auto response = std::make_unique<SaslAuthenticateResponse>();
  response->error_message = std::nullopt;
  response->auth_bytes.assign(server_bytes.begin(), server_bytes.end());
  response->session_lifetime_ms = lifetime;
  reply(std::move(response));
}

// SecurityPort::FetchScramCredential through the broker's cache
// (scram_cache.h), kept for kopAuthorizationCacheRefreshMs.
void FetchCredential(
    const RequestContext& ctx, const std::string& mechanism, std::string user,
    std::function<void(ErrorCode, std::optional<ScramCredential>)> done) {
  ScramCredentialCache* cache = ctx.scram_cache;
  const int64_t ttl = ctx.broker->authz_cache_ms;
  if (cache != nullptr && ttl > 0) {
    if (auto hit = cache->Find(mechanism, user, AuthorizationClockMs())) {
      done(ErrorCode::NONE, std::move(hit->credential));
      return;
    }
  }
  const uint64_t generation = cache == nullptr ? 0 : cache->Generation();
  ctx.security->FetchScramCredential(
      mechanism, user,
      [cache, mechanism, user, generation, ttl, done = std::move(done)](
          ErrorCode code, std::optional<ScramCredential> c) {
        if (cache != nullptr && code == ErrorCode::NONE) {
          cache->Put(mechanism, user, c, generation, AuthorizationClockMs(),
                     ttl);
        }
        done(code, std::move(c));
      });
}

// One SCRAM round (RFC 5802): client-first -> server-first after the
// credential lookup; client-final -> server-final when the proof holds. An
// unknown user and a wrong password fail alike, at the proof.
void ScramRound(const RequestContext& ctx, sasl::HashKind kind,
                std::span<const uint8_t> bytes, const Fail& fail, Reply reply) {
  Session& s = *ctx.session;
  if (s.scram == nullptr) {
    s.scram = std::make_shared<sasl::ScramServer>(kind, sasl::NewScramNonce());
    auto user = s.scram->ReadClientFirst(bytes);
    if (!user.ok()) {
      s.scram.reset();
      fail(std::string(user.status().message()), reply);
      return;
    }
    FetchCredential(
        ctx, s.mechanism, std::move(*user),
        [ctx, fail, scram = s.scram, reply = std::move(reply)](
            ErrorCode code, std::optional<ScramCredential> c) mutable {
          if (code != ErrorCode::NONE || ctx.session->scram != scram) {
            ctx.session->scram.reset();
            fail("the broker could not read the SCRAM credential", reply);
            return;
          }
          const std::string first = scram->ServerFirst(c);
          auto response = std::make_unique<SaslAuthenticateResponse>();
          response->error_message = std::nullopt;
          response->auth_bytes.assign(first.begin(), first.end());
          reply(std::move(response));
        });
    return;
  }
  auto scram = std::move(s.scram);
  auto server_final = scram->ReadClientFinal(bytes);
  if (!server_final.ok()) {
    // Kafka's words for a wrong proof; nothing says whether the user exists.
    fail(absl::IsUnauthenticated(server_final.status())
             ? "invalid credentials with SASL mechanism " + s.mechanism
             : std::string(server_final.status().message()),
         reply);
    return;
  }
  AuthResult r;
  r.role = scram->user();
  const BrokerState& b = *ctx.broker;
  Succeed(ctx, std::move(r),
          "persistent://" + b.kafka_tenant + "/" + b.kafka_namespace + "/",
          std::move(*server_final), fail, reply);
}

}  // namespace

void HandleSaslAuthenticate(const RequestContext& ctx,
                            const protocol::Message& message, Reply reply) {
  const auto& request = static_cast<const SaslAuthenticateRequest&>(message);
  Session& session = *ctx.session;
  const std::string mechanism = session.mechanism;

  // Kafka answers SASL_AUTHENTICATION_FAILED and closes (after
  // connection.failed.authentication.delay.ms); each failure is logged once,
  // with the client address and the mechanism, never the credential.
  Fail fail = [ctx, mechanism](const std::string& why, Reply& reply) {
    Log(LogLevel::kWarn, "SASL authentication failed for " + ctx.client_host +
                             " (mechanism " + mechanism + "): " + why);
    auto response = std::make_unique<SaslAuthenticateResponse>();
    response->error_code =
        protocol::Code(ErrorCode::SASL_AUTHENTICATION_FAILED);
    response->error_message = "Authentication failed: " + why;
    ctx.close_after_reply(true);
    reply(std::move(response));
  };

  if (session.state != Session::State::kAwaitAuthenticate) {
    Log(LogLevel::kWarn, "SaslAuthenticate from " + ctx.client_host +
                             " before SaslHandshake: closing the connection");
    auto response = std::make_unique<SaslAuthenticateResponse>();
    response->error_code = protocol::Code(ErrorCode::ILLEGAL_SASL_STATE);
    response->error_message = "SaslAuthenticate before SaslHandshake";
    ctx.close_after_reply(false);
    reply(std::move(response));
    return;
  }
  if (ctx.security == nullptr) {
    fail("authentication is not available on this broker", reply);
    return;
  }
  if (auto kind = sasl::ScramHash(mechanism)) {
    ScramRound(ctx, *kind, request.auth_bytes, fail, std::move(reply));
    return;
  }
  auto attempt = ParseAttempt(ctx, mechanism, request.auth_bytes);
  if (!attempt.ok()) {
    fail(std::string(attempt.status().message()), reply);
    return;
  }
  std::string prefix = std::move(attempt->topic_prefix);
  ctx.security->Authenticate(
      std::move(attempt->method), std::move(attempt->credential),
      [ctx, fail, prefix = std::move(prefix),
       reply = std::move(reply)](AuthResult r) mutable {
        if (r.error_code != ErrorCode::NONE) {
          fail(r.error_message.empty() ? "the credential was refused"
                                       : r.error_message,
               reply);
          return;
        }
        Succeed(ctx, std::move(r), prefix, "", fail, reply);
      });
}

}  // namespace kop::core
