// JoinGroup (key 11): the classic rebalance protocol, in the group
// coordinator (groups/coordinator_join.cc). The answer may come much later,
// when the rebalance completes.
#include <memory>

#include "handlers/handler.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/join_group_request.h"
#include "kop/protocol/messages/join_group_response.h"

namespace kop::core {

using protocol::Code;
using protocol::JoinGroupRequest;
using protocol::JoinGroupResponse;

namespace {
// v4+: a member without an id is told its id and must rejoin (KIP-394).
constexpr int16_t kFirstKnownMemberIdVersion = 4;
}  // namespace

void HandleJoinGroup(const RequestContext& ctx,
                     const protocol::Message& message, Reply reply) {
  const auto& request = static_cast<const JoinGroupRequest&>(message);
  if (GroupRefused<JoinGroupResponse>(ctx, reply)) return;
  groups::JoinParams p;
  p.group_id = request.group_id;
  p.member_id = request.member_id;
  p.group_instance_id = request.group_instance_id;
  p.session_timeout_ms = request.session_timeout_ms;
  // v0 has no rebalance timeout: the session timeout bounds the rebalance.
  p.rebalance_timeout_ms = ctx.api_version >= 1 ? request.rebalance_timeout_ms
                                                : request.session_timeout_ms;
  p.protocol_type = request.protocol_type;
  for (const auto& proto : request.protocols) {
    p.protocols.push_back({proto.name, proto.metadata});
  }
  p.require_known_member_id = ctx.api_version >= kFirstKnownMemberIdVersion &&
                              !request.group_instance_id.has_value();
  const int16_t version = ctx.api_version;
  ctx.groups->Join(MakeCaller(ctx), std::move(p),
                   [reply = std::move(reply), version](groups::JoinResult r) {
                     auto response = std::make_unique<JoinGroupResponse>();
                     response->error_code = Code(r.error_code);
                     response->generation_id = r.generation;
                     response->protocol_type = r.protocol_type;
                     // Nullable from v7; before that an absent protocol is "".
                     response->protocol_name =
                         version >= 7 ? r.protocol_name
                                      : std::optional<std::string>(
                                            r.protocol_name.value_or(""));
                     response->leader = r.leader;
                     response->member_id = r.member_id;
                     response->skip_assignment = r.skip_assignment;
                     for (auto& m : r.members) {
                       auto& out = response->members.emplace_back();
                       out.member_id = std::move(m.member_id);
                       out.group_instance_id = std::move(m.group_instance_id);
                       out.metadata = std::move(m.metadata);
                     }
                     reply(std::move(response));
                   });
}

}  // namespace kop::core
