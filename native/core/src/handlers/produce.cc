// Produce (key 0): validate each partition's one batch, store it as a Pulsar
// entry through the LogPort, answer with the offsets the broker assigned.
//
// Served versions 3-12 (advertised from 0, as Kafka 4 does, see handlers.cc).
// Batches from idempotent producers (producer id >= 0) go through the
// broker's ProducerStateTable: a retried batch gets its original offset
// without a second append, a sequence gap is OUT_OF_ORDER_SEQUENCE_NUMBER.
// Transactional producers are not served.
#include <algorithm>
#include <chrono>
#include <memory>

#include "handlers/handler.h"
#include "kop/core/log.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/produce_request.h"
#include "kop/protocol/messages/produce_response.h"
#include "kop/protocol/record_batch.h"
#include "kop/pulsar/entry.h"

namespace kop::core {
namespace {

using protocol::Code;
using protocol::ErrorCode;
using protocol::ProduceRequest;
using protocol::ProduceResponse;

// Collects partition results; answers when the last append completes.
struct PendingProduce {
  std::unique_ptr<ProduceResponse> response =
      std::make_unique<ProduceResponse>();
  int outstanding = 1;  // released by the handler once every append is issued
  bool acks_zero = false;
  Reply reply;

  void Done() {
    if (--outstanding > 0) return;
    // acks=0: Kafka sends nothing back (the slot keeps later responses in
    // order all the same).
    reply(acks_zero ? nullptr : std::move(response));
  }
};

// The longest a backlog quota with producer_request_hold may hold one
// Produce (LogPort::ProduceAppend), whatever timeout_ms the client asks.
constexpr int32_t kMaxHoldMs = 60000;

// How long a held append may wait: the request's timeout_ms less a tenth, so
// the REQUEST_TIMED_OUT answer reaches the client before its own timer of
// the same length (Kafka clients send request.timeout.ms as timeout_ms)
// fires; capped at kMaxHoldMs. Pulsar holds its own producer's send until
// the backlog drops or the send times out.
int32_t HoldMs(int32_t timeout_ms) {
  if (timeout_ms <= 0) return 0;
  return std::min(timeout_ms - timeout_ms / 10, kMaxHoldMs);
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

pulsar::EntryFormat Format(const BrokerState& b) {
  return b.entry_format == "kafka" ? pulsar::EntryFormat::kKafka
                                   : pulsar::EntryFormat::kPulsar;
}

}  // namespace

// The record batches view the frame: a request kept for Pulsar's answers
// owns copies.
template <>
void KeepBytes(KeptRequest<ProduceRequest>& kept) {
  for (auto& topic : kept.request.topic_data) {
    for (auto& part : topic.partition_data) {
      const protocol::Bytes data = part.records.data;
      std::vector<uint8_t>& copy =
          kept.bytes.emplace_back(data.begin(), data.end());
      part.records.data = protocol::Bytes(copy.data(), copy.size());
    }
  }
}

namespace {

// Everything after the topic check.
void Produce(const RequestContext& ctx, const ProduceRequest& request,
             const TopicDecisions& decisions,
             std::shared_ptr<PendingProduce> pending) {
  ErrorCode request_error = ErrorCode::NONE;
  if (request.acks != 0 && request.acks != 1 && request.acks != -1) {
    request_error = ErrorCode::INVALID_REQUIRED_ACKS;
  } else if (request.transactional_id.has_value()) {
    // Transactions are not served (no FindCoordinator for transactions).
    request_error = ErrorCode::TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
  }

  const int64_t now = NowMs();
  std::vector<uint8_t> scratch;
  std::vector<uint8_t> entry;
  ProduceResponse& response = *pending->response;
  response.responses.reserve(request.topic_data.size());
  for (size_t t = 0; t < request.topic_data.size(); ++t) {
    const ProduceRequest::TopicProduceData& topic = request.topic_data[t];
    ProduceResponse::TopicProduceResponse& out =
        response.responses.emplace_back();
    out.name = topic.name;
    out.partition_responses.reserve(topic.partition_data.size());
    for (size_t p = 0; p < topic.partition_data.size(); ++p) {
      const ProduceRequest::PartitionProduceData& part =
          topic.partition_data[p];
      ProduceResponse::PartitionProduceResponse& result =
          out.partition_responses.emplace_back();
      result.index = part.index;
      result.base_offset = -1;
      if (request_error != ErrorCode::NONE) {
        result.error_code = Code(request_error);
        continue;
      }
      const TopicDecision& access = decisions.find(topic.name)->second;
      if (access.error != ErrorCode::NONE) {
        result.error_code = Code(access.error);
        if (ctx.api_version >= 8) result.error_message = access.message;
        continue;
      }
      const std::string& name = access.resolved;
      absl::StatusOr<protocol::RecordBatchView> batch =
          protocol::ParseProduceBatch(part.records.data, scratch);
      if (!batch.ok()) {
        result.error_code = protocol::RecordsKafkaError(batch.status());
        if (ctx.api_version >= 8)
          result.error_message = batch.status().ToString();
        Log(LogLevel::kWarn, "Produce to " + topic.name + "-" +
                                 std::to_string(part.index) +
                                 " refused: " + batch.status().ToString());
        continue;
      }
      // zstd needs Produce v7+ (KIP-110).
      if (batch->codec() == protocol::CompressionCodec::kZstd &&
          ctx.api_version < 7) {
        result.error_code = Code(ErrorCode::UNSUPPORTED_COMPRESSION_TYPE);
        continue;
      }
      const protocol::RecordBatchHeader& h = batch->header();
      const bool idempotent = h.producer_id >= 0;
      const int32_t last_seq = static_cast<int32_t>(
          (static_cast<int64_t>(h.base_sequence) + h.last_offset_delta) %
          (int64_t{INT32_MAX} + 1));
      if (h.is_transactional()) {
        result.error_code =
            Code(ErrorCode::TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
        continue;
      }
      if (idempotent) {
        ProducerStateTable::Check check =
            ctx.producers->Begin(h.producer_id, h.producer_epoch, name,
                                 part.index, h.base_sequence, last_seq);
        if (check.kind == ProducerStateTable::Check::Kind::kError) {
          result.error_code = Code(check.error_code);
          continue;
        }
        if (check.kind == ProducerStateTable::Check::Kind::kDuplicate) {
          result.base_offset = check.base_offset;  // Kafka answers success
          continue;
        }
      }
      entry.clear();
      pulsar::EncodeOptions options;
      options.format = Format(*ctx.broker);
      options.publish_time_ms = now;
      if (absl::Status st =
              pulsar::EncodeEntry(*batch, options, scratch, entry);
          !st.ok()) {
        result.error_code = protocol::RecordsKafkaError(st);
        if (idempotent) {
          ctx.producers->Complete(h.producer_id, h.producer_epoch, name,
                                  part.index, h.base_sequence, last_seq, false,
                                  -1);
        }
        continue;
      }
      ++pending->outstanding;
      ctx.log->ProduceAppend(
          h.producer_id, HoldMs(request.timeout_ms), name, part.index, entry,
          h.records_count,
          [pending, t, p, producers = ctx.producers, idempotent,
           version = ctx.api_version, pid = h.producer_id,
           epoch = h.producer_epoch, name, index = part.index,
           first = h.base_sequence, last_seq](const AppendResult& r) {
            ProduceResponse::PartitionProduceResponse& res =
                pending->response->responses[t].partition_responses[p];
            const bool ok = r.error_code == ErrorCode::NONE;
            res.error_code = Code(r.error_code);
            res.base_offset = ok ? r.base_offset : -1;
            res.log_start_offset = r.log_start_offset;
            if (r.throttle_time_ms > pending->response->throttle_time_ms) {
              pending->response->throttle_time_ms = r.throttle_time_ms;
            }
            if (!ok && version >= 8 && !r.error_message.empty()) {
              res.error_message = r.error_message;
            }
            if (idempotent) {
              producers->Complete(pid, epoch, name, index, first, last_seq, ok,
                                  r.base_offset);
            }
            pending->Done();
          });
    }
  }
  pending->Done();
}

}  // namespace

void HandleProduce(const RequestContext& ctx, const protocol::Message& message,
                   Reply reply) {
  const auto& request = static_cast<const ProduceRequest&>(message);
  auto pending = std::make_shared<PendingProduce>();
  pending->acks_zero = request.acks == 0;
  pending->reply = std::move(reply);
  WithTopics(
      ctx, request,
      {NamesOf(request.topic_data, &ProduceRequest::TopicProduceData::name),
       TopicAction::kProduce, ErrorCode::INVALID_TOPIC_EXCEPTION, ""},
      [ctx, pending](const ProduceRequest& r, const TopicDecisions& d) {
        Produce(ctx, r, d, pending);
      });
}

}  // namespace kop::core
