// DescribeGroups (key 15): state, protocol and members; member metadata and
// assignments only for Stable groups, as Kafka reports them.
#include <climits>
#include <memory>

#include "handlers/handler.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/describe_groups_request.h"
#include "kop/protocol/messages/describe_groups_response.h"

namespace kop::core {

using protocol::Code;
using protocol::DescribeGroupsRequest;
using protocol::DescribeGroupsResponse;
using protocol::ErrorCode;

namespace {
// v6 (KIP-1043) reports an unknown group as GROUP_ID_NOT_FOUND; earlier
// versions as a Dead group without error.
constexpr int16_t kFirstNotFoundVersion = 6;
// Authorized operations are not computed (no ACLs): Kafka's "omitted".
constexpr int32_t kOperationsOmitted = INT32_MIN;
}  // namespace

void HandleDescribeGroups(const RequestContext& ctx,
                          const protocol::Message& message, Reply reply) {
  const auto& request = static_cast<const DescribeGroupsRequest&>(message);
  const int16_t version = ctx.api_version;
  if (const ErrorCode refused = Access(ctx).CheckGroup();
      refused != ErrorCode::NONE) {
    auto response = std::make_unique<DescribeGroupsResponse>();
    for (const std::string& id : request.groups) {
      auto& g = response->groups.emplace_back();
      g.group_id = id;
      g.error_code = Code(refused);
      g.authorized_operations = kOperationsOmitted;
    }
    return reply(std::move(response));
  }
  ctx.groups->Describe(
      MakeCaller(ctx), request.groups,
      [reply = std::move(reply),
       version](std::vector<groups::GroupDescription> described) {
        auto response = std::make_unique<DescribeGroupsResponse>();
        for (auto& d : described) {
          auto& g = response->groups.emplace_back();
          g.group_id = d.group_id;
          g.error_code = Code(d.error_code);
          g.group_state = d.state;
          g.protocol_type = d.protocol_type;
          g.protocol_data = d.protocol;
          g.authorized_operations = kOperationsOmitted;
          if (d.error_code == ErrorCode::NONE && !d.found &&
              version >= kFirstNotFoundVersion) {
            g.error_code = Code(ErrorCode::GROUP_ID_NOT_FOUND);
            g.error_message = "group " + d.group_id + " not found";
          }
          for (auto& m : d.members) {
            auto& out = g.members.emplace_back();
            out.member_id = std::move(m.member_id);
            out.group_instance_id = std::move(m.group_instance_id);
            out.client_id = std::move(m.client_id);
            out.client_host = std::move(m.client_host);
            out.member_metadata = std::move(m.metadata);
            out.member_assignment = std::move(m.assignment);
          }
        }
        reply(std::move(response));
      });
}

}  // namespace kop::core
