// OffsetDelete (key 47, KIP-496): removes committed offsets of partitions
// the group does not consume (all of them for an empty group). A partition
// of a topic the door (topic_access.h) refuses answers its error and is not
// passed on.
#include <memory>

#include "handlers/handler.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/offset_delete_request.h"
#include "kop/protocol/messages/offset_delete_response.h"

namespace kop::core {

using protocol::Code;
using protocol::OffsetDeleteRequest;
using protocol::OffsetDeleteResponse;

namespace {

// Everything after the topic check (topic_access.h).
void OffsetDeleteChecked(const RequestContext& ctx,
                         const OffsetDeleteRequest& request,
                         const TopicDecisions& decisions, Reply reply) {
  std::vector<groups::TopicPartition> partitions;
  auto response = std::make_shared<std::unique_ptr<OffsetDeleteResponse>>(
      std::make_unique<OffsetDeleteResponse>());
  for (const auto& topic : request.topics) {
    auto& out = (*response)->topics.emplace_back();
    out.name = topic.name;
    const TopicDecision& access = decisions.find(topic.name)->second;
    const ErrorCode refused = access.error;
    for (const auto& p : topic.partitions) {
      auto& result = out.partitions.emplace_back();
      result.partition_index = p.partition_index;
      result.error_code = Code(refused);
      if (refused == ErrorCode::NONE) {
        partitions.emplace_back(access.resolved, p.partition_index);
      }
    }
  }
  ctx.groups->DeleteOffsets(
      MakeCaller(ctx), request.group_id, std::move(partitions),
      [reply = std::move(reply), response](groups::OffsetDeleteResult r) {
        (*response)->error_code = Code(r.error_code);
        if (r.error_code == ErrorCode::NONE) {
          AnswerPassedPartitions((*response)->topics, r.partition_errors);
        }
        reply(std::move(*response));
      });
}

}  // namespace

void HandleOffsetDelete(const RequestContext& ctx,
                        const protocol::Message& message, Reply reply) {
  const auto& request = static_cast<const OffsetDeleteRequest&>(message);
  WithTopics(ctx, request,
             {NamesOf(request.topics,
                      &OffsetDeleteRequest::OffsetDeleteRequestTopic::name),
              TopicAction::kConsume, ErrorCode::UNKNOWN_TOPIC_OR_PARTITION,
              request.group_id},
             [ctx, reply = std::move(reply)](const OffsetDeleteRequest& r,
                                             const TopicDecisions& d) {
               OffsetDeleteChecked(ctx, r, d, reply);
             });
}

}  // namespace kop::core
