// OffsetCommit (key 8): stored in __consumer_offsets, answered once written,
// then mirrored into the group's Pulsar subscription on each partition.
// A partition of a topic CheckClientTopic refuses answers its error and is
// neither stored nor mirrored; if none is left, the coordinator is not
// asked (as Kafka's KafkaApis answers without it when no topic is
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
}  // namespace

void HandleOffsetCommit(const RequestContext& ctx,
                        const protocol::Message& message, Reply reply) {
  const auto& request = static_cast<const OffsetCommitRequest&>(message);
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
    const ErrorCode refused = CheckClientTopic(
        *ctx.broker, topic.name, ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
    for (const auto& part : topic.partitions) {
      auto& result = out.partitions.emplace_back();
      result.partition_index = part.partition_index;
      if (refused != ErrorCode::NONE) {
        result.error_code = Code(refused);
        refused_any = true;
        continue;
      }
      p.partitions.push_back(
          {topic.name, part.partition_index, part.committed_offset,
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

}  // namespace kop::core
