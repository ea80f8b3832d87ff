// The native core's entry points, as seen by the JNI bridge.
//
// The core owns no threads and no sockets: the shim hands it complete request
// frames (without the 4-byte length prefix) on the connection's event loop and
// the core answers through a ResponseSink. A response may be sent later, from
// a completion (e.g. a produce ack), but always in request order.
#ifndef KOP_CORE_BROKER_H_
#define KOP_CORE_BROKER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>

namespace kop::core {

// Where a connection's responses go. Implemented by the JNI bridge.
class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  // `frame` includes the 4-byte big-endian length prefix. The bytes are only
  // valid during the call: the sink copies them.
  virtual void Send(std::span<const uint8_t> frame) = 0;
  // The core asks for the connection to be closed (Kafka closes on frames it
  // cannot parse). Responses already sent are flushed first.
  virtual void Close() = 0;
};

class Connection {
 public:
  virtual ~Connection() = default;
  // One complete request frame, without its length prefix. The bytes are
  // only valid during the call.
  virtual void OnFrame(std::span<const uint8_t> frame) = 0;
};

// Broker-wide settings, passed as broker.conf key/value pairs (KoP's key
// names) plus the values only the shim knows (e.g. "kop.node.id").
using Config = std::map<std::string, std::string>;

class Broker {
 public:
  virtual ~Broker() = default;
  static std::unique_ptr<Broker> Create(const Config& config);
  // `sink` outlives the returned connection.
  virtual std::unique_ptr<Connection> Accept(ResponseSink* sink) = 0;
};

}  // namespace kop::core

#endif  // KOP_CORE_BROKER_H_
