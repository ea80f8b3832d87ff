#include "kop/core/broker.h"

#include "broker_state.h"
#include "connection.h"
#include "groups/coordinator_set.h"
#include "kop/core/log.h"
#include "producer_state.h"
#include "scram_cache.h"

namespace kop::core {
namespace {

class KafkaBroker : public Broker {
 public:
  explicit KafkaBroker(BrokerState state)
      : state_(std::move(state)),
        producers_(state_.node_id),
        groups_(state_.groups, state_.metadata_tenant,
                state_.metadata_namespace, state_.multi_tenant_metadata,
                groups::SystemClock()) {}

  std::unique_ptr<Connection> Accept(ResponseSink* sink, TopicPort* topics,
                                     LogPort* log, SecurityPort* security,
                                     ListenerSecurity listener) override {
    return std::make_unique<KafkaConnection>(
        state_, sink, topics, log, &producers_, &groups_, security,
        std::move(listener), &scram_credentials_);
  }

  void Tick() override { groups_.Tick(); }
  void PartitionLeft(std::string_view topic, int32_t partition) override {
    producers_.Forget(topic, partition);
  }
  void OffsetsPartitionOwnership(std::string_view tenant, int32_t partition,
                                 bool owned) override {
    groups_.Ownership(tenant, partition, owned);
  }

 private:
  const BrokerState state_;
  ProducerStateTable producers_;            // shared by every connection
  groups::CoordinatorSet groups_;           // one coordinator per tenant
  ScramCredentialCache scram_credentials_;  // shared by every connection
};

}  // namespace

std::unique_ptr<Broker> Broker::Create(const Config& config) {
  BrokerState state = BrokerState::FromConfig(config);
  Log(LogLevel::kInfo, "Kafka core ready: node " +
                           std::to_string(state.node_id) + " advertised as " +
                           state.advertised_host + ":" +
                           std::to_string(state.advertised_port));
  return std::make_unique<KafkaBroker>(std::move(state));
}

}  // namespace kop::core
