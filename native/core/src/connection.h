// One Kafka connection: request frames in, response frames out, in request
// order. Touched only from the connection's event loop.
#ifndef KOP_CORE_CONNECTION_H_
#define KOP_CORE_CONNECTION_H_

#include <cstdint>
#include <vector>

#include "broker_state.h"
#include "kop/core/broker.h"
#include "kop/protocol/message.h"

namespace kop::core {

class KafkaConnection : public Connection {
 public:
  KafkaConnection(const BrokerState& broker, ResponseSink* sink)
      : broker_(broker), sink_(sink) {}

  void OnFrame(std::span<const uint8_t> frame) override;

 private:
  // Kafka closes a connection on a request it cannot parse or serve (no
  // error response exists for those); we log why first.
  void Reject(const std::string& why);
  void SendResponse(int16_t api_key, int16_t api_version,
                    int32_t correlation_id, int16_t header_version,
                    const protocol::Message& body);

  const BrokerState& broker_;
  ResponseSink* sink_;
  bool closed_ = false;
  std::vector<uint8_t> out_;  // reused for every response
};

}  // namespace kop::core

#endif  // KOP_CORE_CONNECTION_H_
