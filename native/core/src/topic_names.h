// The topic names a Kafka client may send, and the one name each topic has
// inside the broker (steps 1-3 of topic_access.h). Pure functions of the
// broker's configuration and the connection's namespace: no port, no state.
//
// A client names a topic in one of two ways:
//  - a short name, Kafka's own ("orders"): a topic of the connection's
//    namespace (Session::topic_prefix, from the SASL user name) or, without
//    one, of the broker's kafkaTenant/kafkaNamespace;
//  - a full Pulsar name, persistent://<tenant>/<namespace>/<local>, for a
//    topic of any namespace, as KoP accepted it. Pulsar authorization then
//    decides whether the role may use it (issue 11).
#ifndef KOP_CORE_TOPIC_NAMES_H_
#define KOP_CORE_TOPIC_NAMES_H_

#include <optional>
#include <string>
#include <string_view>

#include "broker_state.h"
#include "kop/protocol/errors.h"

namespace kop::core {

// Kafka's topic-name rule (Topic.validate): 1-249 of [a-zA-Z0-9._-], not "."
// or "..". Full Pulsar names (persistent://...) fail it.
bool IsLegalTopicName(std::string_view name);

// Pulsar's rule for a tenant or namespace name (NamedEntity.checkName:
// [-=:.\w]*), non-empty and never "." or "..", which would be a path step
// in the admin REST calls the shim makes with the name. Also the rule for
// the tenant and namespace of a SASL PLAIN user name (sasl/mechanisms.cc).
bool IsPulsarEntityName(std::string_view name);

// Whether the client named the topic by its full Pulsar name.
bool IsFullTopicName(std::string_view name);

// Steps 1 and 2 of topic_access.h for one name: NONE, or
//  - TOPIC_AUTHORIZATION_FAILED for a topic that belongs to Pulsar or to
//    this broker (checked first, as Kafka checks authorization before
//    existence): non-persistent://; a local part starting with "__"; any
//    tenant's metadata namespace (kafkaMetadataNamespace), in a full name,
//    or as the namespace short names resolve in;
//  - `illegal_name_error`, the code the calling API answers for a name it
//    cannot use (Produce, Metadata and CreateTopics answer
//    INVALID_TOPIC_EXCEPTION, the others UNKNOWN_TOPIC_OR_PARTITION): a
//    short name Kafka's rule refuses, or a malformed full name.
// `own_prefix` is the connection's namespace for short names
// ("persistent://tenant/namespace/"; empty: the broker's Kafka namespace).
protocol::ErrorCode CheckClientTopic(const BrokerState& broker,
                                     std::string_view name,
                                     protocol::ErrorCode illegal_name_error,
                                     std::string_view own_prefix = {});

// Why CheckClientTopic refused `name`, for responses with an error_message:
// set for TOPIC_AUTHORIZATION_FAILED and for a malformed full name, empty
// otherwise (the caller's own code and message).
std::optional<std::string> RefusalMessage(protocol::ErrorCode refused,
                                          std::string_view name = {});

// How the names of one connection map (`own_prefix` as above). For names
// CheckClientTopic passed.
class TopicNameMapping {
 public:
  TopicNameMapping(const BrokerState& broker, std::string_view own_prefix);

  // The full Pulsar name, as authorization sees it: a full name as is, a
  // short one in the connection's namespace.
  std::string Full(std::string_view client_name) const;
  // The one name the ports and the group coordinator know the topic by,
  // whichever way the client named it: the local name for a topic of the
  // broker's Kafka namespace (the shim's TopicNames.toKafka and the
  // coordinator's offset keys use that form), else the full name. So
  // "orders" and "persistent://public/default/orders" are one topic with
  // one set of committed offsets.
  std::string Resolve(std::string_view client_name) const;
  // The inverse of Resolve for this connection: the short name for a topic
  // of the connection's namespace, else the full name.
  std::string ClientName(std::string_view resolved) const;
  // The connection's namespace, "persistent://tenant/namespace/".
  const std::string& OwnPrefix() const { return own_prefix_; }

 private:
  std::string kafka_prefix_;  // the broker's kafkaTenant/kafkaNamespace
  std::string own_prefix_;
};

}  // namespace kop::core

#endif  // KOP_CORE_TOPIC_NAMES_H_
