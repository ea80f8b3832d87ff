// Metadata (key 3): this broker, the cluster, and topics from the TopicPort.
//
// A partition's leader is the broker whose Pulsar bundle owns it, as the
// TopicPort reports it (its Kafka listener); the broker list names this
// broker, every other broker of the cluster and every leader (Kafka lists all
// live brokers, and librdkafka disconnects from brokers left out). A partition
// no broker owns at the moment answers LEADER_NOT_AVAILABLE, so clients retry.
// Leader epochs are -1, so clients skip KIP-320 epoch validation.
//
// A named topic CheckClientTopic refuses answers its error and is neither
// looked up nor auto-created; the all-topics list leaves internal and
// system topics out, as Kafka leaves out topics a client may not describe.
#include <algorithm>
#include <set>

#include "handlers/handler.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/metadata_request.h"
#include "kop/protocol/messages/metadata_response.h"

namespace kop::core {
namespace {

using protocol::MetadataRequest;
using protocol::MetadataResponse;

// A stable, non-zero topic ID derived from the topic's Pulsar name (Kafka
// clients cache IDs; Pulsar has none to offer).
protocol::Uuid TopicId(const BrokerState& b, const std::string& topic) {
  const std::string full =
      b.kafka_tenant + "/" + b.kafka_namespace + "/" + topic;
  protocol::Uuid id{};
  uint64_t h1 = 1469598103934665603ull, h2 = 0x9e3779b97f4a7c15ull;
  for (unsigned char c : full) {
    h1 = (h1 ^ c) * 1099511628211ull;
    h2 = (h2 ^ c) * 0x100000001b3ull + 0x7f4a7c15;
  }
  for (int i = 0; i < 8; ++i) {
    id[i] = static_cast<uint8_t>(h1 >> (8 * i));
    id[8 + i] = static_cast<uint8_t>(h2 >> (8 * i));
  }
  id[6] = static_cast<uint8_t>((id[6] & 0x0f) | 0x40);  // a version-4 shape
  return id;
}

std::unique_ptr<MetadataResponse> Respond(
    const RequestContext& ctx, const std::vector<TopicInfo>& topics) {
  const BrokerState& b = *ctx.broker;
  auto response = std::make_unique<MetadataResponse>();
  MetadataResponse::MetadataResponseBroker& self =
      response->brokers.emplace_back();
  const BrokerNode me = SelfNode(ctx);
  self.node_id = me.node_id;
  self.host = me.host;
  self.port = me.port;
  response->cluster_id = b.cluster_id;
  response->controller_id = b.node_id;
  std::set<int32_t> listed = {b.node_id};
  for (const BrokerNode& node : ctx.topics->ClusterBrokers()) {
    if (node.local || node.node_id < 0 || node.port < 0 ||
        !listed.insert(node.node_id).second) {
      continue;
    }
    MetadataResponse::MetadataResponseBroker& other =
        response->brokers.emplace_back();
    other.node_id = node.node_id;
    other.host = node.host;
    other.port = node.port;
  }
  for (const TopicInfo& t : topics) {
    MetadataResponse::MetadataResponseTopic& out =
        response->topics.emplace_back();
    out.error_code = protocol::Code(t.error_code);
    out.name = t.name;
    if (t.error_code != ErrorCode::NONE) continue;
    out.topic_id = TopicId(b, t.name);
    const int32_t n = std::max(t.partitions, 1);
    out.partitions.reserve(static_cast<size_t>(n));
    for (int32_t p = 0; p < n; ++p) {
      MetadataResponse::MetadataResponsePartition& part =
          out.partitions.emplace_back();
      part.partition_index = p;
      part.leader_epoch = -1;
      const BrokerNode* leader =
          static_cast<size_t>(p) < t.leaders.size() ? &t.leaders[p] : nullptr;
      const bool local = leader == nullptr || leader->local;
      const int32_t id = local ? b.node_id : leader->node_id;
      if (id < 0) {
        part.error_code = protocol::Code(ErrorCode::LEADER_NOT_AVAILABLE);
        part.leader_id = -1;
        continue;
      }
      part.leader_id = id;
      part.replica_nodes = {id};
      part.isr_nodes = {id};
      if (!local && listed.insert(id).second) {
        MetadataResponse::MetadataResponseBroker& other =
            response->brokers.emplace_back();
        other.node_id = id;
        other.host = leader->host;
        other.port = leader->port;
      }
    }
  }
  return response;
}

}  // namespace

void HandleMetadata(const RequestContext& ctx, const protocol::Message& message,
                    Reply reply) {
  const auto& request = static_cast<const MetadataRequest&>(message);
  // Every client asks for metadata first: the group coordinator loads its
  // partitions now rather than on the first group request.
  if (ctx.groups != nullptr) ctx.groups->Preload(MakeCaller(ctx));
  auto done = [ctx, reply = std::move(reply)](std::vector<TopicInfo> topics) {
    reply(Respond(ctx, topics));
  };
  // v0 asks for every topic with an empty list, v1+ with a null one.
  const bool all = !request.topics.has_value() ||
                   (ctx.api_version == 0 && request.topics->empty());
  if (all) {
    // Topics no client may touch are left out, as Kafka leaves out topics
    // the client is not authorized to describe.
    ctx.topics->ListAll(
        [ctx, done = std::move(done)](std::vector<TopicInfo> topics) mutable {
          std::erase_if(topics, [&ctx](const TopicInfo& t) {
            return CheckClientTopic(*ctx.broker, t.name,
                                    ErrorCode::INVALID_TOPIC_EXCEPTION) ==
                   ErrorCode::TOPIC_AUTHORIZATION_FAILED;
          });
          done(std::move(topics));
        });
    return;
  }
  std::vector<std::string> names;
  std::vector<TopicInfo> unnamed;
  for (const MetadataRequest::MetadataRequestTopic& t : *request.topics) {
    const ErrorCode refused =
        t.name.has_value() && !t.name->empty()
            ? CheckClientTopic(*ctx.broker, *t.name,
                               ErrorCode::INVALID_TOPIC_EXCEPTION)
            : ErrorCode::NONE;
    if (refused != ErrorCode::NONE) {
      // Neither looked up nor auto-created.
      unnamed.push_back({*t.name, 0, refused, {}});
    } else if (t.name.has_value() && !t.name->empty()) {
      names.push_back(*t.name);
    } else {
      // A lookup by topic ID only (v10+): we derive IDs from names and keep
      // no reverse index yet.
      unnamed.push_back({"", 0, ErrorCode::UNKNOWN_TOPIC_ID, {}});
    }
  }
  // No names: still asked, so the answer brings the cluster's brokers up to
  // date for the broker list.
  // allow_auto_topic_creation exists from v4; older versions always create.
  const bool create = ctx.api_version < 4 || request.allow_auto_topic_creation;
  ctx.topics->Lookup(
      std::move(names), create,
      [done = std::move(done),
       unnamed = std::move(unnamed)](std::vector<TopicInfo> found) mutable {
        found.insert(found.end(), unnamed.begin(), unnamed.end());
        done(std::move(found));
      });
}

}  // namespace kop::core
