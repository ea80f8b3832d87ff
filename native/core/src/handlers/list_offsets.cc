// ListOffsets (key 2): earliest/latest from the LogPort; by timestamp and
// the max-timestamp query (-3, KIP-734) by scanning the partition's records.
//
// Timestamps are the records' own (CreateTime as the producer set it, or a
// Pulsar producer's event time, else its publish time), never the broker's
// append time, so offsetsForTimes means what it means on Kafka. Pulsar keeps
// no time index, so a search reads the partition from its start until the
// first record at or after the target (each batch's max timestamp skips
// whole batches without decoding them); its cost grows with the data before
// the answer. docs/protocol.md says so.
#include <memory>

#include "handlers/handler.h"
#include "kop/core/log.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/list_offsets_request.h"
#include "kop/protocol/messages/list_offsets_response.h"
#include "kop/protocol/record_batch.h"
#include "kop/pulsar/entry.h"

namespace kop::core {
namespace {

using protocol::Code;
using protocol::ErrorCode;
using protocol::ListOffsetsRequest;
using protocol::ListOffsetsResponse;

// Kafka's special timestamps (ListOffsetsRequest).
constexpr int64_t kLatest = -1;
constexpr int64_t kEarliest = -2;
constexpr int64_t kMaxTimestamp = -3;
constexpr int64_t kEarliestLocal = -4;  // tiered storage: our log is local
constexpr int32_t kScanReadBytes = 1 << 20;

using Pending = PendingReply<ListOffsetsResponse>;

// One partition's scan, read chunk by chunk through the LogPort.
struct Scan {
  std::shared_ptr<Pending> pending;
  size_t t = 0, p = 0;
  LogPort* log = nullptr;
  std::string topic;
  int32_t partition = 0;
  int64_t target = 0;  // a timestamp >= 0, or kMaxTimestamp
  // Max-timestamp query: the best so far.
  int64_t best_timestamp = -1;
  int64_t best_offset = -1;
  std::vector<uint8_t> batch, scratch, records_scratch;

  ListOffsetsResponse::ListOffsetsPartitionResponse& Result() {
    return pending->response->topics[t].partitions[p];
  }
  void Finish(int64_t offset, int64_t timestamp) {
    Result().offset = offset;
    Result().timestamp = timestamp;
    pending->Done();
  }
  void Fail(ErrorCode error) {
    Result().error_code = Code(error);
    pending->Done();
  }

  // Looks at one stored entry; true when the answer is found.
  bool Visit(std::span<const uint8_t> bytes, int64_t& next) {
    absl::StatusOr<pulsar::EntryView> entry = pulsar::ParseEntry(bytes);
    if (!entry.ok() || !entry->index.has_value()) {
      Log(LogLevel::kWarn, "timestamp search skips an unreadable entry of " +
                               topic + "-" + std::to_string(partition));
      return false;
    }
    const int64_t last = static_cast<int64_t>(*entry->index);
    const int64_t base = last - entry->num_messages() + 1;
    next = last + 1;
    batch.clear();
    if (!pulsar::AppendAsKafkaBatch(*entry, base, scratch, batch).ok()) {
      return false;
    }
    absl::StatusOr<protocol::RecordBatchView> view =
        protocol::RecordBatchView::Parse(batch);
    if (!view.ok()) return false;
    const protocol::RecordBatchHeader& h = view->header();
    if (target >= 0 && h.max_timestamp < target) return false;
    if (target == kMaxTimestamp && h.max_timestamp <= best_timestamp) {
      return false;
    }
    absl::StatusOr<protocol::Bytes> records =
        view->Uncompressed(records_scratch);
    if (!records.ok()) return false;
    protocol::RecordIterator it = view->Records(*records);
    protocol::RecordView r;
    while (it.Next(r)) {
      const int64_t ts = h.base_timestamp + r.timestamp_delta;
      const int64_t offset = h.base_offset + r.offset_delta;
      if (target >= 0 && ts >= target) {
        Finish(offset, ts);
        return true;
      }
      if (target == kMaxTimestamp && ts > best_timestamp) {
        best_timestamp = ts;
        best_offset = offset;
      }
    }
    return false;
  }

  static void Step(std::shared_ptr<Scan> s, int64_t offset) {
    LogPort* log = s->log;
    const std::string topic = s->topic;
    const int32_t partition = s->partition;
    log->Read(topic, partition, offset, kScanReadBytes, 0,
              [s, offset](const ReadResult& r) {
                if (r.error_code != ErrorCode::NONE)
                  return s->Fail(r.error_code);
                int64_t next = std::max(offset, r.log_start_offset);
                for (std::span<const uint8_t> e : r.entries) {
                  if (s->Visit(e, next)) return;
                }
                if (next < r.log_end_offset && !r.entries.empty()) {
                  Step(s, next);
                  return;
                }
                // The end: no record at or after the target (Kafka answers
                // -1/-1), or the max timestamp seen.
                if (s->target == kMaxTimestamp) {
                  s->Finish(s->best_offset, s->best_timestamp);
                } else {
                  s->Finish(-1, -1);
                }
              });
  }
};

}  // namespace

namespace {

// Everything after the topic check (topic_access.h).
void ListOffsetsChecked(const RequestContext& ctx,
                        const ListOffsetsRequest& request,
                        const TopicDecisions& decisions, Reply reply) {
  auto pending = std::make_shared<Pending>();
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
      const TopicDecision& access = decisions.find(topic.name)->second;
      if (access.error != ErrorCode::NONE) {
        result.error_code = Code(access.error);
        continue;
      }
      const int64_t ts = part.timestamp;
      ++pending->outstanding;
      if (ts >= 0 || (ts == kMaxTimestamp && ctx.api_version >= 7)) {
        auto scan = std::make_shared<Scan>();
        scan->pending = pending;
        scan->t = t;
        scan->p = p;
        scan->log = ctx.log;
        scan->topic = access.resolved;
        scan->partition = part.partition_index;
        scan->target = ts;
        Scan::Step(scan, 0);
        continue;
      }
      if (ts != kLatest && ts != kEarliest && ts != kEarliestLocal) {
        // Tiered-storage queries (-5 and below) and -3 before v7.
        result.error_code = Code(ErrorCode::UNSUPPORTED_VERSION);
        pending->Done();
        continue;
      }
      ctx.log->Read(access.resolved, part.partition_index, 0, 0, 0,
                    [pending, t, p, ts](const ReadResult& r) {
                      ListOffsetsResponse::ListOffsetsPartitionResponse& res =
                          pending->response->topics[t].partitions[p];
                      res.error_code = Code(r.error_code);
                      if (r.error_code == ErrorCode::NONE) {
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

}  // namespace

void HandleListOffsets(const RequestContext& ctx,
                       const protocol::Message& message, Reply reply) {
  const auto& request = static_cast<const ListOffsetsRequest&>(message);
  WithTopics(
      ctx, request,
      {NamesOf(request.topics, &ListOffsetsRequest::ListOffsetsTopic::name),
       TopicAction::kConsume, ErrorCode::UNKNOWN_TOPIC_OR_PARTITION, ""},
      [ctx, reply = std::move(reply)](const ListOffsetsRequest& r,
                                      const TopicDecisions& d) {
        ListOffsetsChecked(ctx, r, d, reply);
      });
}

}  // namespace kop::core
