// SaslHandshake (key 17, KIP-43): the client names its SASL mechanism. Only
// on SASL listeners. v0 is followed by the token as a bare frame (Kafka < 1.0
// clients, served in connection.cc), v1 by SaslAuthenticate. On an
// authenticated connection it starts a KIP-368 re-authentication.
#include <algorithm>

#include "handlers/handler.h"
#include "kop/core/log.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/sasl_handshake_request.h"
#include "kop/protocol/messages/sasl_handshake_response.h"

namespace kop::core {

using protocol::ErrorCode;
using protocol::SaslHandshakeRequest;
using protocol::SaslHandshakeResponse;

void HandleSaslHandshake(const RequestContext& ctx,
                         const protocol::Message& message, Reply reply) {
  const auto& request = static_cast<const SaslHandshakeRequest&>(message);
  Session& session = *ctx.session;
  auto response = std::make_unique<SaslHandshakeResponse>();
  response->mechanisms = session.listener.sasl_mechanisms;

  // Kafka's SaslServerAuthenticator closes the connection after answering
  // a handshake out of order or naming a mechanism it does not offer.
  auto refuse = [&](ErrorCode code, const std::string& why) {
    Log(LogLevel::kWarn, "SASL handshake from " + ctx.client_host +
                             " refused (" + why + "): closing the connection");
    response->error_code = protocol::Code(code);
    ctx.close_after_reply(false);
    reply(std::move(response));
  };
  using State = Session::State;
  if (!session.listener.sasl || session.state == State::kOpen) {
    refuse(ErrorCode::ILLEGAL_SASL_STATE, "not a SASL listener");
    return;
  }
  if (session.state == State::kAwaitAuthenticate) {
    refuse(ErrorCode::ILLEGAL_SASL_STATE, "a handshake is already under way");
    return;
  }
  if (session.state == State::kAuthenticated && ctx.api_version < 1) {
    // KIP-368: re-authentication needs SaslHandshake v1+.
    refuse(ErrorCode::ILLEGAL_SASL_STATE,
           "already authenticated; re-authentication needs SaslHandshake v1");
    return;
  }
  const auto& offered = session.listener.sasl_mechanisms;
  if (std::find(offered.begin(), offered.end(), request.mechanism) ==
      offered.end()) {
    refuse(
        ErrorCode::UNSUPPORTED_SASL_MECHANISM,
        "mechanism '" + request.mechanism.substr(0, 64) + "' is not enabled");
    return;
  }
  session.mechanism = request.mechanism;
  session.scram.reset();
  session.handshake_version = ctx.api_version;
  session.state = State::kAwaitAuthenticate;
  reply(std::move(response));
}

}  // namespace kop::core
