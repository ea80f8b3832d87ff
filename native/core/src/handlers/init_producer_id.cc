// InitProducerId (key 22): producer ids for idempotent producers.
//
// Transactions are not served (no transaction coordinator), so a
// transactional id is refused; a producer re-initialising with its id and
// epoch (KIP-360, v3+) gets the same id with the next epoch.
#include "handlers/handler.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/init_producer_id_request.h"
#include "kop/protocol/messages/init_producer_id_response.h"

namespace kop::core {

using protocol::Code;
using protocol::ErrorCode;
using protocol::InitProducerIdRequest;
using protocol::InitProducerIdResponse;

void HandleInitProducerId(const RequestContext& ctx,
                          const protocol::Message& message, Reply reply) {
  const auto& request = static_cast<const InitProducerIdRequest&>(message);
  auto response = std::make_unique<InitProducerIdResponse>();
  if (request.transactional_id.has_value() &&
      !request.transactional_id->empty()) {
    response->error_code =
        Code(ErrorCode::TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  } else if (request.producer_id >= 0 && request.producer_epoch >= 0 &&
             request.producer_epoch < INT16_MAX - 1) {
    response->producer_id = request.producer_id;
    response->producer_epoch = static_cast<int16_t>(request.producer_epoch + 1);
  } else {
    response->producer_id = ctx.producers->NewProducerId();
    response->producer_epoch = 0;
  }
  reply(std::move(response));
}

}  // namespace kop::core
