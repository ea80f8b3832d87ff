// Kafka ACLs (DescribeAcls, CreateAcls, DeleteAcls) mapped onto Pulsar's
// permissions (SecurityPort's Permission), both ways. Pulsar keeps
// permissions per namespace (namespace_auth), per topic (destination_auth)
// and per subscription (subscription_auth_roles); all of them allow, none
// denies, none names a host or a prefix. So, exactly:
//   TOPIC, LITERAL "<topic>", WRITE / READ -> the topic's produce / consume
//   TOPIC, LITERAL "*",       WRITE / READ -> the namespace's produce / consume
//   TOPIC, ALL                              -> produce and consume
//   GROUP, LITERAL "<group>", READ          -> the role on the subscription
// with principal "User:<role>", host "*" and permission ALLOW. Everything
// else is refused with INVALID_REQUEST and a message saying why (docs/
// security.md, "ACLs"). Names resolve in the connection's namespace, as
// short topic names do (topic_access.h).
#ifndef KOP_CORE_HANDLERS_ACL_MAPPING_H_
#define KOP_CORE_HANDLERS_ACL_MAPPING_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker_state.h"
#include "kop/core/broker.h"
#include "kop/protocol/errors.h"

namespace kop::core {

struct RequestContext;  // handlers/handler.h

namespace acl {

// Kafka's enum values as they cross the wire
// (org.apache.kafka.common.resource.ResourceType / PatternType,
// org.apache.kafka.common.acl.AclOperation / AclPermissionType).
inline constexpr int8_t kAny = 1;  // the ANY of every one of them
inline constexpr int8_t kTopic = 2, kGroup = 3, kMaxResourceType = 7;
inline constexpr int8_t kMatch = 2, kLiteral = 3, kPrefixed = 4;
inline constexpr int8_t kAll = 2, kRead = 3, kWrite = 4, kMaxOperation = 14;
inline constexpr int8_t kDeny = 2, kAllow = 3;

// One Kafka ACL binding (a CreateAcls creation, a DescribeAcls entry).
struct Binding {
  int8_t resource_type = 0;
  std::string resource_name;
  int8_t pattern_type = kLiteral;
  std::string principal;
  std::string host = "*";
  int8_t operation = 0;
  int8_t permission_type = kAllow;
  bool operator==(const Binding&) const = default;
};

// A DescribeAcls or DeleteAcls filter; nullopt names match anything.
struct Filter {
  int8_t resource_type = kAny;
  std::optional<std::string> resource_name;
  int8_t pattern_type = kAny;
  std::optional<std::string> principal;
  std::optional<std::string> host;
  int8_t operation = kAny;
  int8_t permission_type = kAny;
};

// The namespace the connection's names resolve in.
struct Namespace {
  std::string name;          // "tenant/namespace"
  std::string topic_prefix;  // "persistent://tenant/namespace/"
};
Namespace ConnectionNamespace(const RequestContext& ctx);

// The Pulsar permission a creation grants, or why Pulsar cannot express it
// (INVALID_REQUEST).
struct Mapped {
  protocol::ErrorCode error = protocol::ErrorCode::NONE;
  std::string message;
  Permission permission;
};
Mapped ToPermission(const BrokerState& broker, const Namespace& ns,
                    const Binding& b);

// The Kafka bindings one Pulsar permission reads as (one per action).
std::vector<Binding> ToBindings(const Namespace& ns, const Permission& p);

// The filter of a DescribeAcls request or of a DeleteAcls filter entry (the
// same fields in both).
template <typename F>
Filter FilterOf(const F& f) {
  return Filter{f.resource_type_filter, f.resource_name_filter,
                f.pattern_type_filter,  f.principal_filter,
                f.host_filter,          f.operation,
                f.permission_type};
}

// Why a filter is not a valid one (Kafka's UNKNOWN values), or nullopt.
std::optional<std::string> InvalidFilter(const Filter& f);
bool Matches(const Filter& f, const Binding& b);

// The Pulsar action bit a binding stands for (0 for a group's READ).
uint32_t ActionOf(const Binding& b);

// Runs `count` port calls one after another: `call(i, next)` makes call i
// and runs `next` once it is answered; `finish` runs after the last. Grants
// and revocations of one request go one at a time, so each sees the
// previous one's result and a request cannot fan out into unbounded
// concurrent calls. Calls answered at once loop rather than recurse.
void Sequentially(size_t count,
                  std::function<void(size_t, std::function<void()>)> call,
                  std::function<void()> finish);

// Whether the ACL APIs can answer at all: SECURITY_DISABLED without Pulsar
// authorization (as Kafka without an authorizer),
// CLUSTER_AUTHORIZATION_FAILED for a client without a role; NONE otherwise.
// `why` says why.
protocol::ErrorCode Gate(const RequestContext& ctx, std::string* why);

}  // namespace acl
}  // namespace kop::core

#endif  // KOP_CORE_HANDLERS_ACL_MAPPING_H_
