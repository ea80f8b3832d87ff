#include "connection.h"

#include "handlers/handler.h"
#include "kop/core/log.h"
#include "kop/protocol/api.h"
#include "kop/protocol/messages/request_header.h"
#include "kop/protocol/messages/response_header.h"

namespace kop::core {

using protocol::Reader;
using protocol::Writer;

namespace {
constexpr int16_t kApiVersionsKey = 18;
// Smallest request header: api_key, api_version, correlation_id.
constexpr size_t kMinHeaderBytes = 8;
}  // namespace

void KafkaConnection::Reject(const std::string& why) {
  Log(LogLevel::kWarn, "closing Kafka connection: " + why);
  closed_ = true;
  sink_->Close();
}

void KafkaConnection::OnFrame(std::span<const uint8_t> frame) {
  if (closed_) return;
  if (frame.size() < kMinHeaderBytes) {
    Reject("request frame of " + std::to_string(frame.size()) +
           " bytes is shorter than a request header");
    return;
  }
  Reader peek(frame);
  const int16_t api_key = peek.ReadInt16();
  const int16_t api_version = peek.ReadInt16();
  const int32_t correlation_id = peek.ReadInt32();

  const Handler* handler = FindHandler(api_key);
  if (handler == nullptr) {
    const protocol::ApiSpec* spec = protocol::FindApi(api_key);
    Reject("unsupported API key " + std::to_string(api_key) +
           (spec ? std::string(" (") + spec->name + ")" : std::string()) +
           " version " + std::to_string(api_version));
    return;
  }
  if (api_version < handler->min_version ||
      api_version > handler->max_version) {
    if (api_key == kApiVersionsKey && api_version > handler->max_version) {
      // KIP-511: answer a newer ApiVersions in v0 layout so the client can
      // retry with a version we speak; its body is not parsed.
      SendResponse(api_key, 0, correlation_id, 0,
                   *UnsupportedApiVersionsResponse());
      return;
    }
    Reject("unsupported version " + std::to_string(api_version) +
           " of API key " + std::to_string(api_key));
    return;
  }

  Reader r(frame);
  protocol::RequestHeader header;
  header.Decode(r, protocol::RequestHeaderVersion(api_key, api_version));
  std::unique_ptr<protocol::Message> request = protocol::NewRequest(api_key);
  if (r.ok()) request->Decode(r, api_version);
  if (!r.ok()) {
    Reject("malformed " + std::string(request->type_name()) + " v" +
           std::to_string(api_version) + " (correlation id " +
           std::to_string(correlation_id) + "): " + r.error().what +
           " at byte " + std::to_string(r.error().offset));
    return;
  }

  RequestContext ctx{api_key, api_version, correlation_id, header.client_id,
                     broker_};
  std::unique_ptr<protocol::Message> response = handler->handle(ctx, *request);
  if (response == nullptr) return;
  SendResponse(api_key, api_version, correlation_id,
               protocol::ResponseHeaderVersion(api_key, api_version),
               *response);
}

void KafkaConnection::SendResponse(int16_t api_key, int16_t api_version,
                                   int32_t correlation_id,
                                   int16_t header_version,
                                   const protocol::Message& body) {
  protocol::ResponseHeader header;
  header.correlation_id = correlation_id;
  const size_t size = header.Size(header_version) + body.Size(api_version);
  out_.clear();
  out_.reserve(4 + size);
  Writer w(out_);
  w.WriteInt32(static_cast<int32_t>(size));
  absl::Status st = header.Encode(w, header_version);
  if (st.ok()) st = body.Encode(w, api_version);
  if (!st.ok()) {
    // Our own response does not fit its version: a bug, not client input.
    Reject("cannot encode response to API key " + std::to_string(api_key) +
           " v" + std::to_string(api_version) + ": " + st.ToString());
    return;
  }
  sink_->Send(out_);
}

}  // namespace kop::core
