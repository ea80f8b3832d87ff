// Produce through the connection into an in-memory log: offsets, errors per
// partition, acks=0, ordering, and the stored entries' format.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "core_test_util.h"
#include "kop/core/broker.h"
#include "kop/protocol/api.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/api_versions_request.h"
#include "kop/protocol/messages/api_versions_response.h"
#include "kop/protocol/messages/init_producer_id_request.h"
#include "kop/protocol/messages/init_producer_id_response.h"
#include "kop/protocol/messages/produce_request.h"
#include "kop/protocol/messages/produce_response.h"
#include "kop/protocol/messages/request_header.h"
#include "kop/protocol/messages/response_header.h"
#include "kop/protocol/record_batch.h"
#include "kop/pulsar/entry.h"
#include "kop/testing/fake_log.h"
#include "kop/testing/fake_topics.h"

namespace kop::core {
namespace {

using namespace kop::protocol;  // NOLINT: test brevity

using testing::RecordingSink;

std::vector<uint8_t> Frame(int16_t key, int16_t version, int32_t corr,
                           const Message& body) {
  return testing::RequestFrame(key, version, corr, body);
}

template <typename T>
T Response(const std::vector<uint8_t>& frame, int16_t key, int16_t version,
           int32_t corr) {
  return testing::DecodeResponse<T>(frame, key, version, corr);
}

std::vector<uint8_t> Batch(int n,
                           CompressionCodec codec = CompressionCodec::kNone) {
  return testing::TestBatch(n, codec);
}

ProduceRequest Request(
    int16_t acks,
    std::vector<std::pair<int32_t, const std::vector<uint8_t>*>> parts) {
  ProduceRequest req;
  req.acks = acks;
  req.timeout_ms = 30000;
  auto& t = req.topic_data.emplace_back();
  t.name = "orders";
  for (auto& [index, batch] : parts) {
    auto& p = t.partition_data.emplace_back();
    p.index = index;
    p.records = RecordsRef::Of(*batch);
  }
  return req;
}

struct Fixture {
  explicit Fixture(std::string format = "pulsar")
      : broker(
            Broker::Create({{"kop.node.id", "1"}, {"entryFormat", format}})) {}
  std::unique_ptr<Broker> broker;
  RecordingSink sink;
  testing::FakeTopics topics;
  testing::FakeLog log;
  std::unique_ptr<Connection> conn = broker->Accept(&sink, &topics, &log);
};

TEST_CASE("Produce appends each partition's batch and answers its base offset",
          "[produce]") {
  for (int16_t v : {3, 7, 9, 12}) {
    Fixture f;
    auto b3 = Batch(3), b2 = Batch(2);
    f.conn->OnFrame(Frame(0, v, 1, Request(-1, {{0, &b3}, {1, &b2}})));
    f.conn->OnFrame(Frame(0, v, 2, Request(1, {{0, &b2}})));
    REQUIRE(f.sink.frames.size() == 2);
    auto r1 = Response<ProduceResponse>(f.sink.frames[0], 0, v, 1);
    REQUIRE(r1.responses.at(0).partition_responses.size() == 2);
    CHECK(r1.responses[0].name == "orders");
    CHECK(r1.responses[0].partition_responses[0].error_code == 0);
    CHECK(r1.responses[0].partition_responses[0].base_offset == 0);
    CHECK(r1.responses[0].partition_responses[1].base_offset == 0);
    auto r2 = Response<ProduceResponse>(f.sink.frames[1], 0, v, 2);
    CHECK(r2.responses[0].partition_responses[0].base_offset == 3);
    CHECK(f.log.partitions[{"orders", 0}].entries.size() == 2);
  }
}

TEST_CASE("stored entries are Pulsar entries that read back as the records",
          "[produce]") {
  for (std::string format : {"pulsar", "kafka"}) {
    Fixture f(format);
    auto b = Batch(4, CompressionCodec::kLz4);
    f.conn->OnFrame(Frame(0, 9, 1, Request(-1, {{0, &b}})));
    const auto& entry = f.log.partitions[{"orders", 0}].entries.at(0);
    auto view = pulsar::ParseEntry(entry);
    REQUIRE(view.ok());
    CHECK(view->num_messages() == 4);
    CHECK(view->kafka_format() == (format == "kafka"));
    std::vector<uint8_t> scratch, back;
    REQUIRE(pulsar::AppendAsKafkaBatch(*view, 0, scratch, back).ok());
    auto batch = RecordBatchView::Parse(back);
    REQUIRE(batch.ok());
    CHECK(batch->header().records_count == 4);
  }
}

TEST_CASE("Produce errors are per partition and in Kafka's codes",
          "[produce]") {
  Fixture f;
  auto good = Batch(1);
  auto corrupt = Batch(2);
  corrupt[corrupt.size() - 1] ^= 0x01;  // breaks the CRC
  auto two = Batch(1);
  auto second = Batch(1);
  two.insert(two.end(), second.begin(), second.end());  // two batches
  auto zstd = Batch(1, CompressionCodec::kZstd);
  f.conn->OnFrame(
      Frame(0, 9, 1, Request(-1, {{0, &good}, {1, &corrupt}, {2, &two}})));
  auto r = Response<ProduceResponse>(f.sink.frames.at(0), 0, 9, 1);
  auto& parts = r.responses[0].partition_responses;
  CHECK(parts[0].error_code == 0);
  CHECK(parts[1].error_code == Code(ErrorCode::CORRUPT_MESSAGE));
  CHECK(parts[1].base_offset == -1);
  CHECK(parts[2].error_code == Code(ErrorCode::INVALID_RECORD));
  CHECK(parts[2].error_message.has_value());
  // zstd before v7 (KIP-110).
  f.conn->OnFrame(Frame(0, 6, 2, Request(-1, {{0, &zstd}})));
  auto z = Response<ProduceResponse>(f.sink.frames.at(1), 0, 6, 2);
  CHECK(z.responses[0].partition_responses[0].error_code ==
        Code(ErrorCode::UNSUPPORTED_COMPRESSION_TYPE));
  // Bad acks, and a storage failure.
  f.conn->OnFrame(Frame(0, 9, 3, Request(2, {{0, &good}})));
  CHECK(Response<ProduceResponse>(f.sink.frames.at(2), 0, 9, 3)
            .responses[0]
            .partition_responses[0]
            .error_code == Code(ErrorCode::INVALID_REQUIRED_ACKS));
  f.log.fail_with = ErrorCode::NOT_LEADER_OR_FOLLOWER;
  f.conn->OnFrame(Frame(0, 9, 4, Request(1, {{0, &good}})));
  CHECK(Response<ProduceResponse>(f.sink.frames.at(3), 0, 9, 4)
            .responses[0]
            .partition_responses[0]
            .error_code == Code(ErrorCode::NOT_LEADER_OR_FOLLOWER));
  CHECK_FALSE(f.sink.closed);
}

TEST_CASE("acks=0 is not answered and keeps later answers in order",
          "[produce]") {
  Fixture f;
  f.log.defer = true;
  auto b = Batch(1);
  f.conn->OnFrame(Frame(0, 9, 1, Request(0, {{0, &b}})));
  f.conn->OnFrame(Frame(0, 9, 2, Request(-1, {{1, &b}})));
  ApiVersionsRequest av;
  av.client_software_name = "test";
  av.client_software_version = "1";
  f.conn->OnFrame(Frame(18, 3, 3, av));
  CHECK(f.sink.frames.empty());
  f.log.RunDeferredNewestFirst();
  REQUIRE(f.sink.frames.size() == 2);
  auto r = Response<ProduceResponse>(f.sink.frames[0], 0, 9, 2);
  CHECK(r.responses[0].partition_responses[0].index == 1);
  CHECK(r.responses[0].partition_responses[0].base_offset == 0);
  CHECK(f.log.partitions[{"orders", 0}].entries.size() ==
        1);  // acks=0 stored too
  auto av_resp = Response<ApiVersionsResponse>(f.sink.frames[1], 18, 3, 3);
  CHECK(av_resp.api_keys.at(0).api_key == 0);
  CHECK(av_resp.api_keys.at(0).min_version ==
        0);  // advertised from 0 as Kafka 4
  CHECK(av_resp.api_keys.at(0).max_version == 12);
}

TEST_CASE("without a log, Produce is neither advertised nor served",
          "[produce]") {
  auto broker = Broker::Create({});
  RecordingSink sink;
  testing::FakeTopics topics;
  auto conn = broker->Accept(&sink, &topics);
  ApiVersionsRequest av;
  av.client_software_name = "test";
  av.client_software_version = "1";
  conn->OnFrame(Frame(18, 3, 1, av));
  auto resp = Response<ApiVersionsResponse>(sink.frames.at(0), 18, 3, 1);
  for (const auto& k : resp.api_keys) CHECK(k.api_key != 0);
  auto b = Batch(1);
  conn->OnFrame(Frame(0, 9, 2, Request(-1, {{0, &b}})));
  CHECK(sink.closed);
}

TEST_CASE("Produce v0-v2 is advertised for librdkafka but refused",
          "[produce]") {
  Fixture f;
  f.conn->OnFrame(
      std::vector<uint8_t>{0, 0, 0, 2, 0, 0, 0, 1, 0xff, 0xff, 0, 1});
  CHECK(f.sink.closed);
}

}  // namespace
}  // namespace kop::core

