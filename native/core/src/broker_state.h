// Broker-wide facts the handlers answer with, parsed once from the Config the
// shim passes (broker.conf keys plus the values only the shim knows).
#ifndef KOP_CORE_BROKER_STATE_H_
#define KOP_CORE_BROKER_STATE_H_

#include <cstdint>
#include <string>

#include "groups/coordinator.h"
#include "kop/core/broker.h"

namespace kop::core {

struct BrokerState {
  int32_t node_id = 0;
  std::string advertised_host = "127.0.0.1";
  int32_t advertised_port = 9092;
  std::string cluster_id = "kop-native";
  std::string kafka_tenant = "public";
  std::string kafka_namespace = "default";
  std::string entry_format = "pulsar";
  std::string metadata_tenant = "public";
  std::string metadata_namespace = "__kafka";
  // KoP's kafkaEnableMultiTenantMetadata: each tenant's groups in its own
  // persistent://<tenant>/<metadata_namespace>/__consumer_offsets
  // (groups/coordinator_set.h).
  bool multi_tenant_metadata = true;
  // The kafkaMetadataTenant coordinator's config; another tenant's differs
  // only in offsets_topic.
  groups::GroupConfig groups;
  // Kafka's connections.max.reauth.ms (KIP-368), as broker.conf's
  // connectionsMaxReauthMs: caps the session lifetime SaslAuthenticate
  // answers; 0: no cap (the credential's own expiry only).
  int64_t connections_max_reauth_ms = 0;
  // Pulsar authorization (topic_access.h): the role a client without one
  // acts as (Pulsar's anonymousUserRole; empty: such a client is refused),
  // and how long and how many answers a connection keeps
  // (kopAuthorizationCacheRefreshMs, <= 0: none;
  // kopAuthorizationCacheMaxCountPerConnection).
  std::string anonymous_role;
  int64_t authz_cache_ms = 30000;
  size_t authz_cache_max = 100;

  static BrokerState FromConfig(const Config& config);
};

}  // namespace kop::core

#endif  // KOP_CORE_BROKER_STATE_H_
