// SyncGroup (key 14): the leader hands in the assignment; every member gets
// its own once the group metadata is stored.
#include <memory>

#include "handlers/handler.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/sync_group_request.h"
#include "kop/protocol/messages/sync_group_response.h"

namespace kop::core {

using protocol::Code;
using protocol::SyncGroupRequest;
using protocol::SyncGroupResponse;

void HandleSyncGroup(const RequestContext& ctx,
                     const protocol::Message& message, Reply reply) {
  const auto& request = static_cast<const SyncGroupRequest&>(message);
  if (GroupRefused<SyncGroupResponse>(ctx, reply)) return;
  groups::SyncParams p;
  p.group_id = request.group_id;
  p.generation = request.generation_id;
  p.member_id = request.member_id;
  p.group_instance_id = request.group_instance_id;
  p.protocol_type = request.protocol_type;
  p.protocol_name = request.protocol_name;
  for (const auto& a : request.assignments) {
    p.assignments.emplace_back(a.member_id, a.assignment);
  }
  ctx.groups->Sync(MakeCaller(ctx), std::move(p),
                   [reply = std::move(reply)](groups::SyncResult r) {
                     auto response = std::make_unique<SyncGroupResponse>();
                     response->error_code = Code(r.error_code);
                     response->protocol_type = r.protocol_type;
                     response->protocol_name = r.protocol_name;
                     response->assignment = std::move(r.assignment);
                     reply(std::move(response));
                   });
}

}  // namespace kop::core
