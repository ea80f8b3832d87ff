// FindCoordinator (key 10): a group's coordinator is the broker owning its
// __consumer_offsets partition (Pulsar's bundle owner), as Kafka's is the
// leader of that partition. The offsets topic is the connection's tenant's
// (groups/coordinator_set.h), so a group id names a different group in each
// tenant. The owner comes from the TopicPort's own call,
// TopicPort::LookupOffsetsOwners, one answer per partition the request's
// groups live in. When the owner is this broker, asking starts loading the
// partition so the JoinGroup that follows rarely waits; when it is another,
// that broker is named and this broker's coordinator stays out of it. When no
// broker owns the partition right now, or the lookup failed, the answer is
// COORDINATOR_NOT_AVAILABLE and the client asks again: naming this broker
// would send the group where it may not live.
//
// Transactions are not served: a transactional id gets
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED (non-retriable, so a transactional
// producer fails at once rather than spin); share-group keys (v6) get
// INVALID_REQUEST.
#include <algorithm>
#include <map>
#include <memory>

#include "handlers/handler.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/find_coordinator_request.h"
#include "kop/protocol/messages/find_coordinator_response.h"

namespace kop::core {
namespace {

using protocol::Code;
using protocol::ErrorCode;
using protocol::FindCoordinatorRequest;
using protocol::FindCoordinatorResponse;

constexpr int8_t kGroupKey = 0;
constexpr int8_t kTransactionKey = 1;
constexpr int16_t kFirstBatchedVersion = 4;

struct Found {
  ErrorCode error = ErrorCode::NONE;
  std::string message;
  BrokerNode node;
};

// The owners of the __consumer_offsets partitions the request's groups live
// in; a partition missing here is taken as this broker's. node_id -1: no
// owner known (none yet, or the lookup failed), so no broker is named.
using Owners = std::map<int32_t, BrokerNode>;

Found Lookup(const RequestContext& ctx, int8_t key_type, const std::string& key,
             const Owners& owners) {
  if (key_type == kTransactionKey) {
    return {ErrorCode::TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
            "transactions are not supported by kop-native",
            {}};
  }
  if (key_type != kGroupKey) {
    return {ErrorCode::INVALID_REQUEST, "unsupported coordinator type", {}};
  }
  if (key.empty()) {
    return {ErrorCode::INVALID_REQUEST, "empty group id", {}};
  }
  if (const ErrorCode refused = Access(ctx).CheckGroup();
      refused != ErrorCode::NONE) {
    return {refused, "the client has no role for group APIs", {}};
  }
  const BrokerState& b = *ctx.broker;
  const BrokerNode self = SelfNode(ctx);
  const auto it = owners.find(ctx.groups->PartitionFor(key));
  if (it != owners.end() && !it->second.local &&
      it->second.node_id != b.node_id) {
    const BrokerNode& owner = it->second;
    if (owner.node_id < 0) {
      return {ErrorCode::COORDINATOR_NOT_AVAILABLE,
              "the owner of the group's partition is not known yet",
              {}};
    }
    return {ErrorCode::NONE, "", owner};
  }
  const ErrorCode err = ctx.groups->FindCoordinator(MakeCaller(ctx), key);
  if (err == ErrorCode::NONE) return {err, "", self};
  return {err, "this broker cannot coordinate the group", self};
}

template <typename Out>
void Fill(Out& out, const Found& f) {
  out.error_code = Code(f.error);
  if (f.error == ErrorCode::NONE) {
    out.node_id = f.node.node_id;
    out.host = f.node.host;
    out.port = f.node.port;
    out.error_message = std::nullopt;
  } else {
    out.node_id = -1;
    out.port = -1;
    out.error_message = f.message;
  }
}

void Respond(const RequestContext& ctx, const FindCoordinatorRequest& request,
             const Owners& owners, Reply& reply) {
  auto response = std::make_unique<FindCoordinatorResponse>();
  if (ctx.api_version >= kFirstBatchedVersion) {
    for (const std::string& key : request.coordinator_keys) {
      FindCoordinatorResponse::Coordinator& c =
          response->coordinators.emplace_back();
      c.key = key;
      Fill(c, Lookup(ctx, request.key_type, key, owners));
    }
  } else {
    Fill(*response, Lookup(ctx, request.key_type, request.key, owners));
  }
  reply(std::move(response));
}

}  // namespace

void HandleFindCoordinator(const RequestContext& ctx,
                           const protocol::Message& message, Reply reply) {
  const auto& request = static_cast<const FindCoordinatorRequest&>(message);
  if (request.key_type != kGroupKey) {
    Respond(ctx, request, {}, reply);
    return;
  }
  // One lookup per partition the groups live in (not the whole offsets
  // topic: a slow answer for an unrelated partition must not hold this one).
  std::vector<int32_t> partitions;
  for (const std::string& key : ctx.api_version >= kFirstBatchedVersion
                                    ? request.coordinator_keys
                                    : std::vector<std::string>{request.key}) {
    if (key.empty()) continue;
    const int32_t p = ctx.groups->PartitionFor(key);
    if (std::find(partitions.begin(), partitions.end(), p) ==
        partitions.end()) {
      partitions.push_back(p);
    }
  }
  // The request outlives this call: the lookup answers later.
  auto owned = std::make_shared<FindCoordinatorRequest>(request);
  ctx.topics->LookupOffsetsOwners(
      ctx.groups->offsets_topic(), partitions,
      [ctx, owned, partitions,
       reply = std::move(reply)](std::vector<PartitionOwner> found) mutable {
        Owners owners;
        for (size_t i = 0; i < found.size() && i < partitions.size(); ++i) {
          // A failed lookup (timed out, refused) names no broker: naming this
          // one would send the group where it may not live. Clients retry.
          owners[partitions[i]] = found[i].error_code == ErrorCode::NONE
                                      ? found[i].owner
                                      : BrokerNode{};
        }
        Respond(ctx, *owned, owners, reply);
      });
}

}  // namespace kop::core
