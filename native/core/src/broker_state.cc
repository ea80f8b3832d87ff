#include "broker_state.h"

#include <charconv>

#include "kop/core/log.h"

namespace kop::core {
namespace {

void ReadString(const Config& c, const char* key, std::string& out) {
  auto it = c.find(key);
  if (it != c.end() && !it->second.empty()) out = it->second;
}

template <typename Int>
void ReadInt(const Config& c, const char* key, Int& out) {
  auto it = c.find(key);
  if (it == c.end()) return;
  const std::string& s = it->second;
  Int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) {
    Log(LogLevel::kWarn, std::string("ignoring non-integer ") + key + "=" + s);
    return;
  }
  out = v;
}

}  // namespace

BrokerState BrokerState::FromConfig(const Config& c) {
  BrokerState s;
  ReadInt(c, "kop.node.id", s.node_id);
  ReadString(c, "kop.advertised.host", s.advertised_host);
  ReadInt(c, "kop.advertised.port", s.advertised_port);
  ReadString(c, "kop.cluster.id", s.cluster_id);
  ReadString(c, "kafkaTenant", s.kafka_tenant);
  ReadString(c, "kafkaNamespace", s.kafka_namespace);
  ReadString(c, "entryFormat", s.entry_format);
  ReadString(c, "kafkaMetadataTenant", s.metadata_tenant);
  ReadString(c, "kafkaMetadataNamespace", s.metadata_namespace);
  ReadInt(c, "connectionsMaxReauthMs", s.connections_max_reauth_ms);
  if (s.connections_max_reauth_ms < 0) s.connections_max_reauth_ms = 0;

  ReadString(c, "anonymousUserRole", s.anonymous_role);
  ReadInt(c, "kopAuthorizationCacheRefreshMs", s.authz_cache_ms);
  ReadInt(c, "kopAuthorizationCacheMaxCountPerConnection", s.authz_cache_max);

  groups::GroupConfig& g = s.groups;
  ReadInt(c, "offsetsTopicNumPartitions", g.num_partitions);
  if (g.num_partitions < 1) g.num_partitions = 1;
  g.offsets_topic = "persistent://" + s.metadata_tenant + "/" +
                    s.metadata_namespace + "/__consumer_offsets";
  g.topic_prefix =
      "persistent://" + s.kafka_tenant + "/" + s.kafka_namespace + "/";
  ReadInt(c, "groupMinSessionTimeoutMs", g.min_session_timeout_ms);
  ReadInt(c, "groupMaxSessionTimeoutMs", g.max_session_timeout_ms);
  ReadInt(c, "groupInitialRebalanceDelayMs", g.initial_rebalance_delay_ms);
  ReadInt(c, "groupMaxSize", g.max_size);
  int64_t retention_minutes = g.offsets_retention_ms / 60000;
  ReadInt(c, "offsetsRetentionMinutes", retention_minutes);
  g.offsets_retention_ms = retention_minutes * 60000;
  ReadInt(c, "offsetsRetentionCheckIntervalMs", g.retention_check_interval_ms);
  ReadInt(c, "offsetMetadataMaxSize", g.offset_metadata_max_bytes);
  if (auto it = c.find("kafkaEnableMultiTenantMetadata"); it != c.end()) {
    s.multi_tenant_metadata = it->second != "false";
  }
  auto mirror = c.find("kafkaGroupSubscriptionMirror");
  if (mirror != c.end()) g.subscription_mirror = mirror->second != "false";
  return s;
}

}  // namespace kop::core
