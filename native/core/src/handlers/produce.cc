// Produce (key 0): validate each partition's one batch, store it as a Pulsar
// entry through the LogPort, answer with the offsets the broker assigned.
//
// Served versions 3-12 (advertised from 0, as Kafka 4 does, see handlers.cc).
// Idempotent and transactional producers are not served yet: InitProducerId
// is not advertised, so clients do not send producer ids expecting checks.
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
  std::unique_ptr<ProduceResponse> response = std::make_unique<ProduceResponse>();
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

void HandleProduce(const RequestContext& ctx, const protocol::Message& message,
                   Reply reply) {
  const auto& request = static_cast<const ProduceRequest&>(message);
  auto pending = std::make_shared<PendingProduce>();
  pending->acks_zero = request.acks == 0;
  pending->reply = std::move(reply);

  int16_t request_error = 0;
  if (request.acks != 0 && request.acks != 1 && request.acks != -1) {
    request_error = Code(ErrorCode::INVALID_REQUIRED_ACKS);
  } else if (request.transactional_id.has_value()) {
    // Transactions are not served (no FindCoordinator for transactions).
    request_error = Code(ErrorCode::TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  }

  const int64_t now = NowMs();
  std::vector<uint8_t> scratch;
  std::vector<uint8_t> entry;
  ProduceResponse& response = *pending->response;
  response.responses.reserve(request.topic_data.size());
  for (size_t t = 0; t < request.topic_data.size(); ++t) {
    const ProduceRequest::TopicProduceData& topic = request.topic_data[t];
    ProduceResponse::TopicProduceResponse& out = response.responses.emplace_back();
    out.name = topic.name;
    out.partition_responses.reserve(topic.partition_data.size());
    for (size_t p = 0; p < topic.partition_data.size(); ++p) {
      const ProduceRequest::PartitionProduceData& part = topic.partition_data[p];
      ProduceResponse::PartitionProduceResponse& result =
          out.partition_responses.emplace_back();
      result.index = part.index;
      result.base_offset = -1;
      if (request_error != 0) {
        result.error_code = request_error;
        continue;
      }
      absl::StatusOr<protocol::RecordBatchView> batch =
          protocol::ParseProduceBatch(part.records.data, scratch);
      if (!batch.ok()) {
        result.error_code = protocol::RecordsKafkaError(batch.status());
        if (ctx.api_version >= 8) result.error_message = batch.status().ToString();
        Log(LogLevel::kWarn, "Produce to " + topic.name + "-" +
                                 std::to_string(part.index) + " refused: " +
                                 batch.status().ToString());
        continue;
      }
      // zstd needs Produce v7+ (KIP-110).
      if (batch->codec() == protocol::CompressionCodec::kZstd &&
          ctx.api_version < 7) {
        result.error_code = Code(ErrorCode::UNSUPPORTED_COMPRESSION_TYPE);
        continue;
      }
      entry.clear();
      pulsar::EncodeOptions options;
      options.format = Format(*ctx.broker);
      options.publish_time_ms = now;
      if (absl::Status st = pulsar::EncodeEntry(*batch, options, scratch, entry);
          !st.ok()) {
        result.error_code = protocol::RecordsKafkaError(st);
        continue;
      }
      ++pending->outstanding;
      ctx.log->Append(
          topic.name, part.index, entry, batch->header().records_count,
          [pending, t, p](const AppendResult& r) {
            ProduceResponse::PartitionProduceResponse& res =
                pending->response->responses[t].partition_responses[p];
            res.error_code = r.error_code;
            res.base_offset = r.error_code == 0 ? r.base_offset : -1;
            res.log_start_offset = r.log_start_offset;
            pending->Done();
          });
    }
  }
  pending->Done();
}

}  // namespace kop::core
