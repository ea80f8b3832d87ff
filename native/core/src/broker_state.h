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
  groups::GroupConfig groups;

  static BrokerState FromConfig(const Config& config);
};

}  // namespace kop::core

#endif  // KOP_CORE_BROKER_STATE_H_
