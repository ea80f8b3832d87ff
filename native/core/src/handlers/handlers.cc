#include "handlers/handler.h"

namespace kop::core {
namespace {

// Versions are those every client we test sends and our handlers implement in
// full; see docs/protocol.md.
using N = Handler::Needs;

// Produce v13 and Fetch v13+ name topics by ID only; they come once the
// topic registry keeps IDs.
constexpr Handler kHandlers[] = {
    {0, 3, 12, HandleProduce, 0, N::kAppend},
    {1, 4, 12, HandleFetch, 4, N::kRead},
    {2, 1, 10, HandleListOffsets, 1, N::kRead},
    {3, 0, 13, HandleMetadata, 0, N::kNothing},
    // Classic consumer groups. OffsetCommit v10/OffsetFetch v10 name topics
    // by ID only; KIP-848's ConsumerGroupHeartbeat is not served.
    {8, 2, 9, HandleOffsetCommit, 2, N::kGroups},
    {9, 1, 9, HandleOffsetFetch, 1, N::kGroups},
    {10, 0, 6, HandleFindCoordinator, 0, N::kGroups},
    {11, 0, 9, HandleJoinGroup, 0, N::kGroups},
    {12, 0, 4, HandleHeartbeat, 0, N::kGroups},
    {13, 0, 5, HandleLeaveGroup, 0, N::kGroups},
    {14, 0, 5, HandleSyncGroup, 0, N::kGroups},
    {15, 0, 6, HandleDescribeGroups, 0, N::kGroups},
    {16, 0, 5, HandleListGroups, 0, N::kGroups},
    // SASL (KIP-43, KIP-152, KIP-368), on SASL listeners only.
    {17, 0, 1, HandleSaslHandshake, 0, N::kSasl},
    {18, 0, 4, HandleApiVersions, 0, N::kNothing},
    {19, 2, 7, HandleCreateTopics, 2, N::kAdmin},
    // v6 may name topics by ID only; those get UNKNOWN_TOPIC_ID.
    {20, 1, 6, HandleDeleteTopics, 1, N::kAdmin},
    // Non-transactional ids for idempotent producers (Java's default).
    {22, 0, 5, HandleInitProducerId, 0, N::kAppend},
    // Kafka 4 serves v2+; one epoch (0) for all data, see the handler.
    {23, 2, 4, HandleOffsetForLeaderEpoch, 2, N::kRead},
    // ACLs onto Pulsar permissions (acl_mapping.h). Kafka 4 removed v0; v1
    // added pattern types (KIP-290), v2-3 are flexible.
    {29, 1, 3, HandleDescribeAcls, 1, N::kSecurity},
    {30, 1, 3, HandleCreateAcls, 1, N::kSecurity},
    {31, 1, 3, HandleDeleteAcls, 1, N::kSecurity},
    {36, 0, 2, HandleSaslAuthenticate, 0, N::kSasl},
    {37, 0, 3, HandleCreatePartitions, 0, N::kAdmin},
    {42, 0, 2, HandleDeleteGroups, 0, N::kGroups},
    {47, 0, 0, HandleOffsetDelete, 0, N::kGroups},
    // SCRAM credentials (KIP-554), kept in Pulsar's metadata store.
    {50, 0, 0, HandleDescribeUserScramCredentials, 0, N::kSecurity},
    {51, 0, 0, HandleAlterUserScramCredentials, 0, N::kSecurity},
};

}  // namespace

std::span<const Handler> Handlers() { return kHandlers; }

bool Servable(const Handler& h, const TopicPort* topics, const LogPort* log,
              bool has_groups, bool sasl_listener,
              const SecurityPort* security) {
  switch (h.needs) {
    case Handler::Needs::kSecurity:
      return security != nullptr;
    case Handler::Needs::kSasl:
      return sasl_listener;
    case Handler::Needs::kGroups:
      return has_groups && log != nullptr && log->SupportsRead();
    case Handler::Needs::kAdmin:
      return topics != nullptr && topics->SupportsAdmin();
    case Handler::Needs::kNothing:
      return true;
    case Handler::Needs::kAppend:
      return log != nullptr;
    case Handler::Needs::kRead:
      return log != nullptr && log->SupportsRead();
  }
  return false;
}

BrokerNode SelfNode(const RequestContext& ctx) {
  const BrokerState& b = *ctx.broker;
  if (ctx.session != nullptr &&
      !ctx.session->listener.advertised_host.empty() &&
      ctx.session->listener.advertised_port >= 0) {
    return BrokerNode{b.node_id, ctx.session->listener.advertised_host,
                      ctx.session->listener.advertised_port};
  }
  return BrokerNode{b.node_id, b.advertised_host, b.advertised_port};
}

groups::Caller MakeCaller(const RequestContext& ctx) {
  groups::Caller c;
  c.log = ctx.log;
  c.post = ctx.post;
  c.client_id = ctx.client_id.value_or("");
  c.client_host = ctx.client_host;
  return c;
}

const Handler* FindHandler(int16_t api_key) {
  for (const Handler& h : kHandlers) {
    if (h.api_key == api_key) return &h;
  }
  return nullptr;
}

}  // namespace kop::core
