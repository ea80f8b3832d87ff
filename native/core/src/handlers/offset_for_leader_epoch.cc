// OffsetForLeaderEpoch (key 23, KIP-101/320): the end offset of a leader
// epoch, which clients use to detect log truncation after a leader change.
//
// A Pulsar topic's Kafka log is never truncated by a leader change (the
// ManagedLedger is the single copy that moves between brokers), so every
// record belongs to one epoch, 0: any requested epoch >= 0 ends at the log
// end offset, and a negative one is Kafka's "undefined" (-1, -1). Metadata
// reports epoch -1, so today's clients skip this validation; the handler
// serves tools and clients that ask anyway.
#include <memory>

#include "handlers/handler.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/offset_for_leader_epoch_request.h"
#include "kop/protocol/messages/offset_for_leader_epoch_response.h"

namespace kop::core {

using protocol::Code;
using protocol::ErrorCode;
using protocol::OffsetForLeaderEpochRequest;
using protocol::OffsetForLeaderEpochResponse;

namespace {
constexpr int32_t kEpoch = 0;
}  // namespace

namespace {

// Everything after the topic check (topic_access.h).
void OffsetForLeaderEpochChecked(const RequestContext& ctx,
                                 const OffsetForLeaderEpochRequest& request,
                                 const TopicDecisions& decisions, Reply reply) {
  auto pending = std::make_shared<PendingReply<OffsetForLeaderEpochResponse>>();
  pending->reply = std::move(reply);
  for (size_t t = 0; t < request.topics.size(); ++t) {
    const auto& topic = request.topics[t];
    auto& out = pending->response->topics.emplace_back();
    out.topic = topic.topic;
    for (size_t p = 0; p < topic.partitions.size(); ++p) {
      const auto& part = topic.partitions[p];
      auto& result = out.partitions.emplace_back();
      result.partition = part.partition;
      const TopicDecision& access = decisions.find(topic.topic)->second;
      if (access.error != ErrorCode::NONE) {
        result.error_code = Code(access.error);
        continue;
      }
      if (part.current_leader_epoch > kEpoch) {
        result.error_code = Code(ErrorCode::UNKNOWN_LEADER_EPOCH);
        continue;
      }
      if (part.leader_epoch < 0) continue;  // undefined: -1, -1
      ++pending->outstanding;
      ctx.log->Read(access.resolved, part.partition, 0, 0, 0,
                    [pending, t, p](const ReadResult& r) {
                      auto& res = pending->response->topics[t].partitions[p];
                      res.error_code = Code(r.error_code);
                      if (r.error_code == ErrorCode::NONE) {
                        res.leader_epoch = kEpoch;
                        res.end_offset = r.log_end_offset;
                      }
                      pending->Done();
                    });
    }
  }
  pending->Done();
}

}  // namespace

void HandleOffsetForLeaderEpoch(const RequestContext& ctx,
                                const protocol::Message& message, Reply reply) {
  const auto& request =
      static_cast<const OffsetForLeaderEpochRequest&>(message);
  WithTopics(
      ctx, request,
      {NamesOf(request.topics,
               &OffsetForLeaderEpochRequest::OffsetForLeaderTopic::topic),
       TopicAction::kConsume, ErrorCode::UNKNOWN_TOPIC_OR_PARTITION, ""},
      [ctx, reply = std::move(reply)](const OffsetForLeaderEpochRequest& r,
                                      const TopicDecisions& d) {
        OffsetForLeaderEpochChecked(ctx, r, d, reply);
      });
}

}  // namespace kop::core
