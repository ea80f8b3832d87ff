#include "handlers/acl_mapping.h"

#include <string_view>

#include "handlers/handler.h"
#include "topic_access.h"

namespace kop::core::acl {
namespace {

using protocol::ErrorCode;

constexpr std::string_view kPersistent = "persistent://";
constexpr std::string_view kUser = "User:";

Mapped Refuse(std::string why) {
  return Mapped{ErrorCode::INVALID_REQUEST, std::move(why), {}};
}

// Kafka's ResourceType names, for messages.
const char* ResourceTypeName(int8_t t) {
  switch (t) {
    case 4:
      return "CLUSTER";
    case 5:
      return "TRANSACTIONAL_ID";
    case 6:
      return "DELEGATION_TOKEN";
    case 7:
      return "USER";
    default:
      return "unknown";
  }
}

// The topic (TopicAction) bits of a topic ACL's operation; 0: none.
uint32_t TopicBits(int8_t operation) {
  switch (operation) {
    case kAll:
      return Permission::kProduce | Permission::kConsume;
    case kRead:
      return Permission::kConsume;
    case kWrite:
      return Permission::kProduce;
    default:
      return 0;
  }
}

constexpr int8_t kDescribe = 8;

}  // namespace

Namespace ConnectionNamespace(const RequestContext& ctx) {
  Namespace ns;
  ns.topic_prefix = Access(ctx).FullName("");
  std::string_view rest = ns.topic_prefix;
  if (rest.starts_with(kPersistent)) rest.remove_prefix(kPersistent.size());
  if (rest.ends_with('/')) rest.remove_suffix(1);
  ns.name = std::string(rest);
  return ns;
}

Mapped ToPermission(const BrokerState& broker, const Namespace& ns,
                    const Binding& b) {
  if (b.permission_type == kDeny) {
    return Refuse("Pulsar permissions only allow: a DENY ACL cannot be kept");
  }
  if (b.permission_type != kAllow) return Refuse("unknown permission type");
  if (b.host != "*") {
    return Refuse("Pulsar permissions do not name hosts: use host \"*\"");
  }
  if (!std::string_view(b.principal).starts_with(kUser) ||
      b.principal.size() == kUser.size()) {
    return Refuse("the principal must be User:<Pulsar role>");
  }
  std::string role = b.principal.substr(kUser.size());
  if (role == "*") {
    return Refuse("Pulsar has no permission for every role (User:*)");
  }
  if (b.pattern_type == kPrefixed) {
    return Refuse(
        "Pulsar has no prefixed permissions: name one topic or group, or "
        "topic \"*\" for the whole namespace");
  }
  if (b.pattern_type != kLiteral) {
    return Refuse("the pattern type must be LITERAL");
  }
  if (b.resource_type == kTopic) {
    const uint32_t bits = TopicBits(b.operation);
    if (bits == 0) {
      return Refuse(
          b.operation == kDescribe
              ? "Pulsar has no separate lookup permission: WRITE (produce) "
                "or READ (consume) grants it"
              : "Pulsar topic permissions are READ (consume), WRITE "
                "(produce) or ALL (both)");
    }
    if (b.resource_name == "*") {
      return Mapped{ErrorCode::NONE,
                    {},
                    {Permission::Scope::kNamespace, "", std::move(role), bits}};
    }
    // A full name would be another namespace's topic: ACLs are kept in the
    // connection's namespace's permissions.
    if (IsFullTopicName(b.resource_name) ||
        CheckClientTopic(broker, b.resource_name,
                         ErrorCode::INVALID_TOPIC_EXCEPTION,
                         ns.topic_prefix) != ErrorCode::NONE) {
      return Refuse(
          "not a topic of this namespace: name it as Kafka clients do (no "
          "persistent:// prefix, no internal or system topic)");
    }
    return Mapped{ErrorCode::NONE,
                  {},
                  {Permission::Scope::kTopic, ns.topic_prefix + b.resource_name,
                   std::move(role), bits}};
  }
  if (b.resource_type == kGroup) {
    if (b.operation != kRead) {
      return Refuse(
          "Pulsar's subscription permission is READ only (the group id is "
          "the subscription)");
    }
    if (b.resource_name.empty() || b.resource_name == "*") {
      return Refuse("Pulsar has no permission for every subscription");
    }
    return Mapped{ErrorCode::NONE,
                  {},
                  {Permission::Scope::kSubscription, b.resource_name,
                   std::move(role), 0}};
  }
  return Refuse(std::string("Pulsar has no ") +
                ResourceTypeName(b.resource_type) +
                " permissions: only TOPIC and GROUP ACLs are kept");
}

std::vector<Binding> ToBindings(const Namespace& ns, const Permission& p) {
  std::vector<Binding> out;
  const std::string principal = std::string(kUser) + p.role;
  if (p.scope == Permission::Scope::kSubscription) {
    out.push_back({kGroup, p.name, kLiteral, principal, "*", kRead, kAllow});
    return out;
  }
  std::string name = "*";
  if (p.scope == Permission::Scope::kTopic) {
    name = std::string_view(p.name).starts_with(ns.topic_prefix)
               ? p.name.substr(ns.topic_prefix.size())
               : p.name;
  }
  if (p.actions & Permission::kConsume) {
    out.push_back({kTopic, name, kLiteral, principal, "*", kRead, kAllow});
  }
  if (p.actions & Permission::kProduce) {
    out.push_back({kTopic, name, kLiteral, principal, "*", kWrite, kAllow});
  }
  return out;
}

std::optional<std::string> InvalidFilter(const Filter& f) {
  if (f.resource_type < kAny || f.resource_type > kMaxResourceType) {
    return "unknown resource type";
  }
  if (f.pattern_type < kAny || f.pattern_type > kPrefixed) {
    return "unknown pattern type";
  }
  if (f.operation < kAny || f.operation > kMaxOperation) {
    return "unknown operation";
  }
  if (f.permission_type < kAny || f.permission_type > kAllow) {
    return "unknown permission type";
  }
  return std::nullopt;
}

bool Matches(const Filter& f, const Binding& b) {
  if (f.resource_type != kAny && f.resource_type != b.resource_type) {
    return false;
  }
  if (f.pattern_type == kPrefixed) return false;  // none are kept
  if (f.resource_name.has_value() && *f.resource_name != b.resource_name &&
      !(f.pattern_type == kMatch && b.resource_name == "*")) {
    return false;
  }
  if (f.principal.has_value() && *f.principal != b.principal) return false;
  if (f.host.has_value() && *f.host != b.host) return false;
  // ALL was granted as READ and WRITE, so it matches both.
  if (f.operation != kAny && f.operation != kAll &&
      f.operation != b.operation) {
    return false;
  }
  return f.permission_type == kAny || f.permission_type == b.permission_type;
}

uint32_t ActionOf(const Binding& b) {
  return b.resource_type == kTopic ? TopicBits(b.operation) : 0;
}

namespace {
struct Sequence {
  size_t count = 0;
  size_t next = 0;
  bool looping = false;
  bool answered = false;
  std::function<void(size_t, std::function<void()>)> call;
  std::function<void()> finish;
};

void Step(const std::shared_ptr<Sequence>& s) {
  s->looping = true;
  while (s->next < s->count) {
    s->answered = false;
    s->call(s->next, [s] {
      ++s->next;
      if (s->looping) {
        s->answered = true;  // answered at once: the loop goes on
      } else {
        Step(s);
      }
    });
    if (!s->answered) {
      s->looping = false;  // answered later, by the callback's Step
      return;
    }
  }
  s->looping = false;
  s->finish();
}
}  // namespace

void Sequentially(size_t count,
                  std::function<void(size_t, std::function<void()>)> call,
                  std::function<void()> finish) {
  auto s = std::make_shared<Sequence>();
  s->count = count;
  s->call = std::move(call);
  s->finish = std::move(finish);
  Step(s);
}

ErrorCode Gate(const RequestContext& ctx, std::string* why) {
  if (ctx.security == nullptr || !ctx.security->AuthorizationEnabled()) {
    *why = "Pulsar authorization is off (authorizationEnabled=false)";
    return ErrorCode::SECURITY_DISABLED;
  }
  if (Access(ctx).Role().empty()) {
    *why = "the client has no role and no anonymousUserRole is set";
    return ErrorCode::CLUSTER_AUTHORIZATION_FAILED;
  }
  return ErrorCode::NONE;
}

}  // namespace kop::core::acl
