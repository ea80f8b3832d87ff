// DeleteAcls (key 31): lists the Pulsar permissions of the connection's
// namespace, matches each filter against them read as Kafka ACLs
// (acl_mapping.h), and revokes what matched, one Pulsar change per
// (permission, role), one at a time. Pulsar revokes only for a role that
// may (REVOKE_PERMISSION: a superuser or a tenant admin), else every
// matching ACL answers CLUSTER_AUTHORIZATION_FAILED, as Kafka does.
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "handlers/acl_mapping.h"
#include "handlers/handler.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/delete_acls_request.h"
#include "kop/protocol/messages/delete_acls_response.h"

namespace kop::core {

using protocol::Code;
using protocol::DeleteAclsRequest;
using protocol::DeleteAclsResponse;
using protocol::ErrorCode;

namespace {

struct Deletion {
  DeleteAclsResponse response;
  std::vector<acl::Filter> filters;
  std::vector<bool> valid;
  // One revocation per listed permission that matched: the permission with
  // the actions to remove, and the (filter, acl) answers it decides.
  std::vector<Permission> revocations;
  std::vector<std::vector<std::pair<size_t, size_t>>> answers;
};

// Matches every valid filter against the listed permissions.
void Match(Deletion& d, const acl::Namespace& ns,
           const std::vector<Permission>& listed) {
  std::map<size_t, size_t> revocation_of;  // listed index -> revocation
  for (size_t p = 0; p < listed.size(); ++p) {
    for (const acl::Binding& b : acl::ToBindings(ns, listed[p])) {
      for (size_t f = 0; f < d.filters.size(); ++f) {
        if (!d.valid[f] || !acl::Matches(d.filters[f], b)) continue;
        auto [it, added] = revocation_of.try_emplace(p, d.revocations.size());
        if (added) {
          Permission r = listed[p];
          r.actions = 0;
          d.revocations.push_back(std::move(r));
          d.answers.emplace_back();
        }
        d.revocations[it->second].actions |= acl::ActionOf(b);
        auto& matches = d.response.filter_results[f].matching_acls;
        auto& m = matches.emplace_back();
        m.error_message = std::nullopt;
        m.resource_type = b.resource_type;
        m.resource_name = b.resource_name;
        m.pattern_type = b.pattern_type;
        m.principal = b.principal;
        m.host = b.host;
        m.operation = b.operation;
        m.permission_type = b.permission_type;
        d.answers[it->second].emplace_back(f, matches.size() - 1);
      }
    }
  }
}

void Revoke(const std::shared_ptr<Deletion>& d, SecurityPort* security,
            std::string caller, std::string ns, Reply reply) {
  acl::Sequentially(
      d->revocations.size(),
      [d, security, caller, ns](size_t i, std::function<void()> next) {
        security->ChangePermission(
            caller, ns, d->revocations[i], /*grant=*/false,
            [d, i, next = std::move(next)](PermissionResult r) {
              for (auto [f, a] : d->answers[i]) {
                auto& m = d->response.filter_results[f].matching_acls[a];
                m.error_code = Code(r.error_code);
                if (r.error_code != ErrorCode::NONE)
                  m.error_message = r.message;
              }
              next();
            });
      },
      [d, reply = std::move(reply)] {
        reply(std::make_unique<DeleteAclsResponse>(std::move(d->response)));
      });
}

}  // namespace

void HandleDeleteAcls(const RequestContext& ctx,
                      const protocol::Message& message, Reply reply) {
  const auto& request = static_cast<const DeleteAclsRequest&>(message);
  auto d = std::make_shared<Deletion>();
  std::string why;
  const ErrorCode gate = acl::Gate(ctx, &why);
  bool any_valid = false;
  for (const auto& f : request.filters) {
    auto& result = d->response.filter_results.emplace_back();
    result.error_message = std::nullopt;
    d->filters.push_back(acl::FilterOf(f));
    std::optional<std::string> invalid = acl::InvalidFilter(d->filters.back());
    d->valid.push_back(gate == ErrorCode::NONE && !invalid.has_value());
    any_valid = any_valid || d->valid.back();
    if (gate != ErrorCode::NONE) {
      result.error_code = Code(gate);
      result.error_message = why;
    } else if (invalid.has_value()) {
      result.error_code = Code(ErrorCode::INVALID_REQUEST);
      result.error_message = std::move(invalid);
    }
  }
  if (!any_valid) {
    reply(std::make_unique<DeleteAclsResponse>(std::move(d->response)));
    return;
  }
  const acl::Namespace ns = acl::ConnectionNamespace(ctx);
  const std::string caller = Access(ctx).Role();
  SecurityPort* security = ctx.security;
  security->ListPermissions(
      caller, ns.name,
      [d, ns, caller, security,
       reply = std::move(reply)](PermissionResult listed) {
        if (listed.error_code != ErrorCode::NONE) {
          for (size_t f = 0; f < d->filters.size(); ++f) {
            if (!d->valid[f]) continue;
            d->response.filter_results[f].error_code = Code(listed.error_code);
            d->response.filter_results[f].error_message = listed.message;
          }
          reply(std::make_unique<DeleteAclsResponse>(std::move(d->response)));
          return;
        }
        Match(*d, ns, listed.permissions);
        Revoke(d, security, caller, ns.name, reply);
      });
}

}  // namespace kop::core
