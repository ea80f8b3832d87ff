// FindCoordinator (key 10): this broker coordinates every group (it serves
// every partition of __consumer_offsets); asking starts loading the group's
// partition so the JoinGroup that follows rarely waits.
//
// Transactions are not served: a transactional id gets
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED (non-retriable, so a transactional
// producer fails at once rather than spin); share-group keys (v6) get
// INVALID_REQUEST.
#include <memory>

#include "handlers/handler.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/find_coordinator_request.h"
#include "kop/protocol/messages/find_coordinator_response.h"

namespace kop::core {
namespace {

using protocol::Code;
using protocol::ErrorCode;
using protocol::FindCoordinatorRequest;
using protocol::FindCoordinatorResponse;

constexpr int8_t kGroupKey = 0;
constexpr int8_t kTransactionKey = 1;
constexpr int16_t kFirstBatchedVersion = 4;

struct Found {
  int16_t error = 0;
  std::string message;
};

Found Lookup(const RequestContext& ctx, int8_t key_type,
             const std::string& key) {
  if (key_type == kTransactionKey) {
    return {Code(ErrorCode::TRANSACTIONAL_ID_AUTHORIZATION_FAILED),
            "transactions are not supported by kop-native"};
  }
  if (key_type != kGroupKey) {
    return {Code(ErrorCode::INVALID_REQUEST), "unsupported coordinator type"};
  }
  if (key.empty()) {
    return {Code(ErrorCode::INVALID_REQUEST), "empty group id"};
  }
  return {ctx.groups->FindCoordinator(MakeCaller(ctx), key), ""};
}

}  // namespace

void HandleFindCoordinator(const RequestContext& ctx,
                           const protocol::Message& message, Reply reply) {
  const auto& request = static_cast<const FindCoordinatorRequest&>(message);
  auto response = std::make_unique<FindCoordinatorResponse>();
  const BrokerState& b = *ctx.broker;
  if (ctx.api_version >= kFirstBatchedVersion) {
    for (const std::string& key : request.coordinator_keys) {
      FindCoordinatorResponse::Coordinator& c =
          response->coordinators.emplace_back();
      c.key = key;
      Found f = Lookup(ctx, request.key_type, key);
      c.error_code = f.error;
      if (f.error == 0) {
        c.node_id = b.node_id;
        c.host = b.advertised_host;
        c.port = b.advertised_port;
        c.error_message = std::nullopt;
      } else {
        c.node_id = -1;
        c.port = -1;
        c.error_message = f.message;
      }
    }
  } else {
    Found f = Lookup(ctx, request.key_type, request.key);
    response->error_code = f.error;
    if (f.error == 0) {
      response->node_id = b.node_id;
      response->host = b.advertised_host;
      response->port = b.advertised_port;
      response->error_message = std::nullopt;
    } else {
      response->node_id = -1;
      response->port = -1;
      response->error_message = f.message;
    }
  }
  reply(std::move(response));
}

}  // namespace kop::core
