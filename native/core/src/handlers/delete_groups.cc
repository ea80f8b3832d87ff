// DeleteGroups (key 42): empty groups only; their offsets and metadata get
// tombstones and their mirrored Pulsar subscriptions are removed.
#include <memory>

#include "handlers/handler.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/delete_groups_request.h"
#include "kop/protocol/messages/delete_groups_response.h"

namespace kop::core {

using protocol::Code;
using protocol::DeleteGroupsRequest;
using protocol::DeleteGroupsResponse;

void HandleDeleteGroups(const RequestContext& ctx,
                        const protocol::Message& message, Reply reply) {
  const auto& request = static_cast<const DeleteGroupsRequest&>(message);
  auto names = std::make_shared<std::vector<std::string>>(request.groups_names);
  ctx.groups->Delete(
      MakeCaller(ctx), request.groups_names,
      [reply = std::move(reply), names](std::vector<ErrorCode> errors) {
        auto response = std::make_unique<DeleteGroupsResponse>();
        for (size_t i = 0; i < names->size(); ++i) {
          auto& out = response->results.emplace_back();
          out.group_id = (*names)[i];
          out.error_code =
              Code(i < errors.size() ? errors[i] : ErrorCode::NONE);
        }
        reply(std::move(response));
      });
}

}  // namespace kop::core