namespace kop::core {
namespace {

std::vector<uint8_t> IdempotentBatch(int64_t pid, int16_t epoch, int32_t seq,
                                     int n) {
  static const std::string value = "x";
  std::vector<RecordInput> in(static_cast<size_t>(n));
  for (auto& r : in)
    r.value = Bytes(reinterpret_cast<const uint8_t*>(value.data()), 1);
  BatchBuildOptions o;
  o.producer_id = pid;
  o.producer_epoch = epoch;
  o.base_sequence = seq;
  std::vector<uint8_t> out;
  REQUIRE(AppendRecordBatch(in, o, out).ok());
  return out;
}

TEST_CASE(
    "InitProducerId hands out ids; idempotent retries get their offset back",
    "[produce]") {
  Fixture f;
  InitProducerIdRequest init;
  init.transactional_id.reset();
  f.conn->OnFrame(Frame(22, 4, 1, init));
  auto id = Response<InitProducerIdResponse>(f.sink.frames.at(0), 22, 4, 1);
  REQUIRE(id.error_code == 0);
  REQUIRE(id.producer_id >= 0);
  CHECK(id.producer_epoch == 0);
  f.conn->OnFrame(Frame(22, 4, 2, init));
  CHECK(Response<InitProducerIdResponse>(f.sink.frames.at(1), 22, 4, 2)
            .producer_id != id.producer_id);

  const int64_t pid = id.producer_id;
  auto b0 = IdempotentBatch(pid, 0, 0, 3);
  auto b1 = IdempotentBatch(pid, 0, 3, 2);
  auto gap = IdempotentBatch(pid, 0, 9, 1);
  int32_t corr = 10;
  auto produce = [&](const std::vector<uint8_t>& b) {
    f.conn->OnFrame(Frame(0, 9, ++corr, Request(-1, {{0, &b}})));
    return Response<ProduceResponse>(f.sink.frames.back(), 0, 9, corr)
        .responses[0]
        .partition_responses[0];
  };
  CHECK(produce(b0).base_offset == 0);
  CHECK(produce(b1).base_offset == 3);
  // The retry of b0 (e.g. its response was lost): success, original offset,
  // and nothing stored twice.
  auto dup = produce(b0);
  CHECK(dup.error_code == 0);
  CHECK(dup.base_offset == 0);
  CHECK(f.log.partitions[{"orders", 0}].entries.size() == 2);
  CHECK(produce(gap).error_code ==
        Code(ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER));
  // An older epoch is fenced; a bumped epoch restarts at sequence 0.
  auto bumped = IdempotentBatch(pid, 1, 0, 1);
  CHECK(produce(bumped).base_offset == 5);
  CHECK(produce(IdempotentBatch(pid, 0, 5, 1)).error_code ==
        Code(ErrorCode::INVALID_PRODUCER_EPOCH));

  // KIP-360 re-initialisation keeps the id and bumps the epoch.
  InitProducerIdRequest again;
  again.transactional_id.reset();
  again.producer_id = pid;
  again.producer_epoch = 1;
  f.conn->OnFrame(Frame(22, 4, ++corr, again));
  auto re = Response<InitProducerIdResponse>(f.sink.frames.back(), 22, 4, corr);
  CHECK(re.producer_id == pid);
  CHECK(re.producer_epoch == 2);
  // Transactional ids are refused: transactions are not served.
  InitProducerIdRequest txn;
  txn.transactional_id = "tx-1";
  f.conn->OnFrame(Frame(22, 4, ++corr, txn));
  CHECK(Response<InitProducerIdResponse>(f.sink.frames.back(), 22, 4, corr)
            .error_code ==
        Code(ErrorCode::TRANSACTIONAL_ID_AUTHORIZATION_FAILED));
}

TEST_CASE("a failed idempotent append can be retried", "[produce]") {
  Fixture f;
  auto b0 = IdempotentBatch(77, 0, 0, 2);
  f.log.fail_with = ErrorCode::NOT_LEADER_OR_FOLLOWER;
  f.conn->OnFrame(Frame(0, 9, 1, Request(-1, {{0, &b0}})));
  CHECK(Response<ProduceResponse>(f.sink.frames.back(), 0, 9, 1)
            .responses[0]
            .partition_responses[0]
            .error_code == Code(ErrorCode::NOT_LEADER_OR_FOLLOWER));
  f.log.fail_with = ErrorCode::NONE;
  f.conn->OnFrame(Frame(0, 9, 2, Request(-1, {{0, &b0}})));
  auto r = Response<ProduceResponse>(f.sink.frames.back(), 0, 9, 2)
               .responses[0]
               .partition_responses[0];
  CHECK(r.error_code == 0);
  CHECK(r.base_offset == 0);
}

TEST_CASE("a partition that left this broker keeps no stale producer state",
          "[produce]") {
  Fixture f;
  int32_t corr = 0;
  auto produce = [&](const std::vector<uint8_t>& b) {
    f.conn->OnFrame(Frame(0, 9, ++corr, Request(-1, {{0, &b}})));
    return Response<ProduceResponse>(f.sink.frames.back(), 0, 9, corr)
        .responses[0]
        .partition_responses[0];
  };
  CHECK(produce(IdempotentBatch(77, 0, 0, 2)).error_code == 0);
  // The partition went to another broker, which took sequences 2..9, and
  // came back: sequence 10 is refused while the old state is kept ...
  CHECK(produce(IdempotentBatch(77, 0, 10, 1)).error_code ==
        Code(ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER));
  // ... and accepted once the move away was reported.
  f.broker->PartitionLeft("orders", 0);
  f.broker->PartitionLeft("orders", 5);  // never produced to: harmless
  auto back = produce(IdempotentBatch(77, 0, 10, 1));
  CHECK(back.error_code == 0);
  CHECK(back.base_offset == 2);
  // From there on sequences are checked again.
  CHECK(produce(IdempotentBatch(77, 0, 13, 1)).error_code ==
        Code(ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER));
}

TEST_CASE(
    "a policy refusal's message and a rate limit's pause reach the client",
    "[produce]") {
  Fixture f;
  auto b = IdempotentBatch(77, 0, 0, 2);
  f.log.fail_with = ErrorCode::POLICY_VIOLATION;
  f.log.fail_message = "the topic's backlog quota is exceeded";
  f.conn->OnFrame(Frame(0, 9, 1, Request(-1, {{0, &b}})));
  CHECK(f.log.last_producer_id == 77);
  auto refused = Response<ProduceResponse>(f.sink.frames.back(), 0, 9, 1)
                     .responses[0]
                     .partition_responses[0];
  CHECK(refused.error_code == Code(ErrorCode::POLICY_VIOLATION));
  CHECK(refused.error_message == "the topic's backlog quota is exceeded");
  f.log.fail_with = ErrorCode::NONE;
  f.log.throttle_time_ms = 250;
  f.conn->OnFrame(Frame(0, 9, 2, Request(-1, {{0, &b}})));
  auto ok = Response<ProduceResponse>(f.sink.frames.back(), 0, 9, 2);
  CHECK(ok.throttle_time_ms == 250);
  CHECK(ok.responses[0].partition_responses[0].error_code == 0);
  CHECK_FALSE(ok.responses[0].partition_responses[0].error_message.has_value());
}

TEST_CASE("a backlog quota hold may last the request's timeout less a tenth",
          "[produce]") {
  Fixture f;
  auto b = Batch(1);
  const std::pair<int32_t, int32_t> cases[] = {
      {30000, 27000}, {1000, 900}, {0, 0}, {-1, 0}, {600000, 60000}};
  int32_t corr = 0;
  for (const auto& [timeout_ms, hold_ms] : cases) {
    ProduceRequest req = Request(-1, {{0, &b}});
    req.timeout_ms = timeout_ms;
    f.conn->OnFrame(Frame(0, 9, ++corr, req));
    CHECK(f.log.last_max_hold_ms == hold_ms);
  }
}

}  // namespace
}  // namespace kop::core
