// CreateTopics (key 19): Kafka topics become partitioned Pulsar topics.
//
// Replication is Pulsar's (BookKeeper ensembles), so replication_factor is
// accepted as given and manual replica assignments are refused; topic
// configs are not applied (Pulsar policies govern retention and the like),
// and a request carrying any is refused rather than silently ignored.
#include <memory>

#include "handlers/handler.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/create_topics_request.h"
#include "kop/protocol/messages/create_topics_response.h"

namespace kop::core {

using protocol::Code;
using protocol::CreateTopicsRequest;
using protocol::CreateTopicsResponse;
using protocol::ErrorCode;

namespace {

// Everything after the topic check (topic_access.h).
void CreateTopicsChecked(const RequestContext& ctx,
                         const CreateTopicsRequest& request,
                         const TopicDecisions& decisions, Reply reply) {
  auto pending = std::make_shared<PendingReply<CreateTopicsResponse>>();
  pending->reply = std::move(reply);
  for (size_t i = 0; i < request.topics.size(); ++i) {
    const CreateTopicsRequest::CreatableTopic& t = request.topics[i];
    CreateTopicsResponse::CreatableTopicResult& out =
        pending->response->topics.emplace_back();
    out.name = t.name;
    out.error_message.reset();
    // -1: the broker's default (Kafka's num.partitions); ours is 1.
    const int32_t partitions = t.num_partitions == -1 ? 1 : t.num_partitions;
    auto fail = [&out](ErrorCode code, std::string message) {
      out.error_code = Code(code);
      out.error_message = std::move(message);
    };
    const TopicDecision& access = decisions.find(t.name)->second;
    if (access.error != ErrorCode::NONE) {
      fail(access.error,
           access.message.value_or(
               "topic names are 1-249 characters of [a-zA-Z0-9._-]"));
      continue;
    }
    if (!t.assignments.empty()) {
      fail(ErrorCode::INVALID_REQUEST,
           "manual replica assignment is not supported on Pulsar");
      continue;
    }
    if (!t.configs.empty()) {
      fail(ErrorCode::INVALID_CONFIG,
           "topic configs are not applied on Pulsar; use namespace or topic "
           "policies");
      continue;
    }
    if (partitions < 1) {
      fail(ErrorCode::INVALID_PARTITIONS,
           "number of partitions must be at least 1");
      continue;
    }
    if (t.replication_factor == 0 || t.replication_factor < -1) {
      fail(ErrorCode::INVALID_REPLICATION_FACTOR,
           "replication factor must be -1 or positive");
      continue;
    }
    out.num_partitions = partitions;
    out.replication_factor =
        t.replication_factor == -1 ? 1 : t.replication_factor;
    if (request.validate_only) continue;
    ++pending->outstanding;
    ctx.topics->CreateTopic(access.resolved, partitions,
                            [pending, i](ErrorCode error, std::string why) {
                              CreateTopicsResponse::CreatableTopicResult& res =
                                  pending->response->topics[i];
                              res.error_code = Code(error);
                              if (error != ErrorCode::NONE) {
                                res.error_message = std::move(why);
                                res.num_partitions = -1;
                                res.replication_factor = -1;
                              }
                              pending->Done();
                            });
  }
  pending->Done();
}

}  // namespace

void HandleCreateTopics(const RequestContext& ctx,
                        const protocol::Message& message, Reply reply) {
  const auto& request = static_cast<const CreateTopicsRequest&>(message);
  WithTopics(
      ctx, request,
      {NamesOf(request.topics, &CreateTopicsRequest::CreatableTopic::name),
       TopicAction::kCreate, ErrorCode::INVALID_TOPIC_EXCEPTION, ""},
      [ctx, reply = std::move(reply)](const CreateTopicsRequest& r,
                                      const TopicDecisions& d) {
        CreateTopicsChecked(ctx, r, d, reply);
      });
}

}  // namespace kop::core
