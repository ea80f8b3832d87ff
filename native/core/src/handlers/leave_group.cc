// LeaveGroup (key 13): one member (v0-2) or a batch (v3+, static members by
// instance id).
#include <memory>

#include "handlers/handler.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/leave_group_request.h"
#include "kop/protocol/messages/leave_group_response.h"

namespace kop::core {

using protocol::Code;
using protocol::LeaveGroupRequest;
using protocol::LeaveGroupResponse;

namespace {
constexpr int16_t kFirstBatchVersion = 3;
}  // namespace

void HandleLeaveGroup(const RequestContext& ctx,
                      const protocol::Message& message, Reply reply) {
  const auto& request = static_cast<const LeaveGroupRequest&>(message);
  if (GroupRefused<LeaveGroupResponse>(ctx, reply)) return;
  const bool batch = ctx.api_version >= kFirstBatchVersion;
  std::vector<groups::LeaveMember> members;
  if (batch) {
    for (const auto& m : request.members) {
      members.push_back({m.member_id, m.group_instance_id});
    }
  } else {
    members.push_back({request.member_id, std::nullopt});
  }
  auto echo = std::make_shared<std::vector<groups::LeaveMember>>(members);
  ctx.groups->Leave(
      MakeCaller(ctx), request.group_id, std::move(members),
      [reply = std::move(reply), batch, echo](groups::LeaveResult r) {
        auto response = std::make_unique<LeaveGroupResponse>();
        response->error_code = Code(r.error_code);
        if (batch) {
          for (size_t i = 0; i < r.member_errors.size(); ++i) {
            auto& out = response->members.emplace_back();
            out.member_id = (*echo)[i].member_id;
            out.group_instance_id = (*echo)[i].group_instance_id;
            out.error_code = Code(r.member_errors[i]);
          }
        } else if (r.error_code == ErrorCode::NONE &&
                   !r.member_errors.empty()) {
          response->error_code = Code(r.member_errors.front());
        }
        reply(std::move(response));
      });
}

}  // namespace kop::core
