// Metadata (key 3): this broker, the cluster, and topics from the TopicPort.
//
// A partition's leader is the broker whose Pulsar bundle owns it, as the
// TopicPort reports it (its Kafka listener); the broker list names this
// broker, every other broker of the cluster and every leader (Kafka lists all
// live brokers, and librdkafka disconnects from brokers left out). A partition
// no broker owns at the moment answers LEADER_NOT_AVAILABLE, so clients retry.
// Leader epochs are -1, so clients skip KIP-320 epoch validation.
//
// A named topic the door (topic_access.h) refuses answers its error and is
// neither looked up nor auto-created; the all-topics list (the connection's
// namespace) leaves out internal and system topics and those the role may
// not look up, as Kafka leaves out topics a client may not describe.
#include <algorithm>
#include <deque>
#include <map>
#include <set>

#include "handlers/handler.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/metadata_request.h"
#include "kop/protocol/messages/metadata_response.h"

namespace kop::core {
namespace {

using protocol::MetadataRequest;
using protocol::MetadataResponse;

// A stable, non-zero topic ID derived from the topic's full Pulsar name
// (Kafka clients cache IDs; Pulsar has none to offer).
protocol::Uuid TopicId(const Access& access, const std::string& topic) {
  const std::string full =
      access.FullName(topic).substr(std::string_view("persistent://").size());
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
    out.topic_id = TopicId(Access(ctx), t.name);
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

// Leaves out of an all-topics list the topics the client may not describe,
// as Kafka does: internal and system topics, and those the role may not
// look up.
void ListAuthorized(const RequestContext& ctx,
                    std::function<void(std::vector<TopicInfo>)> done) {
  auto filter = [ctx, done = std::move(done)](std::vector<TopicInfo> topics) {
    TopicQuery q{
        {}, TopicAction::kLookup, ErrorCode::INVALID_TOPIC_EXCEPTION, ""};
    for (const TopicInfo& t : topics) q.names.push_back(t.name);
    Access(ctx).Check(std::move(q), [topics = std::move(topics),
                                     done = std::move(done)](
                                        TopicDecisions decisions) mutable {
      std::erase_if(topics, [&decisions](const TopicInfo& t) {
        return decisions[t.name].error == ErrorCode::TOPIC_AUTHORIZATION_FAILED;
      });
      done(std::move(topics));
    });
  };
  // A connection with a namespace of its own lists that namespace.
  if (ctx.session != nullptr && !ctx.session->topic_prefix.empty()) {
    ctx.topics->ListNamespace(ctx.session->topic_prefix, std::move(filter));
  } else {
    ctx.topics->ListAll(std::move(filter));
  }
}

// Named topics: those the door refuses answer its error and are neither
// looked up nor auto-created.
void LookupNamed(const RequestContext& ctx, const MetadataRequest& request,
                 const TopicDecisions& decisions,
                 std::function<void(std::vector<TopicInfo>)> done) {
  std::vector<std::string> names;
  std::vector<TopicInfo> unnamed;
  // resolved -> the client's names for it, in request order: "orders" and
  // its full name resolve alike, and each is answered by its own name.
  std::map<std::string, std::deque<std::string>> client_names;
  for (const MetadataRequest::MetadataRequestTopic& t : *request.topics) {
    if (!t.name.has_value() || t.name->empty()) {
      // A lookup by topic ID only (v10+): we derive IDs from names and keep
      // no reverse index yet.
      unnamed.push_back({"", 0, ErrorCode::UNKNOWN_TOPIC_ID, {}});
      continue;
    }
    const TopicDecision& d = decisions.find(*t.name)->second;
    if (d.error != ErrorCode::NONE) {
      unnamed.push_back({*t.name, 0, d.error, {}});
      continue;
    }
    names.push_back(d.resolved);
    client_names[d.resolved].push_back(*t.name);
  }
  // No names: still asked, so the answer brings the cluster's brokers up to
  // date for the broker list.
  // allow_auto_topic_creation exists from v4; older versions always create.
  const bool create = ctx.api_version < 4 || request.allow_auto_topic_creation;
  ctx.topics->Lookup(
      std::move(names), create,
      [done = std::move(done), unnamed = std::move(unnamed),
       client_names =
           std::move(client_names)](std::vector<TopicInfo> found) mutable {
        for (TopicInfo& t : found) {
          auto it = client_names.find(t.name);
          if (it == client_names.end() || it->second.empty()) continue;
          t.name = std::move(it->second.front());
          it->second.pop_front();
        }
        found.insert(found.end(), unnamed.begin(), unnamed.end());
        done(std::move(found));
      });
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
    ListAuthorized(ctx, std::move(done));
    return;
  }
  TopicQuery q{
      {}, TopicAction::kLookup, ErrorCode::INVALID_TOPIC_EXCEPTION, ""};
  for (const auto& t : *request.topics) {
    if (t.name.has_value() && !t.name->empty()) q.names.push_back(*t.name);
  }
  WithTopics(ctx, request, std::move(q),
             [ctx, done = std::move(done)](const MetadataRequest& r,
                                           const TopicDecisions& d) {
               LookupNamed(ctx, r, d, done);
             });
}

}  // namespace kop::core
