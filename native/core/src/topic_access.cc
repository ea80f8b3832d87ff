#include "topic_access.h"

namespace kop::core {
namespace {

using protocol::ErrorCode;

constexpr std::string_view kPersistent = "persistent://";
constexpr std::string_view kNonPersistent = "non-persistent://";
constexpr std::string_view kReservedPrefix = "__";

// "persistent://tenant/ns/" of a full topic name ("" if it has none).
std::string_view NamespacePrefix(std::string_view full_name) {
  const size_t slash = full_name.rfind('/');
  return slash == std::string_view::npos ? std::string_view()
                                         : full_name.substr(0, slash + 1);
}

bool IsInternal(const BrokerState& broker, std::string_view name) {
  if (name.starts_with(kNonPersistent)) return true;
  // The same mapping as the shim's TopicNames: a full name as is, a short
  // one in the Kafka namespace (topic_prefix).
  const std::string_view metadata_ns =
      NamespacePrefix(broker.groups.offsets_topic);
  const bool in_metadata_ns = name.starts_with(kPersistent)
                                  ? name.starts_with(metadata_ns)
                                  : broker.groups.topic_prefix == metadata_ns;
  if (!metadata_ns.empty() && in_metadata_ns) return true;
  const size_t slash = name.rfind('/');
  const std::string_view local =
      slash == std::string_view::npos ? name : name.substr(slash + 1);
  return local.starts_with(kReservedPrefix);
}

}  // namespace

bool IsLegalTopicName(std::string_view name) {
  if (name.empty() || name.size() > 249 || name == "." || name == "..") {
    return false;
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

ErrorCode CheckClientTopic(const BrokerState& broker, std::string_view name,
                           ErrorCode illegal_name_error) {
  if (IsInternal(broker, name)) return ErrorCode::TOPIC_AUTHORIZATION_FAILED;
  if (!IsLegalTopicName(name)) return illegal_name_error;
  return ErrorCode::NONE;
}

std::optional<std::string> RefusalMessage(ErrorCode refused) {
  if (refused != ErrorCode::TOPIC_AUTHORIZATION_FAILED) return std::nullopt;
  return "internal, system and non-persistent topics cannot be used through "
         "the Kafka listener";
}

}  // namespace kop::core
