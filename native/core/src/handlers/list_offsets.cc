// ListOffsets (key 2): earliest and latest offsets from the LogPort.
//
// Lookups by timestamp (offsetsForTimes) and the max-timestamp query (-3)
// need a timestamp search over the log that the port does not offer yet;
// they are answered UNSUPPORTED_VERSION per partition, never a wrong offset.
#include <memory>

#include "handlers/handler.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/list_offsets_request.h"
#include "kop/protocol/messages/list_offsets_response.h"

namespace kop::core {
namespace {

using protocol::Code;
using protocol::ErrorCode;
using protocol::ListOffsetsRequest;
using protocol::ListOffsetsResponse;

// Kafka's special timestamps (ListOffsetsRequest).
constexpr int64_t kLatest = -1;
constexpr int64_t kEarliest = -2;
constexpr int64_t kEarliestLocal = -4;  // tiered storage: our log is local

}  // namespace

void HandleListOffsets(const RequestContext& ctx,
                       const protocol::Message& message, Reply reply) {
  const auto& request = static_cast<const ListOffsetsRequest&>(message);
  auto pending = std::make_shared<PendingReply<ListOffsetsResponse>>();
  pending->reply = std::move(reply);
  for (size_t t = 0; t < request.topics.size(); ++t) {
    const ListOffsetsRequest::ListOffsetsTopic& topic = request.topics[t];
    ListOffsetsResponse::ListOffsetsTopicResponse& out =
        pending->response->topics.emplace_back();
    out.name = topic.name;
    for (size_t p = 0; p < topic.partitions.size(); ++p) {
      const ListOffsetsRequest::ListOffsetsPartition& part =
          topic.partitions[p];
      ListOffsetsResponse::ListOffsetsPartitionResponse& result =
          out.partitions.emplace_back();
      result.partition_index = part.partition_index;
      if (!IsLegalTopicName(topic.name)) {
        result.error_code = Code(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
        continue;
      }
      const int64_t ts = part.timestamp;
      if (ts != kLatest && ts != kEarliest && ts != kEarliestLocal) {
        result.error_code = Code(ErrorCode::UNSUPPORTED_VERSION);
        continue;
      }
      ++pending->outstanding;
      ctx.log->Read(topic.name, part.partition_index, 0, 0, 0,
                    [pending, t, p, ts](const ReadResult& r) {
                      ListOffsetsResponse::ListOffsetsPartitionResponse& res =
                          pending->response->topics[t].partitions[p];
                      res.error_code = r.error_code;
                      if (r.error_code == 0) {
                        res.offset = ts == kLatest ? r.log_end_offset
                                                   : r.log_start_offset;
                        res.timestamp = -1;
                      }
                      pending->Done();
                    });
    }
  }
  pending->Done();
}

}  // namespace kop::core
