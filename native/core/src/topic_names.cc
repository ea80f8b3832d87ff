#include "topic_names.h"

#include <vector>

namespace kop::core {
namespace {

using protocol::ErrorCode;

constexpr std::string_view kPersistent = "persistent://";
constexpr std::string_view kNonPersistent = "non-persistent://";
constexpr std::string_view kReservedPrefix = "__";
constexpr std::string_view kPartitionInfix = "-partition-";
// Kafka's bound (Topic.MAX_NAME_LENGTH: a partition's directory name must
// fit a 255-byte file name).
constexpr size_t kMaxNameLength = 249;

// The "/"-separated segments after "persistent://".
std::vector<std::string_view> Segments(std::string_view full_name) {
  std::string_view rest = full_name.substr(kPersistent.size());
  std::vector<std::string_view> out;
  while (true) {
    const size_t slash = rest.find('/');
    out.push_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) return out;
    rest.remove_prefix(slash + 1);
  }
}

// The namespace segment of "persistent://tenant/namespace/" ("" if the
// prefix has no such shape).
std::string_view NamespaceOf(std::string_view prefix) {
  if (!prefix.starts_with(kPersistent)) return {};
  const std::vector<std::string_view> s = Segments(prefix);
  return s.size() >= 2 ? s[1] : std::string_view();
}

// A Pulsar partition of a partitioned topic ("orders-partition-3"), as
// TopicName.getPartitionIndex reads one: clients name the partitioned topic
// and a partition number, never a partition topic.
bool IsPartitionTopic(std::string_view local) {
  if (local.find(kPartitionInfix) == std::string_view::npos) return false;
  const std::string_view index = local.substr(local.rfind('-') + 1);
  if (index.empty()) return false;
  for (char c : index) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool IsMetadataNamespace(const BrokerState& broker, std::string_view ns) {
  return !broker.metadata_namespace.empty() && ns == broker.metadata_namespace;
}

// A full name: refused (TOPIC_AUTHORIZATION_FAILED) when it names Pulsar's
// or the broker's own topics, whatever its shape; then its shape.
ErrorCode CheckFullName(const BrokerState& broker, std::string_view name,
                        ErrorCode illegal_name_error) {
  const std::vector<std::string_view> s = Segments(name);
  // Every tenant's metadata namespace: the group coordinator keeps each
  // tenant's __consumer_offsets there
  // (persistent://<tenant>/<kafkaMetadataNamespace>/__consumer_offsets).
  if (s.size() >= 2 && IsMetadataNamespace(broker, s[1])) {
    return ErrorCode::TOPIC_AUTHORIZATION_FAILED;
  }
  if (s.back().starts_with(kReservedPrefix)) {
    return ErrorCode::TOPIC_AUTHORIZATION_FAILED;
  }
  // Kafka's 249 bounds the whole name: it is the topic's name as the client
  // sends it and gets it back in every response, and as the coordinator
  // keeps it in offset keys, so no full name is longer than a short name
  // could be. (Bounding the local part only would let a name of ~750 bytes
  // through, which no Kafka client expects a topic name to be.)
  if (s.size() != 3 || name.size() > kMaxNameLength ||
      !IsPulsarEntityName(s[0]) || !IsPulsarEntityName(s[1]) ||
      !IsLegalTopicName(s[2]) || IsPartitionTopic(s[2])) {
    return illegal_name_error;
  }
  return ErrorCode::NONE;
}

}  // namespace

bool IsPulsarEntityName(std::string_view name) {
  if (name.empty() || name == "." || name == "..") return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '_' || c == '-' ||
                    c == '=' || c == ':' || c == '.';
    if (!ok) return false;
  }
  return true;
}

bool IsLegalTopicName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength || name == "." ||
      name == "..") {
    return false;
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool IsFullTopicName(std::string_view name) {
  return name.starts_with(kPersistent);
}

ErrorCode CheckClientTopic(const BrokerState& broker, std::string_view name,
                           ErrorCode illegal_name_error,
                           std::string_view own_prefix) {
  // Non-persistent topics have no log to serve.
  if (name.starts_with(kNonPersistent)) {
    return ErrorCode::TOPIC_AUTHORIZATION_FAILED;
  }
  if (IsFullTopicName(name)) {
    return CheckFullName(broker, name, illegal_name_error);
  }
  // A short name is in the connection's namespace, which may itself be a
  // metadata namespace (a SASL user named "tenant/__kafka").
  const std::string_view ns = NamespaceOf(
      own_prefix.empty() ? std::string_view(broker.groups.topic_prefix)
                         : own_prefix);
  if (IsMetadataNamespace(broker, ns)) {
    return ErrorCode::TOPIC_AUTHORIZATION_FAILED;
  }
  // Pulsar reserves "__" for system topics (SystemTopicNames:
  // __change_events, __transaction_buffer_snapshot, ...), and Kafka's
  // internal topics (__consumer_offsets, __transaction_state) have it too.
  if (name.starts_with(kReservedPrefix)) {
    return ErrorCode::TOPIC_AUTHORIZATION_FAILED;
  }
  if (!IsLegalTopicName(name)) return illegal_name_error;
  return ErrorCode::NONE;
}

std::optional<std::string> RefusalMessage(ErrorCode refused,
                                          std::string_view name) {
  if (refused == ErrorCode::NONE) return std::nullopt;
  if (refused != ErrorCode::TOPIC_AUTHORIZATION_FAILED) {
    if (!IsFullTopicName(name)) return std::nullopt;
    return "a full topic name is persistent://<tenant>/<namespace>/<topic>, "
           "at most 249 characters, <topic> of [a-zA-Z0-9._-] and not a "
           "partition (-partition-N)";
  }
  return "internal, system and non-persistent topics cannot be used through "
         "the Kafka listener";
}

TopicNameMapping::TopicNameMapping(const BrokerState& broker,
                                   std::string_view own_prefix)
    : kafka_prefix_(broker.groups.topic_prefix),
      own_prefix_(own_prefix.empty() ? broker.groups.topic_prefix
                                     : std::string(own_prefix)) {}

std::string TopicNameMapping::Full(std::string_view client_name) const {
  if (IsFullTopicName(client_name)) return std::string(client_name);
  return own_prefix_ + std::string(client_name);
}

std::string TopicNameMapping::Resolve(std::string_view client_name) const {
  const std::string full = Full(client_name);
  if (full.starts_with(kafka_prefix_)) return full.substr(kafka_prefix_.size());
  return full;
}

std::string TopicNameMapping::ClientName(std::string_view resolved) const {
  const std::string full = IsFullTopicName(resolved)
                               ? std::string(resolved)
                               : kafka_prefix_ + std::string(resolved);
  if (full.starts_with(own_prefix_)) return full.substr(own_prefix_.size());
  return full;
}

}  // namespace kop::core
