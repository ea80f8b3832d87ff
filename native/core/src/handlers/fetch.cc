// Fetch (key 1): read each partition through the LogPort and serve its
// entries as Kafka batches.
//
// Long polling in two rounds: every partition is first read without
// waiting; if that yields fewer than min_bytes and max_wait_ms > 0, every
// partition is read again with the wait, and the response goes out as soon
// as one of them has data (the port wakes on any append, Pulsar producers'
// included) or all have timed out.
//
// No incremental fetch sessions yet (KIP-227): the response's session id is
// 0, which tells clients to keep sending full requests.
#include <memory>

#include "handlers/handler.h"
#include "kop/core/log.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/fetch_request.h"
#include "kop/protocol/messages/fetch_response.h"
#include "kop/pulsar/entry.h"

namespace kop::core {
namespace {

using protocol::Code;
using protocol::ErrorCode;
using protocol::FetchRequest;
using protocol::FetchResponse;

struct Target {
  size_t topic;
  size_t partition;
  std::string name;
  int32_t index;
  int64_t offset;
  int32_t max_bytes;
};

struct PendingFetch {
  std::unique_ptr<FetchResponse> response = std::make_unique<FetchResponse>();
  std::vector<Target> targets;
  // Converted batches the response's records fields point into.
  std::vector<std::vector<uint8_t>> buffers;
  std::vector<uint8_t> scratch;
  int64_t bytes = 0;
  int64_t max_bytes = 0;
  int32_t min_bytes = 0;
  int32_t max_wait_ms = 0;
  int outstanding = 0;
  int round = 0;
  bool answered = false;
  LogPort* log = nullptr;
  Reply reply;
};

// Fills one partition's result from a read; returns its record bytes.
int64_t Fill(PendingFetch& f, const Target& t, const ReadResult& r) {
  FetchResponse::PartitionData& out =
      f.response->responses[t.topic].partitions[t.partition];
  out.partition_index = t.index;
  out.error_code = r.error_code;
  out.high_watermark = r.log_end_offset;
  out.last_stable_offset = r.log_end_offset;
  out.log_start_offset = r.log_start_offset;
  out.records = protocol::RecordsRef::Of({});
  if (r.error_code != 0) return 0;
  if (t.offset < r.log_start_offset || t.offset > r.log_end_offset) {
    // Below the log start (trimmed by retention) or past the end: the
    // client resets by its auto.offset.reset policy.
    out.error_code = Code(ErrorCode::OFFSET_OUT_OF_RANGE);
    return 0;
  }
  std::vector<uint8_t>& buf = f.buffers.emplace_back();
  for (std::span<const uint8_t> bytes : r.entries) {
    // KIP-74: the first batch is served even past max_bytes, so a large
    // batch never stalls a consumer.
    if (!buf.empty() &&
        (static_cast<int64_t>(buf.size()) + bytes.size() >
             static_cast<size_t>(t.max_bytes) ||
         f.bytes + static_cast<int64_t>(buf.size()) >= f.max_bytes)) {
      break;
    }
    absl::StatusOr<pulsar::EntryView> entry = pulsar::ParseEntry(bytes);
    if (!entry.ok() || !entry->index.has_value()) {
      Log(LogLevel::kError,
          "unreadable entry in " + t.name + "-" + std::to_string(t.index) +
              ": " +
              (entry.ok() ? std::string("no broker entry index")
                          : entry.status().ToString()));
      if (buf.empty()) out.error_code = Code(ErrorCode::CORRUPT_MESSAGE);
      break;
    }
    const int64_t last = static_cast<int64_t>(*entry->index);
    const int64_t base = last - entry->num_messages() + 1;
    if (last < t.offset) continue;  // entirely before the fetch offset
    if (absl::Status st =
            pulsar::AppendAsKafkaBatch(*entry, base, f.scratch, buf);
        !st.ok()) {
      Log(LogLevel::kError, "cannot convert entry at offset " +
                                std::to_string(base) + " of " + t.name + "-" +
                                std::to_string(t.index) + ": " + st.ToString());
      if (buf.empty()) out.error_code = Code(ErrorCode::CORRUPT_MESSAGE);
      break;
    }
  }
  out.records = protocol::RecordsRef::Of(buf);
  return static_cast<int64_t>(buf.size());
}

void Answer(const std::shared_ptr<PendingFetch>& f) {
  if (f->answered) return;
  f->answered = true;
  f->reply(std::move(f->response));
}

void ReadAll(const std::shared_ptr<PendingFetch>& f, int32_t wait_ms) {
  const int round = ++f->round;
  f->outstanding = static_cast<int>(f->targets.size());
  f->bytes = 0;
  // The previous round's records views point into the buffers about to go.
  for (const Target& t : f->targets) {
    f->response->responses[t.topic].partitions[t.partition].records =
        protocol::RecordsRef::Of({});
  }
  f->buffers.clear();
  f->buffers.reserve(f->targets.size());  // records views must not move
  for (const Target& t : f->targets) {
    f->log->Read(
        t.name, t.index, t.offset, t.max_bytes, wait_ms,
        [f, t, round, wait_ms](const ReadResult& r) {
          if (f->answered || round != f->round) return;
          f->bytes += Fill(*f, t, r);
          const bool last = --f->outstanding == 0;
          if (wait_ms > 0 && f->bytes > 0) {
            Answer(f);  // woken by data: do not wait for the rest
          } else if (last) {
            if (wait_ms == 0 && f->bytes < f->min_bytes && f->max_wait_ms > 0) {
              ReadAll(f, f->max_wait_ms);
            } else {
              Answer(f);
            }
          }
        });
  }
}

}  // namespace

void HandleFetch(const RequestContext& ctx, const protocol::Message& message,
                 Reply reply) {
  const auto& request = static_cast<const FetchRequest&>(message);
  auto f = std::make_shared<PendingFetch>();
  f->log = ctx.log;
  f->reply = std::move(reply);
  f->max_bytes = request.max_bytes > 0 ? request.max_bytes : INT32_MAX;
  f->min_bytes = request.min_bytes;
  f->max_wait_ms = request.max_wait_ms;
  FetchResponse& response = *f->response;
  if (ctx.api_version >= 7 && request.session_id != 0) {
    // We never hand out sessions, so a client naming one is out of step.
    response.error_code = Code(ErrorCode::FETCH_SESSION_ID_NOT_FOUND);
    f->reply(std::move(f->response));
    return;
  }
  for (size_t t = 0; t < request.topics.size(); ++t) {
    const FetchRequest::FetchTopic& topic = request.topics[t];
    FetchResponse::FetchableTopicResponse& out =
        response.responses.emplace_back();
    out.topic = topic.topic;
    for (size_t p = 0; p < topic.partitions.size(); ++p) {
      const FetchRequest::FetchPartition& part = topic.partitions[p];
      FetchResponse::PartitionData& pd = out.partitions.emplace_back();
      pd.partition_index = part.partition;
      if (!IsLegalTopicName(topic.topic)) {
        pd.error_code = Code(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
        continue;
      }
      f->targets.push_back(Target{
          t, p, topic.topic, part.partition, part.fetch_offset,
          part.partition_max_bytes > 0 ? part.partition_max_bytes : INT32_MAX});
    }
  }
  if (f->targets.empty()) {
    f->reply(std::move(f->response));
    return;
  }
  ReadAll(f, 0);
}

}  // namespace kop::core
