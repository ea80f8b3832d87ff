// One Kafka connection: request frames in, response frames out, in request
// order. Touched only from the connection's event loop.
#ifndef KOP_CORE_CONNECTION_H_
#define KOP_CORE_CONNECTION_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "broker_state.h"
#include "fetch_sessions.h"
#include "groups/coordinator_set.h"
#include "kop/core/broker.h"
#include "kop/protocol/message.h"
#include "producer_state.h"
#include "scram_cache.h"
#include "session.h"

namespace kop::core {

struct Handler;

class KafkaConnection : public Connection {
 public:
  KafkaConnection(const BrokerState& broker, ResponseSink* sink,
                  TopicPort* topics, LogPort* log,
                  ProducerStateTable* producers,
                  groups::CoordinatorSet* groups = nullptr,
                  SecurityPort* security = nullptr,
                  ListenerSecurity listener = {},
                  ScramCredentialCache* scram_cache = nullptr);
  ~KafkaConnection() override;

  void OnFrame(std::span<const uint8_t> frame) override;
  void SetClientHost(std::string host) override {
    client_host_ = std::move(host);
  }

 private:
  // A request awaiting its turn to be answered. Kafka answers in request
  // order, and Java's client rejects anything else.
  struct Slot {
    int16_t api_key;
    int16_t api_version;
    int32_t correlation_id;
    int16_t header_version;
    bool done = false;
    bool no_response = false;
    std::vector<uint8_t> frame;  // the encoded response, once done
    // A bare SASL token frame after SaslHandshake v0: answered by a bare
    // frame (the server token), or by closing on failure.
    bool raw_sasl = false;
    // Close the connection once this response is sent (a refused SASL
    // step); after a failed authentication, with the shim's delay.
    enum class CloseAfter {
      kNo,
      kClose,
      kCloseFailedAuth
    } close_after = CloseAfter::kNo;
  };
  static Slot NewSlot(int16_t api_key, int16_t api_version,
                      int32_t correlation_id, int16_t header_version) {
    Slot slot;
    slot.api_key = api_key;
    slot.api_version = api_version;
    slot.correlation_id = correlation_id;
    slot.header_version = header_version;
    return slot;
  }
  // Shared with outstanding replies, which may outlive the connection.
  struct State {
    const BrokerState* broker;
    ResponseSink* sink;
    bool closed = false;
    uint64_t next_slot = 0;  // id of the slot after the back of `slots`
    std::deque<Slot> slots;  // front has id next_slot - slots.size()
    // Guards `sink` against other threads' Post once the connection is
    // destroyed (the sink goes with it).
    std::mutex post_mu;
    bool post_closed = false;
    FetchSessions fetch_sessions;
    Session session{ListenerSecurity{}};
  };
  static void Post(const std::weak_ptr<State>& weak,
                   std::function<void()> task);

  static void Reject(State& s, const std::string& why);
  // Why a request may not be served on this connection's SASL state, or
  // empty (Kafka's SaslServerAuthenticator and KafkaChannel rules).
  std::string SaslGate(int16_t api_key) const;
  // The bare token frame that follows SaslHandshake v0.
  void OnRawSaslToken(std::span<const uint8_t> frame);
  // Hands the decoded request to its handler; its response goes to `slot`.
  void Serve(const Handler& handler, Slot slot,
             std::optional<std::string> client_id,
             const protocol::Message& request);
  // The group coordinator of the session's tenant (groups/coordinator_set.h);
  // nullptr without groups or past the set's tenant cap.
  groups::GroupCoordinator* TenantGroups(const Session& session);
  static void Complete(State& s, uint64_t id,
                       std::unique_ptr<protocol::Message> body);
  static void Flush(State& s);

  std::shared_ptr<State> state_;
  TopicPort* topics_;
  LogPort* log_;
  ProducerStateTable* producers_;
  groups::CoordinatorSet* groups_;  // a coordinator per tenant
  groups::GroupCoordinator* tenant_groups_ = nullptr;
  std::string tenant_groups_prefix_;  // the topic_prefix it was found for
  SecurityPort* security_;
  ScramCredentialCache* scram_cache_;  // the broker's; nullptr: none
  std::string client_host_ = "/unknown";
};

}  // namespace kop::core

#endif  // KOP_CORE_CONNECTION_H_
