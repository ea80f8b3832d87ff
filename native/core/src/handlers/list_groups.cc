// ListGroups (key 16): the groups this broker coordinates, filtered by state
// (v4+) and type (v5+: all of ours are "classic").
#include <memory>

#include "absl/strings/ascii.h"
#include "handlers/handler.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/list_groups_request.h"
#include "kop/protocol/messages/list_groups_response.h"

namespace kop::core {

using protocol::Code;
using protocol::ListGroupsRequest;
using protocol::ListGroupsResponse;

void HandleListGroups(const RequestContext& ctx,
                      const protocol::Message& message, Reply reply) {
  const auto& request = static_cast<const ListGroupsRequest&>(message);
  if (GroupRefused<ListGroupsResponse>(ctx, reply)) return;
  bool classic_wanted = request.types_filter.empty();
  for (const std::string& t : request.types_filter) {
    if (absl::AsciiStrToLower(t) == "classic") classic_wanted = true;
  }
  ctx.groups->List(
      MakeCaller(ctx), request.states_filter,
      [reply = std::move(reply), classic_wanted](groups::ListResult r) {
        auto response = std::make_unique<ListGroupsResponse>();
        response->error_code = Code(r.error_code);
        if (classic_wanted) {
          for (auto& g : r.groups) {
            auto& out = response->groups.emplace_back();
            out.group_id = std::move(g.group_id);
            out.protocol_type = std::move(g.protocol_type);
            out.group_state = std::move(g.state);
            out.group_type = "classic";
          }
        }
        reply(std::move(response));
      });
}

}  // namespace kop::core
