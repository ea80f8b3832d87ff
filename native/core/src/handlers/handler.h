// What a Kafka API handler is: the versions it serves and a function from a
// decoded request to a response. The table of handlers (handlers.cc) is also
// what ApiVersions advertises, so we advertise exactly what we implement.
#ifndef KOP_CORE_HANDLERS_HANDLER_H_
#define KOP_CORE_HANDLERS_HANDLER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "broker_state.h"
#include "fetch_sessions.h"
#include "groups/coordinator.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/message.h"
#include "producer_state.h"
#include "scram_cache.h"
#include "session.h"
#include "topic_access.h"

namespace kop::core {

// What a handler may use. Copyable: an asynchronous handler keeps it.
struct RequestContext {
  int16_t api_key;
  int16_t api_version;
  int32_t correlation_id;
  std::optional<std::string> client_id;
  const BrokerState* broker;
  TopicPort* topics;
  LogPort* log;  // nullptr when this broker serves no produce/fetch
  ProducerStateTable* producers;
  groups::GroupCoordinator* groups;
  // Runs a task on this connection's event loop, from any thread (group
  // replies completed by other connections or timers); dropped once the
  // connection is gone.
  std::function<void(std::function<void()>)> post;
  // This connection's fetch sessions (nullptr: none are offered). Only
  // touched on the connection's event loop, where port callbacks run.
  FetchSessions* fetch_sessions = nullptr;
  std::string client_host = "/unknown";
  // Who the client is (role, SASL progress, namespace of short names). Only
  // touched on the connection's event loop; never nullptr on a connection.
  Session* session = nullptr;
  // Pulsar authentication and authorization (nullptr: neither).
  SecurityPort* security = nullptr;
  // Asks for the connection to be closed once this request's response has
  // been sent (Kafka closes after a refused SASL step); `failed_auth` delays
  // the close (ResponseSink::CloseAfterFailedAuthentication). Call it before
  // replying.
  std::function<void(bool failed_auth)> close_after_reply = {};
  // The broker's SCRAM credentials (scram_cache.h); nullptr: none kept.
  ScramCredentialCache* scram_cache = nullptr;
};

// Every topic name a client sends goes through the door of topic_access.h
// (name rule, namespace mapping, Pulsar authorization) before any port call
// for it: a handler lists its names and runs the rest in WithTopics.

// A request kept past its handler call: its records (which view the frame)
// copied into `bytes` by KeepBytes.
template <typename Request>
struct KeptRequest {
  Request request;
  std::vector<std::vector<uint8_t>> bytes;
};
// Re-points what views the frame into `kept.bytes`; only Produce has any
// (specialized in produce.cc).
template <typename Request>
void KeepBytes(KeptRequest<Request>& kept) {
  (void)kept;
}

// Decides the names of `q` and runs `then(request, decisions)`: at once when
// no answer from Pulsar is awaited (authorization off, or all cached), as
// before; otherwise once the answers arrive, on a copy of the request.
template <typename Request, typename Then>
void WithTopics(const RequestContext& ctx, const Request& request, TopicQuery q,
                Then then) {
  Access access(ctx);
  if (access.Ready(q)) {
    then(request, access.Decide(q));
    return;
  }
  auto kept = std::make_shared<KeptRequest<Request>>();
  kept->request = request;
  KeepBytes(*kept);
  access.Check(std::move(q), [kept, then = std::move(then)](
                                 TopicDecisions decisions) mutable {
    then(kept->request, decisions);
  });
}

// The client's names of `topics` (any list of elements with `name_field`).
template <typename Topics, typename Field>
std::vector<std::string> NamesOf(const Topics& topics, Field name_field) {
  std::vector<std::string> names;
  names.reserve(topics.size());
  for (const auto& t : topics) names.push_back(t.*name_field);
  return names;
}

// Hands the coordinator's per-partition answers (`errors`, in request
// order) to the partitions of a group response that were passed on: those
// CheckClientTopic refused already carry their error and are skipped.
template <typename Topics>
void AnswerPassedPartitions(Topics& topics,
                            const std::vector<protocol::ErrorCode>& errors) {
  size_t i = 0;
  for (auto& topic : topics) {
    for (auto& part : topic.partitions) {
      if (part.error_code != 0) continue;
      if (i < errors.size()) part.error_code = protocol::Code(errors[i]);
      ++i;
    }
  }
}

// This broker as the connection's listener advertises it (Metadata,
// FindCoordinator).
BrokerNode SelfNode(const RequestContext& ctx);

// The coordinator's view of this request's connection.
groups::Caller MakeCaller(const RequestContext& ctx);

// Delivers the response body, now or later, exactly once; nullptr for
// requests Kafka does not answer (Produce with acks=0). Responses leave the
// connection in request order whatever order replies arrive in; a reply
// after the connection closed is dropped.
using Reply = std::function<void(std::unique_ptr<protocol::Message>)>;

// Group APIs (topic_access.h, Access::CheckGroup): answers `Response` with
// only its error_code set, and returns true, when the client may not use
// them.
template <typename Response>
bool GroupRefused(const RequestContext& ctx, const Reply& reply) {
  const protocol::ErrorCode refused = Access(ctx).CheckGroup();
  if (refused == protocol::ErrorCode::NONE) return false;
  auto response = std::make_unique<Response>();
  response->error_code = protocol::Code(refused);
  reply(std::move(response));
  return true;
}

// Cluster-wide administration (the SCRAM credential APIs): with Pulsar
// authorization on, only a Pulsar superuser (AuthorizationService
// .isSuperUser) may; `then` gets NONE, CLUSTER_AUTHORIZATION_FAILED, or
// another code when the check failed. With it off, everyone may, as Kafka
// without an authorizer allows. Without a security port (no store for
// them) it refuses. The answer is kept in the session
// (Session::super_user) for kopAuthorizationCacheRefreshMs.
inline void CheckClusterAdmin(const RequestContext& ctx,
                              std::function<void(protocol::ErrorCode)> then) {
  if (ctx.security == nullptr) {
    then(protocol::ErrorCode::CLUSTER_AUTHORIZATION_FAILED);
    return;
  }
  if (!ctx.security->AuthorizationEnabled()) {
    then(protocol::ErrorCode::NONE);
    return;
  }
  const std::string& role = ctx.session->role;
  if (auto cached =
          ctx.session->super_user.Find(role, AuthorizationClockMs())) {
    then(*cached);
    return;
  }
  // The session outlives the port's callbacks (they run on its event loop
  // and are dropped with the connection).
  ctx.security->IsSuperUser(
      role, [session = ctx.session, role, ttl = ctx.broker->authz_cache_ms,
             then = std::move(then)](protocol::ErrorCode answer) {
        session->super_user.Put(role, answer, AuthorizationClockMs(), ttl);
        then(answer);
      });
}

// `request` views the frame (records fields point into it), which is only
// valid during the call: a handler copies what it keeps before returning.
using HandlerFn = void (*)(const RequestContext& ctx,
                           const protocol::Message& request, Reply reply);

// A response assembled from several port completions: each issued call
// takes a count, the handler drops its own when done issuing, and the last
// one replies.
template <typename Response>
struct PendingReply {
  std::unique_ptr<Response> response = std::make_unique<Response>();
  int outstanding = 1;  // the handler's own, released by its final Done()
  Reply reply;

