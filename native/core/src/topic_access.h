// The one door every topic name a Kafka client sends goes through, in every
// API, before any port call for that name. In this order:
//  1. Topics that belong to Pulsar or to this broker are out of reach
//     (TOPIC_AUTHORIZATION_FAILED, Kafka's code for a topic the client may
//     not touch: non-retriable, so clients fail fast rather than loop):
//     - every tenant's metadata namespace (kafkaMetadataNamespace, where the
//       group coordinator keeps __consumer_offsets): the coordinator writes
//       it through the LogPort itself, never on a client's say-so;
//     - names whose local part starts with "__": Pulsar reserves them for
//       system topics (SystemTopicNames: __change_events,
//       __transaction_buffer_snapshot, ...), and Kafka's internal topics
//       (__consumer_offsets, __transaction_state) have the same prefix;
//     - non-persistent:// topics, which have no log to serve.
//  2. The name's shape (the calling API's code for an illegal name): Kafka's
//     rule for a short name; for a full persistent://tenant/namespace/local
//     name, three non-empty segments, a local part Kafka's rule accepts and
//     that is no Pulsar partition (-partition-N), 249 characters in all.
//  3. The namespace mapping (topic_names.h): a short name resolves in the
//     connection's namespace (Session::topic_prefix, from the SASL user
//     name) or, without one, the broker's kafkaTenant/kafkaNamespace; a full
//     name names its own. The ports and the group coordinator get the
//     resolved name; responses carry the client's.
//  4. Pulsar authorization, when the broker has it on: the connection's role
//     (or Pulsar's anonymousUserRole for a client with none) must hold the
//     API's permission on the full topic name (issue 11), whichever way the
//     client named it: a full name of another namespace is served exactly
//     when the role may use it there, as on Pulsar's binary protocol. One
//     asynchronous AuthorizationService check per distinct (topic, action)
//     of a request; the answers are cached per connection (authz_cache.h).
#ifndef KOP_CORE_TOPIC_ACCESS_H_
#define KOP_CORE_TOPIC_ACCESS_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker_state.h"
#include "kop/core/broker.h"
#include "kop/protocol/errors.h"
#include "session.h"
#include "topic_names.h"

namespace kop::core {

struct RequestContext;  // handlers/handler.h

// What became of one name a client sent.
struct TopicDecision {
  protocol::ErrorCode error = protocol::ErrorCode::NONE;
  // For responses with an error_message: why it was refused (set for
  // TOPIC_AUTHORIZATION_FAILED and a malformed full name, RefusalMessage).
  std::optional<std::string> message;
  // The name the ports and the group coordinator get (NONE only):
  // TopicNameMapping::Resolve, the local name for a topic of the broker's
  // Kafka namespace (the shim maps it into kafkaTenant/kafkaNamespace), else
  // the full name.
  std::string resolved;
};
// By the client's name.
using TopicDecisions = std::map<std::string, TopicDecision, std::less<>>;

// The names of one request, and what they are used for.
struct TopicQuery {
  std::vector<std::string> names;  // as the client sent them; repeats are fine
  TopicAction action = TopicAction::kLookup;
  protocol::ErrorCode illegal_name_error =
      protocol::ErrorCode::UNKNOWN_TOPIC_OR_PARTITION;
  // kConsume for a group's offsets: the group id (Pulsar's subscription
  // permission); empty otherwise.
  std::string subscription;
};

// The door, for one request. Cheap: holds pointers into the context.
class Access {
 public:
  explicit Access(const RequestContext& ctx);

  // Whether Decide can answer `q` without asking Pulsar (authorization off,
  // or every answer cached).
  bool Ready(const TopicQuery& q) const;
  // Requires Ready(q).
  TopicDecisions Decide(const TopicQuery& q) const;
  // Asks Pulsar about the (topic, action)s missing from the cache, one call
  // each, then calls `done` once on the connection's event loop: at once
  // when Ready(q).
  void Check(TopicQuery q, std::function<void(TopicDecisions)> done) const;

  // Group APIs that name no topic (FindCoordinator, JoinGroup, SyncGroup,
  // Heartbeat, LeaveGroup, DescribeGroups, ListGroups, DeleteGroups): NONE,
  // or GROUP_AUTHORIZATION_FAILED when authorization is on and the client
  // has no role (no SASL role, no TLS role, no anonymousUserRole).
  protocol::ErrorCode CheckGroup() const;

  // The client's name for a resolved name a port or the coordinator hands
  // back: short in the connection's namespace, else full.
  std::string ClientName(std::string_view resolved) const;
  // The full Pulsar name of a client's name, as authorization sees it.
  std::string FullName(std::string_view client_name) const;
  // This connection's name mapping.
  TopicNameMapping Names() const;

  // The role requests act as: the session's, else anonymousUserRole.
  const std::string& Role() const;

 private:
  bool Authorizing() const;

  const BrokerState* broker_;
  Session* session_;
  SecurityPort* security_;
};

}  // namespace kop::core

#endif  // KOP_CORE_TOPIC_ACCESS_H_
