// Kafka's ACL APIs onto Pulsar permissions (issue 11): the mapping both
// ways, what Pulsar cannot express (INVALID_REQUEST and why),
// SECURITY_DISABLED without authorization, CLUSTER_AUTHORIZATION_FAILED for
// a role that may not manage permissions, and grants/revocations made one at
// a time through the SecurityPort.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "broker_state.h"
#include "core_test_util.h"
#include "handlers/acl_mapping.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/api_versions_request.h"
#include "kop/protocol/messages/api_versions_response.h"
#include "kop/protocol/messages/create_acls_request.h"
#include "kop/protocol/messages/create_acls_response.h"
#include "kop/protocol/messages/delete_acls_request.h"
#include "kop/protocol/messages/delete_acls_response.h"
#include "kop/protocol/messages/describe_acls_request.h"
#include "kop/protocol/messages/describe_acls_response.h"
#include "kop/testing/fake_log.h"
#include "kop/testing/fake_security.h"
#include "kop/testing/fake_topics.h"

namespace kop::core {
namespace {

using namespace kop::protocol;  // NOLINT: test brevity
using testing::DecodeResponse;
using testing::RequestFrame;
using S = Permission::Scope;

const acl::Namespace kNs{"public/default", "persistent://public/default/"};

acl::Binding Topic(std::string name, int8_t op) {
  return {acl::kTopic, std::move(name), acl::kLiteral, "User:bob", "*",
          op,          acl::kAllow};
}

TEST_CASE("acl: Kafka ACLs map onto Pulsar permissions exactly") {
  BrokerState broker;
  auto ok = [&](const acl::Binding& b) {
    acl::Mapped m = acl::ToPermission(broker, kNs, b);
    REQUIRE(m.error == ErrorCode::NONE);
    return m.permission;
  };
  CHECK(ok(Topic("orders", acl::kWrite)) ==
        Permission{S::kTopic, "persistent://public/default/orders", "bob",
                   Permission::kProduce});
  CHECK(ok(Topic("orders", acl::kRead)).actions == Permission::kConsume);
  CHECK(ok(Topic("orders", acl::kAll)).actions ==
        (Permission::kProduce | Permission::kConsume));
  CHECK(ok(Topic("*", acl::kWrite)) ==
        Permission{S::kNamespace, "", "bob", Permission::kProduce});
  acl::Binding group{acl::kGroup, "g1",       acl::kLiteral, "User:bob",
                     "*",         acl::kRead, acl::kAllow};
  CHECK(ok(group) == Permission{S::kSubscription, "g1", "bob", 0});

  // And back, one binding per action.
  CHECK(acl::ToBindings(kNs, ok(Topic("orders", acl::kAll))) ==
        std::vector<acl::Binding>{Topic("orders", acl::kRead),
                                  Topic("orders", acl::kWrite)});
  CHECK(acl::ToBindings(kNs, ok(Topic("*", acl::kRead))) ==
        std::vector<acl::Binding>{Topic("*", acl::kRead)});
  CHECK(acl::ToBindings(kNs, ok(group)) == std::vector<acl::Binding>{group});
}

TEST_CASE("acl: what Pulsar cannot express is refused and says why") {
  BrokerState broker;
  auto refused = [&](acl::Binding b, const std::string& part) {
    acl::Mapped m = acl::ToPermission(broker, kNs, b);
    CHECK(m.error == ErrorCode::INVALID_REQUEST);
    CHECK(m.message.find(part) != std::string::npos);
  };
  acl::Binding deny = Topic("orders", acl::kWrite);
  deny.permission_type = acl::kDeny;
  refused(deny, "DENY");
  acl::Binding host = Topic("orders", acl::kWrite);
  host.host = "10.0.0.1";
  refused(host, "host");
  acl::Binding prefixed = Topic("ord", acl::kWrite);
  prefixed.pattern_type = acl::kPrefixed;
  refused(prefixed, "prefixed");
  refused(Topic("orders", 8), "lookup");  // DESCRIBE
  refused(Topic("orders", 6), "READ");    // DELETE
  acl::Binding cluster = Topic("kafka-cluster", acl::kAll);
  cluster.resource_type = 4;
  refused(cluster, "CLUSTER");
  acl::Binding anyone = Topic("orders", acl::kWrite);
  anyone.principal = "User:*";
  refused(anyone, "every role");
  anyone.principal = "Group:x";
  refused(anyone, "User:");
  refused(Topic("persistent://other/ns/t", acl::kWrite), "namespace");
  refused(Topic("__consumer_offsets", acl::kRead), "internal");
  acl::Binding group_write{acl::kGroup, "g",         acl::kLiteral, "User:bob",
                           "*",         acl::kWrite, acl::kAllow};
  refused(group_write, "READ only");
}

TEST_CASE("acl: filters match as Kafka's, ALL standing for READ and WRITE") {
  acl::Filter f;
  CHECK(acl::Matches(f, Topic("orders", acl::kRead)));
  f.resource_name = "orders";
  CHECK(acl::Matches(f, Topic("orders", acl::kRead)));
  CHECK_FALSE(acl::Matches(f, Topic("*", acl::kRead)));
  f.pattern_type = acl::kMatch;
  CHECK(acl::Matches(f, Topic("*", acl::kRead)));
  f.operation = acl::kAll;
  CHECK(acl::Matches(f, Topic("orders", acl::kWrite)));
  f.operation = acl::kWrite;
  CHECK_FALSE(acl::Matches(f, Topic("orders", acl::kRead)));
  f.permission_type = acl::kDeny;
  CHECK_FALSE(acl::Matches(f, Topic("orders", acl::kWrite)));
  f.pattern_type = 0;
  CHECK(acl::InvalidFilter(f).has_value());
}

CreateAclsRequest Creations(const std::vector<acl::Binding>& bindings) {
  CreateAclsRequest req;
  for (const auto& b : bindings) {
    req.creations.push_back({b.resource_type,
                             b.resource_name,
                             b.pattern_type,
                             b.principal,
                             b.host,
                             b.operation,
                             b.permission_type,
                             {}});
  }
  return req;
}

struct Fixture : testing::RoleConnection {
  explicit Fixture(std::string role, bool with_security = true) {
    Connect({{"kop.node.id", "1"}, {"offsetsTopicNumPartitions", "1"}},
            std::move(role), with_security);
    security.permission_admins.insert("admin");
  }
  CreateAclsResponse Create(const std::vector<acl::Binding>& bindings) {
    return Send<CreateAclsResponse>(30, 3, Creations(bindings));
  }
  DescribeAclsResponse Describe() {
    DescribeAclsRequest req;
    req.resource_type_filter = acl::kAny;
    req.pattern_type_filter = acl::kAny;
    req.resource_name_filter = std::nullopt;
    req.principal_filter = std::nullopt;
    req.host_filter = std::nullopt;
    req.operation = acl::kAny;
    req.permission_type = acl::kAny;
    return Send<DescribeAclsResponse>(29, 3, req);
  }
  DeleteAclsResponse Delete(std::optional<std::string> name, int8_t op) {
    DeleteAclsRequest req;
    auto& f = req.filters.emplace_back();
    f.resource_type_filter = acl::kTopic;
    f.resource_name_filter = std::move(name);
    f.pattern_type_filter = acl::kLiteral;
    f.principal_filter = std::nullopt;
    f.host_filter = std::nullopt;
    f.operation = op;
    f.permission_type = acl::kAllow;
    return Send<DeleteAclsResponse>(31, 3, req);
  }
};

TEST_CASE("acl: a permission admin creates, lists and deletes ACLs") {
  Fixture fx("admin");
  acl::Binding deny = Topic("orders", acl::kRead);
  deny.permission_type = acl::kDeny;
  CreateAclsResponse created = fx.Create(
      {Topic("orders", acl::kWrite), Topic("orders", acl::kRead), deny});
  REQUIRE(created.results.size() == 3);
  CHECK(created.results[0].error_code == 0);
  CHECK_FALSE(created.results[0].error_message.has_value());
  CHECK(created.results[1].error_code == 0);
  CHECK(created.results[2].error_code == Code(ErrorCode::INVALID_REQUEST));
  CHECK(fx.security.permissions["public/default"] ==
        std::vector<Permission>{{S::kTopic,
                                 "persistent://public/default/orders", "bob",
                                 Permission::kProduce | Permission::kConsume}});

  DescribeAclsResponse listed = fx.Describe();
  CHECK(listed.error_code == 0);
  REQUIRE(listed.resources.size() == 1);
  CHECK(listed.resources[0].resource_name == "orders");
  CHECK(listed.resources[0].acls.size() == 2);

  DeleteAclsResponse deleted = fx.Delete("orders", acl::kWrite);
  REQUIRE(deleted.filter_results.size() == 1);
  REQUIRE(deleted.filter_results[0].matching_acls.size() == 1);
  CHECK(deleted.filter_results[0].matching_acls[0].operation == acl::kWrite);
  CHECK(deleted.filter_results[0].matching_acls[0].error_code == 0);
  CHECK(fx.security.permissions["public/default"][0].actions ==
        Permission::kConsume);
  fx.Delete(std::nullopt, acl::kAny);
  CHECK(fx.security.permissions["public/default"].empty());
}

TEST_CASE("acl: grants go one at a time when Pulsar answers later") {
  Fixture fx("admin");
  fx.security.defer = true;
  fx.conn->OnFrame(RequestFrame(
      30, 3, 1, Creations({Topic("a", acl::kWrite), Topic("b", acl::kRead)})));
  CHECK(fx.security.changes.size() == 1);
  fx.security.RunDeferred();
  CHECK(fx.security.changes.size() == 2);
  CHECK(fx.sink.frames.empty());
  fx.security.RunDeferred();
  REQUIRE(fx.sink.frames.size() == 1);
  auto r = DecodeResponse<CreateAclsResponse>(fx.sink.frames[0], 30, 3, 1);
  CHECK(r.results[0].error_code == 0);
  CHECK(r.results[1].error_code == 0);
}

TEST_CASE("acl: a role that may not manage permissions is refused") {
  Fixture fx("bob");
  auto created = fx.Create({Topic("orders", acl::kWrite)});
  CHECK(created.results[0].error_code ==
        Code(ErrorCode::CLUSTER_AUTHORIZATION_FAILED));
  CHECK(fx.security.permissions["public/default"].empty());
  CHECK(fx.Describe().error_code ==
        Code(ErrorCode::CLUSTER_AUTHORIZATION_FAILED));
  CHECK(fx.Delete("orders", acl::kAny).filter_results[0].error_code ==
        Code(ErrorCode::CLUSTER_AUTHORIZATION_FAILED));
}

TEST_CASE("acl: without authorization every ACL API is SECURITY_DISABLED") {
  Fixture fx("admin");
  fx.security.enabled = false;
  const int16_t disabled = Code(ErrorCode::SECURITY_DISABLED);
  CHECK(fx.Create({Topic("orders", acl::kWrite)}).results[0].error_code ==
        disabled);
  CHECK(fx.Describe().error_code == disabled);
  CHECK(fx.Delete("orders", acl::kAny).filter_results[0].error_code ==
        disabled);
  CHECK(fx.security.changes.empty());
}

TEST_CASE("acl: the ACL APIs are advertised only with a security port") {
  for (bool with : {true, false}) {
    Fixture fx("admin", with);
    auto versions = fx.Send<ApiVersionsResponse>(18, 2, ApiVersionsRequest{});
    int found = 0;
    for (const auto& k : versions.api_keys) {
      if (k.api_key >= 29 && k.api_key <= 31) {
        ++found;
        CHECK(k.min_version == 1);
        CHECK(k.max_version == 3);
      }
    }
    CHECK(found == (with ? 3 : 0));
  }
}

}  // namespace
}  // namespace kop::core
