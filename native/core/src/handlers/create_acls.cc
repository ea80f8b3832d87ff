// CreateAcls (key 30): each creation becomes one Pulsar grant in the
// connection's namespace (acl_mapping.h), made by Pulsar only if the
// client's role may grant permissions there (GRANT_PERMISSION: a superuser
// or a tenant admin), else CLUSTER_AUTHORIZATION_FAILED, as Kafka answers a
// client without ALTER on the cluster. What Pulsar cannot express is
// refused with INVALID_REQUEST and says why. Grants go one at a time.
#include <memory>
#include <utility>
#include <vector>

#include "handlers/acl_mapping.h"
#include "handlers/handler.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/create_acls_request.h"
#include "kop/protocol/messages/create_acls_response.h"

namespace kop::core {

using protocol::Code;
using protocol::CreateAclsRequest;
using protocol::CreateAclsResponse;
using protocol::ErrorCode;

void HandleCreateAcls(const RequestContext& ctx,
                      const protocol::Message& message, Reply reply) {
  const auto& request = static_cast<const CreateAclsRequest&>(message);
  auto response = std::make_shared<CreateAclsResponse>();
  std::string why;
  const ErrorCode gate = acl::Gate(ctx, &why);
  const acl::Namespace ns = acl::ConnectionNamespace(ctx);
  // (result index, permission to grant)
  auto grants = std::make_shared<std::vector<std::pair<size_t, Permission>>>();
  for (const auto& c : request.creations) {
    auto& result = response->results.emplace_back();
    result.error_message = std::nullopt;
    if (gate != ErrorCode::NONE) {
      result.error_code = Code(gate);
      result.error_message = why;
      continue;
    }
    acl::Mapped mapped = acl::ToPermission(
        *ctx.broker, ns,
        {c.resource_type, c.resource_name, c.resource_pattern_type, c.principal,
         c.host, c.operation, c.permission_type});
    if (mapped.error != ErrorCode::NONE) {
      result.error_code = Code(mapped.error);
      result.error_message = std::move(mapped.message);
      continue;
    }
    grants->emplace_back(response->results.size() - 1,
                         std::move(mapped.permission));
  }
  SecurityPort* security = ctx.security;
  const std::string caller = gate == ErrorCode::NONE ? Access(ctx).Role() : "";
  acl::Sequentially(
      grants->size(),
      [security, caller, ns, grants, response](size_t i,
                                               std::function<void()> next) {
        // Not a structured binding: clang (the fuzz build) cannot capture
        // one in a lambda.
        const size_t index = (*grants)[i].first;
        security->ChangePermission(
            caller, ns.name, (*grants)[i].second, /*grant=*/true,
            [response, index, next = std::move(next)](PermissionResult r) {
              auto& result = response->results[index];
              result.error_code = Code(r.error_code);
              if (r.error_code != ErrorCode::NONE) {
                result.error_message = std::move(r.message);
              }
              next();
            });
      },
      [response, reply = std::move(reply)] {
        reply(std::make_unique<CreateAclsResponse>(std::move(*response)));
      });
}

}  // namespace kop::core
