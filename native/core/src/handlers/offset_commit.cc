// OffsetCommit (key 8): stored in __consumer_offsets, answered once written,
// then mirrored into the group's Pulsar subscription on each partition.
// A partition of a topic the door (topic_access.h: name rule, namespace,
// consume permission with the group id as subscription) refuses answers its
// error and is neither stored nor mirrored; if none is left, the coordinator is
// not asked (as Kafka's KafkaApis answers without it when no topic is
// authorized).
#include <memory>

#include "handlers/handler.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/offset_commit_request.h"
#include "kop/protocol/messages/offset_commit_response.h"

namespace kop::core {

using protocol::Code;
using protocol::OffsetCommitRequest;
using protocol::OffsetCommitResponse;

namespace {
// retention_time_ms exists in v2-v4 only.
constexpr int16_t kLastRetentionVersion = 4;
// Everything after the topic check.
void Commit(const RequestContext& ctx, const OffsetCommitRequest& request,
            const TopicDecisions& decisions, Reply reply) {
  groups::CommitParams p;
  p.group_id = request.group_id;
  p.generation = request.generation_id_or_member_epoch;
  p.member_id = request.member_id;
  p.group_instance_id = request.group_instance_id;
  if (ctx.api_version <= kLastRetentionVersion) {
    p.retention_ms = request.retention_time_ms;
  }
  // The response mirrors the request's shape.
  auto response = std::make_shared<std::unique_ptr<OffsetCommitResponse>>(
      std::make_unique<OffsetCommitResponse>());
  bool refused_any = false;
  for (const auto& topic : request.topics) {
    auto& out = (*response)->topics.emplace_back();
    out.name = topic.name;
    const TopicDecision& access = decisions.find(topic.name)->second;
    for (const auto& part : topic.partitions) {
      auto& result = out.partitions.emplace_back();
      result.partition_index = part.partition_index;
      if (access.error != ErrorCode::NONE) {
        result.error_code = Code(access.error);
        refused_any = true;
        continue;
      }
      p.partitions.push_back(
          {access.resolved, part.partition_index, part.committed_offset,
           part.committed_leader_epoch, part.committed_metadata});
    }
  }
  if (refused_any && p.partitions.empty()) {
    reply(std::move(*response));
    return;
  }
  ctx.groups->CommitOffsets(
      MakeCaller(ctx), std::move(p),
      [reply = std::move(reply), response](std::vector<ErrorCode> errors) {
        AnswerPassedPartitions((*response)->topics, errors);
        reply(std::move(*response));
      });
}

}  // namespace

void HandleOffsetCommit(const RequestContext& ctx,
                        const protocol::Message& message, Reply reply) {
  const auto& request = static_cast<const OffsetCommitRequest&>(message);
  TopicQuery q{NamesOf(request.topics,
                       &OffsetCommitRequest::OffsetCommitRequestTopic::name),
               TopicAction::kConsume, ErrorCode::UNKNOWN_TOPIC_OR_PARTITION,
               request.group_id};
  WithTopics(ctx, request, std::move(q),
             [ctx, reply = std::move(reply)](const OffsetCommitRequest& r,
                                             const TopicDecisions& d) {
               Commit(ctx, r, d, reply);
             });
}

}  // namespace kop::core
