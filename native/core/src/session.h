// Who is on the other end of one connection: what the listener demands, how
// far SASL authentication got, the Pulsar role it proved and the namespace
// short topic names resolve in. Touched only on the connection's event loop.
#ifndef KOP_CORE_SESSION_H_
#define KOP_CORE_SESSION_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "authz_cache.h"
#include "kop/core/broker.h"
#include "sasl/scram.h"

namespace kop::core {

struct Session {
  enum class State {
    // No SASL on this listener: every API is served, as the role below
    // (empty: anonymous, on a PLAINTEXT or SSL listener).
    kOpen,
    // SASL listener, before SaslHandshake.
    kAwaitHandshake,
    // SaslHandshake chose `mechanism`; SaslAuthenticate comes next.
    kAwaitAuthenticate,
    // SaslAuthenticate succeeded: every API is served, as `role`.
    kAuthenticated,
  };

  explicit Session(ListenerSecurity l)
      : listener(std::move(l)),
        state(listener.sasl ? State::kAwaitHandshake : State::kOpen),
        role(listener.tls_role) {}

  // Whether requests other than the SASL exchange may be served.
  bool Ready() const {
    return state == State::kOpen || state == State::kAuthenticated;
  }

  ListenerSecurity listener;
  State state;
  std::string mechanism;
  // The Pulsar role requests act as (empty: anonymous).
  std::string role;
  // "persistent://tenant/namespace/" that short topic names resolve in on
  // this connection (the SASL user name's tenant/namespace); empty: the
  // broker's kafkaTenant/kafkaNamespace.
  std::string topic_prefix;
  // When the authenticated credential expires (ms since the epoch); 0:
  // never. KIP-368: the connection is closed once it passes.
  int64_t expires_at_ms = 0;
  // The version of the SaslHandshake that chose `mechanism`. After v0 the
  // client (Kafka < 1.0) sends its token as a bare length-prefixed frame and
  // gets a bare frame back, not SaslAuthenticate.
  int16_t handshake_version = -1;
  // The SCRAM exchange under way (between its two SaslAuthenticate rounds);
  // shared with the credential lookup's callback.
  std::shared_ptr<sasl::ScramServer> scram;
  // A SaslAuthenticate succeeded on this connection before: the next one is
  // a KIP-368 re-authentication and must prove the same role.
  bool authenticated_once = false;
  // Pulsar's authorization answers for this connection (topic_access.h).
  AuthorizationCache authorizations;
  // Pulsar's superuser answer for `role` (CheckClusterAdmin).
  SuperUserCache super_user;
  // Requests waiting for those answers, in arrival order.
  AuthorizationQueue authorization_queue;
};

// Wall-clock milliseconds since the Unix epoch (credential expiry times are
// in that clock).
inline int64_t SessionNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace kop::core

#endif  // KOP_CORE_SESSION_H_
