// Heartbeat (key 12): keeps a member's session; REBALANCE_IN_PROGRESS tells
// it to rejoin.
#include <memory>

#include "handlers/handler.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/heartbeat_request.h"
#include "kop/protocol/messages/heartbeat_response.h"

namespace kop::core {

using protocol::Code;
using protocol::HeartbeatRequest;
using protocol::HeartbeatResponse;

void HandleHeartbeat(const RequestContext& ctx,
                     const protocol::Message& message, Reply reply) {
  const auto& request = static_cast<const HeartbeatRequest&>(message);
  if (GroupRefused<HeartbeatResponse>(ctx, reply)) return;
  ctx.groups->Heartbeat(MakeCaller(ctx), request.group_id,
                        request.generation_id, request.member_id,
                        request.group_instance_id,
                        [reply = std::move(reply)](ErrorCode error) {
                          auto response = std::make_unique<HeartbeatResponse>();
                          response->error_code = Code(error);
                          reply(std::move(response));
                        });
}

}  // namespace kop::core
