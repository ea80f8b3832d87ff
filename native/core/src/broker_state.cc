#include "broker_state.h"

#include <charconv>

#include "kop/core/log.h"

namespace kop::core {
namespace {

void ReadString(const Config& c, const char* key, std::string& out) {
  auto it = c.find(key);
  if (it != c.end() && !it->second.empty()) out = it->second;
}

void ReadInt(const Config& c, const char* key, int32_t& out) {
  auto it = c.find(key);
  if (it == c.end()) return;
  const std::string& s = it->second;
  int32_t v = 0;
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
  return s;
}

}  // namespace kop::core
