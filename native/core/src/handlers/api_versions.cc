// ApiVersions (key 18): what we serve, per API, with exact version ranges.
#include "handlers/handler.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/api_versions_request.h"
#include "kop/protocol/messages/api_versions_response.h"

namespace kop::core {
namespace {

using protocol::ApiVersionsRequest;
using protocol::ApiVersionsResponse;
using protocol::ErrorCode;

constexpr int16_t kApiVersionsKey = 18;

// KIP-511: client software names and versions are
// [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?; Kafka answers INVALID_REQUEST
// otherwise.
bool ValidSoftwareField(const std::string& s) {
  if (s.empty()) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9');
  };
  if (!alnum(s.front()) || !alnum(s.back())) return false;
  for (char c : s) {
    if (!alnum(c) && c != '-' && c != '.') return false;
  }
  return true;
}

}  // namespace

void HandleApiVersions(const RequestContext& ctx,
                       const protocol::Message& message, Reply reply) {
  const auto& request = static_cast<const ApiVersionsRequest&>(message);
  auto response = std::make_unique<ApiVersionsResponse>();
  if (ctx.api_version >= 3 &&
      (!ValidSoftwareField(request.client_software_name) ||
       !ValidSoftwareField(request.client_software_version))) {
    response->error_code = protocol::Code(ErrorCode::INVALID_REQUEST);
    reply(std::move(response));
    return;
  }
  for (const Handler& h : Handlers()) {
    if (!Servable(h, ctx.topics, ctx.log, ctx.groups != nullptr,
                  ctx.session != nullptr && ctx.session->listener.sasl,
                  ctx.security)) {
      continue;
    }
    ApiVersionsResponse::ApiVersion& v = response->api_keys.emplace_back();
    v.api_key = h.api_key;
    v.min_version = h.advertised_min_version;
    v.max_version = h.max_version;
  }
  reply(std::move(response));
}

std::unique_ptr<protocol::Message> UnsupportedApiVersionsResponse() {
  auto response = std::make_unique<ApiVersionsResponse>();
  response->error_code = protocol::Code(ErrorCode::UNSUPPORTED_VERSION);
  const Handler* self = FindHandler(kApiVersionsKey);
  ApiVersionsResponse::ApiVersion& v = response->api_keys.emplace_back();
  v.api_key = kApiVersionsKey;
  v.min_version = self->min_version;
  v.max_version = self->max_version;
  return response;
}

}  // namespace kop::core