  void Done() {
    if (--outstanding == 0) reply(std::move(response));
  }
};

struct Handler {
  int16_t api_key;
  int16_t min_version;  // served: lower versions close the connection
  int16_t max_version;
  HandlerFn handle;
  // Advertised minimum, when it differs from the served one (Produce: Kafka
  // 4 advertises v0 for librdkafka < 2.11's compression check, KAFKA-18659,
  // but refuses v0-v2).
  int16_t advertised_min_version;
  // What the handler needs of the ports.
  // kSasl: served and advertised only on SASL listeners; kSecurity: only
  // when the broker has a SecurityPort (the ACL APIs, the SCRAM credential
  // store).
  enum class Needs {
    kNothing,
    kAppend,
    kRead,
    kAdmin,
    kGroups,
    kSasl,
    kSecurity
  } needs;
};

// Whether `h` can be served with these ports on this listener.
bool Servable(const Handler& h, const TopicPort* topics, const LogPort* log,
              bool has_groups, bool sasl_listener,
              const SecurityPort* security);

std::span<const Handler> Handlers();
const Handler* FindHandler(int16_t api_key);

// One declaration per handler file.
void HandleApiVersions(const RequestContext&, const protocol::Message&, Reply);
void HandleMetadata(const RequestContext&, const protocol::Message&, Reply);
void HandleProduce(const RequestContext&, const protocol::Message&, Reply);
void HandleInitProducerId(const RequestContext&, const protocol::Message&,
                          Reply);
void HandleCreateTopics(const RequestContext&, const protocol::Message&, Reply);
void HandleDeleteTopics(const RequestContext&, const protocol::Message&, Reply);
void HandleCreatePartitions(const RequestContext&, const protocol::Message&,
                            Reply);
void HandleFetch(const RequestContext&, const protocol::Message&, Reply);
void HandleListOffsets(const RequestContext&, const protocol::Message&, Reply);
void HandleOffsetForLeaderEpoch(const RequestContext&, const protocol::Message&,
                                Reply);
void HandleFindCoordinator(const RequestContext&, const protocol::Message&,
                           Reply);
void HandleDescribeUserScramCredentials(const RequestContext&,
                                        const protocol::Message&, Reply);
void HandleAlterUserScramCredentials(const RequestContext&,
                                     const protocol::Message&, Reply);
void HandleJoinGroup(const RequestContext&, const protocol::Message&, Reply);
void HandleSyncGroup(const RequestContext&, const protocol::Message&, Reply);
void HandleHeartbeat(const RequestContext&, const protocol::Message&, Reply);
void HandleLeaveGroup(const RequestContext&, const protocol::Message&, Reply);
void HandleOffsetCommit(const RequestContext&, const protocol::Message&, Reply);
void HandleOffsetFetch(const RequestContext&, const protocol::Message&, Reply);
void HandleDescribeGroups(const RequestContext&, const protocol::Message&,
                          Reply);
void HandleListGroups(const RequestContext&, const protocol::Message&, Reply);
void HandleDeleteGroups(const RequestContext&, const protocol::Message&, Reply);
void HandleOffsetDelete(const RequestContext&, const protocol::Message&, Reply);
void HandleSaslHandshake(const RequestContext&, const protocol::Message&,
                         Reply);
void HandleSaslAuthenticate(const RequestContext&, const protocol::Message&,
                            Reply);
void HandleDescribeAcls(const RequestContext&, const protocol::Message&, Reply);
void HandleCreateAcls(const RequestContext&, const protocol::Message&, Reply);
void HandleDeleteAcls(const RequestContext&, const protocol::Message&, Reply);

// The ApiVersions answer to a version we do not know (KIP-511): v0 layout,
// UNSUPPORTED_VERSION, and our ApiVersions range so the client can retry.
std::unique_ptr<protocol::Message> UnsupportedApiVersionsResponse();

}  // namespace kop::core

#endif  // KOP_CORE_HANDLERS_HANDLER_H_
