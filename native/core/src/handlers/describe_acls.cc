// DescribeAcls (key 29): the Pulsar permissions of the connection's
// namespace, read as Kafka ACLs (acl_mapping.h). Only a role that may read
// them (Pulsar's GET_PERMISSION on the namespace: a superuser or a tenant
// admin) sees them; others get CLUSTER_AUTHORIZATION_FAILED, as Kafka
// answers a client without DESCRIBE on the cluster.
#include <memory>

#include "handlers/acl_mapping.h"
#include "handlers/handler.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/describe_acls_request.h"
#include "kop/protocol/messages/describe_acls_response.h"

namespace kop::core {

using protocol::Code;
using protocol::DescribeAclsRequest;
using protocol::DescribeAclsResponse;
using protocol::ErrorCode;

namespace {

void Fail(DescribeAclsResponse& response, ErrorCode error, std::string why) {
  response.error_code = Code(error);
  response.error_message = std::move(why);
}

// The matching bindings of `permissions`, one resource entry per (type,
// name, pattern) in the order first seen.
void Fill(DescribeAclsResponse& response, const acl::Namespace& ns,
          const acl::Filter& filter,
          const std::vector<Permission>& permissions) {
  for (const Permission& p : permissions) {
    for (const acl::Binding& b : acl::ToBindings(ns, p)) {
      if (!acl::Matches(filter, b)) continue;
      DescribeAclsResponse::DescribeAclsResource* resource = nullptr;
      for (auto& r : response.resources) {
        if (r.resource_type == b.resource_type &&
            r.resource_name == b.resource_name &&
            r.pattern_type == b.pattern_type) {
          resource = &r;
          break;
        }
      }
      if (resource == nullptr) {
        resource = &response.resources.emplace_back();
        resource->resource_type = b.resource_type;
        resource->resource_name = b.resource_name;
        resource->pattern_type = b.pattern_type;
      }
      auto& d = resource->acls.emplace_back();
      d.principal = b.principal;
      d.host = b.host;
      d.operation = b.operation;
      d.permission_type = b.permission_type;
    }
  }
}

}  // namespace

void HandleDescribeAcls(const RequestContext& ctx,
                        const protocol::Message& message, Reply reply) {
  const auto& request = static_cast<const DescribeAclsRequest&>(message);
  auto response = std::make_unique<DescribeAclsResponse>();
  response->error_message = std::nullopt;
  std::string why;
  if (ErrorCode gate = acl::Gate(ctx, &why); gate != ErrorCode::NONE) {
    Fail(*response, gate, std::move(why));
    reply(std::move(response));
    return;
  }
  const acl::Filter filter = acl::FilterOf(request);
  if (auto invalid = acl::InvalidFilter(filter)) {
    Fail(*response, ErrorCode::INVALID_REQUEST, *invalid);
    reply(std::move(response));
    return;
  }
  const acl::Namespace ns = acl::ConnectionNamespace(ctx);
  ctx.security->ListPermissions(
      Access(ctx).Role(), ns.name,
      [reply = std::move(reply),
       response = std::shared_ptr(std::move(response)), filter,
       ns](PermissionResult listed) {
        auto out = std::make_unique<DescribeAclsResponse>(std::move(*response));
        if (listed.error_code != ErrorCode::NONE) {
          Fail(*out, listed.error_code, std::move(listed.message));
        } else {
          Fill(*out, ns, filter, listed.permissions);
        }
        reply(std::move(out));
      });
}

}  // namespace kop::core
