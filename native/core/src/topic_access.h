// The one door every topic name a Kafka client sends goes through, in every
// API, before any port call for that name. Kafka's own name rule applies,
// and topics that belong to Pulsar or to this broker are out of reach:
//   - the metadata namespace (kafkaMetadataTenant/kafkaMetadataNamespace,
//     where the group coordinator keeps __consumer_offsets): the
//     coordinator writes it through the LogPort itself, never on a client's
//     say-so;
//   - names whose local part starts with "__": Pulsar reserves them for
//     system topics (SystemTopicNames: __change_events,
//     __transaction_buffer_snapshot, __transaction_pending_ack, ...), and
//     Kafka's internal topics (__consumer_offsets, __transaction_state) have
//     the same prefix;
//   - non-persistent:// topics, which have no log to serve.
// These answer TOPIC_AUTHORIZATION_FAILED, Kafka's code for a topic the
// client may not touch: non-retriable, so clients fail fast rather than
// loop. Pulsar authorization (a role's produce, consume or lookup
// permission, issue 11) is to be added here too, so that no handler can
// forget it.
#ifndef KOP_CORE_TOPIC_ACCESS_H_
#define KOP_CORE_TOPIC_ACCESS_H_

#include <optional>
#include <string>
#include <string_view>

#include "broker_state.h"
#include "kop/protocol/errors.h"

namespace kop::core {

// Kafka's topic-name rule (Topic.validate): 1-249 of [a-zA-Z0-9._-], not "."
// or "..". Full Pulsar names (persistent://...) fail it.
bool IsLegalTopicName(std::string_view name);

// Whether a client may name `name`: NONE; TOPIC_AUTHORIZATION_FAILED for an
// internal, system or non-persistent topic (checked first, as Kafka checks
// authorization before existence); otherwise `illegal_name_error`, the code
// the calling API answers for a name Kafka's rule refuses (Produce and
// CreateTopics answer INVALID_TOPIC_EXCEPTION, the others a topic that does
// not exist, UNKNOWN_TOPIC_OR_PARTITION).
protocol::ErrorCode CheckClientTopic(const BrokerState& broker,
                                     std::string_view name,
                                     protocol::ErrorCode illegal_name_error);

// Why CheckClientTopic refused, for responses with an error_message: set
// for TOPIC_AUTHORIZATION_FAILED, empty for other codes (the caller's own).
std::optional<std::string> RefusalMessage(protocol::ErrorCode refused);

}  // namespace kop::core

#endif  // KOP_CORE_TOPIC_ACCESS_H_
