// Placeholder core: answers nothing yet and closes every connection. Replaced
// by the real dispatcher once the generated codec lands.
#include "kop/core/broker.h"

namespace kop::core {
namespace {

class ClosingConnection : public Connection {
 public:
  explicit ClosingConnection(ResponseSink* sink) : sink_(sink) {}
  void OnFrame(std::span<const uint8_t>) override { sink_->Close(); }

 private:
  ResponseSink* sink_;
};

class BrokerImpl : public Broker {
 public:
  std::unique_ptr<Connection> Accept(ResponseSink* sink) override {
    return std::make_unique<ClosingConnection>(sink);
  }
};

}  // namespace

std::unique_ptr<Broker> Broker::Create(const Config&) {
  return std::make_unique<BrokerImpl>();
}

}  // namespace kop::core
