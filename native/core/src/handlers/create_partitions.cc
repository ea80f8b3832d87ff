// CreatePartitions (key 37): grows a partitioned Pulsar topic.
#include <memory>

#include "handlers/handler.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/create_partitions_request.h"
#include "kop/protocol/messages/create_partitions_response.h"

namespace kop::core {

using protocol::Code;
using protocol::CreatePartitionsRequest;
using protocol::CreatePartitionsResponse;
using protocol::ErrorCode;

namespace {

// Everything after the topic check (topic_access.h).
void CreatePartitionsChecked(const RequestContext& ctx,
                             const CreatePartitionsRequest& request,
                             const TopicDecisions& decisions, Reply reply) {
  auto pending = std::make_shared<PendingReply<CreatePartitionsResponse>>();
  pending->reply = std::move(reply);
  for (size_t i = 0; i < request.topics.size(); ++i) {
    const CreatePartitionsRequest::CreatePartitionsTopic& t = request.topics[i];
    CreatePartitionsResponse::CreatePartitionsTopicResult& out =
        pending->response->results.emplace_back();
    out.name = t.name;
    const TopicDecision& access = decisions.find(t.name)->second;
    if (access.error != ErrorCode::NONE) {
      out.error_code = Code(access.error);
      out.error_message = access.message;
      continue;
    }
    if (t.assignments.has_value() && !t.assignments->empty()) {
      out.error_code = Code(ErrorCode::INVALID_REQUEST);
      out.error_message =
          "manual replica assignment is not supported on Pulsar";
      continue;
    }
    if (t.count < 1) {
      out.error_code = Code(ErrorCode::INVALID_PARTITIONS);
      out.error_message = "partition count must be at least 1";
      continue;
    }
    if (request.validate_only) continue;
    ++pending->outstanding;
    ctx.topics->CreatePartitions(
        access.resolved, t.count,
        [pending, i](ErrorCode error, std::string why) {
          CreatePartitionsResponse::CreatePartitionsTopicResult& res =
              pending->response->results[i];
          res.error_code = Code(error);
          if (error != ErrorCode::NONE) res.error_message = std::move(why);
          pending->Done();
        });
  }
  pending->Done();
}

}  // namespace

void HandleCreatePartitions(const RequestContext& ctx,
                            const protocol::Message& message, Reply reply) {
  const auto& request = static_cast<const CreatePartitionsRequest&>(message);
  WithTopics(ctx, request,
             {NamesOf(request.topics,
                      &CreatePartitionsRequest::CreatePartitionsTopic::name),
              TopicAction::kAlterPartitions,
              ErrorCode::UNKNOWN_TOPIC_OR_PARTITION, ""},
             [ctx, reply = std::move(reply)](const CreatePartitionsRequest& r,
                                             const TopicDecisions& d) {
               CreatePartitionsChecked(ctx, r, d, reply);
             });
}

}  // namespace kop::core
