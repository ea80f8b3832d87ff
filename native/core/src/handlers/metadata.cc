// Metadata (key 3): this broker, the cluster, and the requested topics.
//
// Topic lookups through Pulsar arrive with the topic port; until then every
// named topic is answered UNKNOWN_TOPIC_OR_PARTITION and "all topics" is
// empty, which is what a Kafka broker with no topics says.
#include "handlers/handler.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/metadata_request.h"
#include "kop/protocol/messages/metadata_response.h"

namespace kop::core {

using protocol::ErrorCode;
using protocol::MetadataRequest;
using protocol::MetadataResponse;

std::unique_ptr<protocol::Message> HandleMetadata(
    const RequestContext& ctx, const protocol::Message& message) {
  const auto& request = static_cast<const MetadataRequest&>(message);
  auto response = std::make_unique<MetadataResponse>();
  MetadataResponse::MetadataResponseBroker& self =
      response->brokers.emplace_back();
  self.node_id = ctx.broker.node_id;
  self.host = ctx.broker.advertised_host;
  self.port = ctx.broker.advertised_port;
  response->cluster_id = ctx.broker.cluster_id;
  response->controller_id = ctx.broker.node_id;
  if (request.topics.has_value()) {
    for (const MetadataRequest::MetadataRequestTopic& t : *request.topics) {
      MetadataResponse::MetadataResponseTopic& out =
          response->topics.emplace_back();
      out.error_code = protocol::Code(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
      out.name = t.name.value_or("");
      out.topic_id = t.topic_id;
    }
  }
  return response;
}

}  // namespace kop::core
