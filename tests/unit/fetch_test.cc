// Fetch and ListOffsets through the connection over an in-memory log:
// what was produced comes back as Kafka batches at the right offsets, in
// both entry formats; long polls wake on appends; offsets out of range.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "core_test_util.h"
#include "fetch_sessions.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/api_versions_request.h"
#include "kop/protocol/messages/api_versions_response.h"
#include "kop/protocol/messages/fetch_request.h"
#include "kop/protocol/messages/fetch_response.h"
#include "kop/protocol/messages/list_offsets_request.h"
#include "kop/protocol/messages/list_offsets_response.h"
#include "kop/protocol/messages/offset_for_leader_epoch_request.h"
#include "kop/protocol/messages/offset_for_leader_epoch_response.h"
#include "kop/protocol/messages/produce_request.h"
#include "kop/protocol/messages/produce_response.h"
#include "kop/testing/fake_log.h"
#include "kop/testing/fake_topics.h"

namespace kop::core {
namespace {

using namespace kop::protocol;  // NOLINT: test brevity
using testing::DecodeResponse;
using testing::RequestFrame;
using testing::TestBatch;

struct Fixture {
  explicit Fixture(std::string format = "pulsar")
      : broker(
            Broker::Create({{"kop.node.id", "1"}, {"entryFormat", format}})) {}
  std::unique_ptr<Broker> broker;
  testing::RecordingSink sink;
  testing::FakeTopics topics;
  testing::FakeLog log;
  std::unique_ptr<Connection> conn = broker->Accept(&sink, &topics, &log);
  int32_t corr = 0;

  // Produces `batch` to orders-0 and checks the answer.
  void Produce(const std::vector<uint8_t>& batch) {
    ProduceRequest req;
    req.acks = -1;
    req.timeout_ms = 1000;
    auto& t = req.topic_data.emplace_back();
    t.name = "orders";
    auto& p = t.partition_data.emplace_back();
    p.records = RecordsRef::Of(batch);
    const size_t before = sink.frames.size();
    conn->OnFrame(RequestFrame(0, 9, ++corr, req));
    REQUIRE(sink.frames.size() > before);  // a woken long poll may answer first
    auto r = DecodeResponse<ProduceResponse>(sink.frames.back(), 0, 9, corr);
    REQUIRE(r.responses[0].partition_responses[0].error_code == 0);
  }

  FetchRequest Fetch(int64_t offset, int32_t max_wait = 0,
                     int32_t min_bytes = 1, int32_t partition_max = 1 << 20) {
    FetchRequest req;
    req.max_wait_ms = max_wait;
    req.min_bytes = min_bytes;
    req.max_bytes = 50 << 20;
    auto& t = req.topics.emplace_back();
    t.topic = "orders";
    auto& p = t.partitions.emplace_back();
    p.fetch_offset = offset;
    p.partition_max_bytes = partition_max;
    return req;
  }
};

// (offset, value) of every record in a Fetch partition's records.
std::vector<std::pair<int64_t, std::string>> Records(
    const FetchResponse::PartitionData& p) {
  std::vector<std::pair<int64_t, std::string>> out;
  BatchCursor cursor(p.records.data);
  std::vector<uint8_t> scratch;
  while (true) {
    auto next = cursor.Next();
    REQUIRE(next.ok());
    if (!next->has_value()) break;
    const RecordBatchView& b = **next;
    REQUIRE(b.CheckCrc().ok());
    auto payload = b.Uncompressed(scratch);
    REQUIRE(payload.ok());
    auto it = b.Records(*payload);
    RecordView r;
    while (it.Next(r)) {
      out.emplace_back(
          b.header().base_offset + r.offset_delta,
          std::string(reinterpret_cast<const char*>(r.value->data()),
                      r.value->size()));
    }
  }
  return out;
}

TEST_CASE(
    "Fetch returns what Produce stored, at Kafka offsets, in both formats",
    "[fetch]") {
  for (std::string format : {"pulsar", "kafka"}) {
    for (int16_t v : {4, 11, 12}) {
      Fixture f(format);
      f.Produce(TestBatch(3, CompressionCodec::kGzip));
      f.Produce(TestBatch(2));
      f.conn->OnFrame(RequestFrame(1, v, 100, f.Fetch(0)));
      auto r = DecodeResponse<FetchResponse>(f.sink.frames.back(), 1, v, 100);
      const auto& p = r.responses.at(0).partitions.at(0);
      CHECK(p.error_code == 0);
      CHECK(p.high_watermark == 5);
      if (v >= 5) CHECK(p.log_start_offset == 0);
      auto recs = Records(p);
      REQUIRE(recs.size() == 5);
      CHECK(recs[0] == std::make_pair(int64_t{0}, std::string("v0")));
      CHECK(recs[3] == std::make_pair(int64_t{3}, std::string("v0")));
      CHECK(recs[4] == std::make_pair(int64_t{4}, std::string("v1")));

      // From the middle: the entry holding offset 4 onwards.
      f.conn->OnFrame(RequestFrame(1, v, 101, f.Fetch(4)));
      auto mid = DecodeResponse<FetchResponse>(f.sink.frames.back(), 1, v, 101);
      auto tail = Records(mid.responses[0].partitions[0]);
      REQUIRE_FALSE(tail.empty());
      CHECK(tail.back().first == 4);
      CHECK(tail.front().first == 3);  // whole entry; the client skips < 4
    }
  }
}

TEST_CASE("Fetch honours partition_max_bytes but always serves one batch",
          "[fetch]") {
  Fixture f;
  for (int i = 0; i < 5; ++i) f.Produce(TestBatch(10));
  f.conn->OnFrame(RequestFrame(1, 12, 100, f.Fetch(0, 0, 1, 1)));
  auto r = DecodeResponse<FetchResponse>(f.sink.frames.back(), 1, 12, 100);
  CHECK(Records(r.responses[0].partitions[0]).size() == 10);  // one batch
}

TEST_CASE("Fetch outside the log is OFFSET_OUT_OF_RANGE", "[fetch]") {
  Fixture f;
  f.Produce(TestBatch(3));
  f.log.partitions[{"orders", 0}].start_offset = 2;  // retention trimmed
  for (int64_t offset : {int64_t{1}, int64_t{4}}) {
    f.conn->OnFrame(RequestFrame(1, 12, 7, f.Fetch(offset)));
    auto r = DecodeResponse<FetchResponse>(f.sink.frames.back(), 1, 12, 7);
    CHECK(r.responses[0].partitions[0].error_code ==
          Code(ErrorCode::OFFSET_OUT_OF_RANGE));
    CHECK(r.responses[0].partitions[0].log_start_offset == 2);
  }
  // The end itself is fine: nothing yet.
  f.conn->OnFrame(RequestFrame(1, 12, 8, f.Fetch(3)));
  auto r = DecodeResponse<FetchResponse>(f.sink.frames.back(), 1, 12, 8);
  CHECK(r.responses[0].partitions[0].error_code == 0);
  CHECK(Records(r.responses[0].partitions[0]).empty());
}

TEST_CASE("a long poll is answered by the next append", "[fetch]") {
  Fixture f;
  f.conn->OnFrame(RequestFrame(1, 12, 50, f.Fetch(0, 500)));
  CHECK(f.sink.frames.empty());  // waiting
  f.Produce(TestBatch(2));       // any append wakes it...
  // ...the Fetch answers first: responses stay in request order.
  REQUIRE(f.sink.frames.size() == 2);
  auto r = DecodeResponse<FetchResponse>(f.sink.frames[0], 1, 12, 50);
  CHECK(Records(r.responses[0].partitions[0]).size() == 2);
}

TEST_CASE("a long poll times out empty", "[fetch]") {
  Fixture f;
  f.conn->OnFrame(RequestFrame(1, 12, 51, f.Fetch(0, 500)));
  CHECK(f.sink.frames.empty());
  f.log.TimeOutWaiters();
  REQUIRE(f.sink.frames.size() == 1);
  auto r = DecodeResponse<FetchResponse>(f.sink.frames[0], 1, 12, 51);
  CHECK(r.responses[0].partitions[0].error_code == 0);
  CHECK(r.responses[0].partitions[0].high_watermark == 0);
  CHECK(Records(r.responses[0].partitions[0]).empty());
}

TEST_CASE("a fetch session we never created is refused", "[fetch]") {
  Fixture f;
  FetchRequest req = f.Fetch(0);
  req.session_id = 77;
  req.session_epoch = 3;
  f.conn->OnFrame(RequestFrame(1, 12, 9, req));
  auto r = DecodeResponse<FetchResponse>(f.sink.frames.back(), 1, 12, 9);
  CHECK(r.error_code == Code(ErrorCode::FETCH_SESSION_ID_NOT_FOUND));
}

// A batch whose records carry these timestamps (values "v<i>").
std::vector<uint8_t> BatchAt(
    std::vector<int64_t> timestamps,
    protocol::CompressionCodec codec = protocol::CompressionCodec::kNone) {
  std::vector<protocol::RecordInput> in(timestamps.size());
  for (size_t i = 0; i < timestamps.size(); ++i)
    in[i].timestamp = timestamps[i];
  protocol::BatchBuildOptions o;
  o.codec = codec;
  std::vector<uint8_t> out;
  REQUIRE(protocol::AppendRecordBatch(in, o, out).ok());
  return out;
}

ListOffsetsResponse ListAt(Fixture& f, int16_t v,
                           std::vector<int64_t> timestamps) {
  ListOffsetsRequest req;
  auto& t = req.topics.emplace_back();
  t.name = "orders";
  for (int64_t ts : timestamps) t.partitions.emplace_back().timestamp = ts;
  f.conn->OnFrame(RequestFrame(2, v, 3, req));
  return DecodeResponse<ListOffsetsResponse>(f.sink.frames.back(), 2, v, 3);
}

TEST_CASE("ListOffsets answers earliest and latest", "[fetch]") {
  Fixture f;
  f.Produce(TestBatch(4));
  f.log.partitions[{"orders", 0}].start_offset = 1;
  for (int16_t v : {1, 5, 10}) {
    auto r = ListAt(f, v, {-1, -2, -4, -5});
    const auto& parts = r.topics.at(0).partitions;
    REQUIRE(parts.size() == 4);
    CHECK(parts[0].offset == 4);
    CHECK(parts[1].offset == 1);
    CHECK(parts[2].offset == 1);  // earliest-local: our log is all local
    CHECK(parts[3].error_code == Code(ErrorCode::UNSUPPORTED_VERSION));
  }
}

TEST_CASE("ListOffsets by timestamp uses the records' own timestamps",
          "[fetch]") {
  Fixture f;
  // Offsets 0-2, 3-4 (lz4), 5: timestamps out of order across batches, as
  // producers with skewed clocks write them.
  f.Produce(BatchAt({1000, 2000, 3000}));
  f.Produce(BatchAt({2500, 5000}, protocol::CompressionCodec::kLz4));
  f.Produce(BatchAt({4000}));
  auto r = ListAt(f, 5, {0, 1000, 1001, 2400, 3500, 4500, 5000, 5001});
  const auto& parts = r.topics.at(0).partitions;
  REQUIRE(parts.size() == 8);
  auto at = [&](size_t i) {
    return std::pair(parts[i].offset, parts[i].timestamp);
  };
  CHECK(at(0) == std::pair<int64_t, int64_t>(0, 1000));
  CHECK(at(1) == std::pair<int64_t, int64_t>(0, 1000));
  CHECK(at(2) == std::pair<int64_t, int64_t>(1, 2000));
  CHECK(at(3) == std::pair<int64_t, int64_t>(2, 3000));
  CHECK(at(4) == std::pair<int64_t, int64_t>(4, 5000));  // first at/after
  CHECK(at(5) == std::pair<int64_t, int64_t>(4, 5000));
  CHECK(at(6) == std::pair<int64_t, int64_t>(4, 5000));
  CHECK(at(7) == std::pair<int64_t, int64_t>(-1, -1));  // none: Kafka's -1
  for (const auto& p : parts) CHECK(p.error_code == 0);

  // KIP-734: the record with the largest timestamp (v7+).
  r = ListAt(f, 7, {-3});
  CHECK(r.topics[0].partitions[0].offset == 4);
  CHECK(r.topics[0].partitions[0].timestamp == 5000);
  r = ListAt(f, 6, {-3});
  CHECK(r.topics[0].partitions[0].error_code ==
        Code(ErrorCode::UNSUPPORTED_VERSION));
}

TEST_CASE("ListOffsets by timestamp on an empty partition is -1", "[fetch]") {
  Fixture f;
  auto r = ListAt(f, 7, {0, -3});
  CHECK(r.topics[0].partitions[0].offset == -1);
  CHECK(r.topics[0].partitions[1].offset == -1);
  CHECK(r.topics[0].partitions[1].error_code == 0);
}

TEST_CASE("Fetch and ListOffsets are advertised only with a readable log",
          "[fetch]") {
  for (bool readable : {true, false}) {
    Fixture f;
    f.log.readable = readable;
    ApiVersionsRequest av;
    av.client_software_name = "t";
    av.client_software_version = "1";
    f.conn->OnFrame(RequestFrame(18, 3, 1, av));
    auto r =
        DecodeResponse<ApiVersionsResponse>(f.sink.frames.back(), 18, 3, 1);
    bool fetch = false;
    for (const auto& k : r.api_keys) fetch |= k.api_key == 1;
    CHECK(fetch == readable);
  }
}

TEST_CASE("OffsetForLeaderEpoch: one epoch ending at the log end", "[fetch]") {
  Fixture f;
  f.Produce(TestBatch(3));
  for (int16_t v : {2, 3, 4}) {
    OffsetForLeaderEpochRequest req;
    auto& t = req.topics.emplace_back();
    t.topic = "orders";
    auto add = [&t](int32_t current, int32_t epoch) {
      auto& p = t.partitions.emplace_back();
      p.current_leader_epoch = current;
      p.leader_epoch = epoch;
    };
    add(-1, 0);
    add(0, 5);
    add(-1, -1);
    add(1, 0);
    f.conn->OnFrame(RequestFrame(23, v, 4, req));
    auto r = DecodeResponse<OffsetForLeaderEpochResponse>(f.sink.frames.back(),
                                                          23, v, 4);
    const auto& parts = r.topics.at(0).partitions;
    REQUIRE(parts.size() == 4);
    CHECK(parts[0].error_code == 0);
    CHECK(parts[0].leader_epoch == 0);
    CHECK(parts[0].end_offset == 3);
    CHECK(parts[1].end_offset == 3);
    CHECK(parts[2].leader_epoch == -1);
    CHECK(parts[2].end_offset == -1);
    CHECK(parts[3].error_code == Code(ErrorCode::UNKNOWN_LEADER_EPOCH));
  }
}

// A Fetch in a session: `parts` are (partition, offset) of topic orders.
FetchRequest SessionFetch(int32_t id, int32_t epoch,
                          std::vector<std::pair<int32_t, int64_t>> parts,
                          std::vector<int32_t> forget = {}) {
  FetchRequest req;
  req.max_wait_ms = 0;
  req.min_bytes = 0;
  req.max_bytes = 50 << 20;
  req.session_id = id;
  req.session_epoch = epoch;
  if (!parts.empty()) {
    auto& t = req.topics.emplace_back();
    t.topic = "orders";
    for (auto [index, offset] : parts) {
      auto& p = t.partitions.emplace_back();
      p.partition = index;
      p.fetch_offset = offset;
      p.partition_max_bytes = 1 << 20;
    }
  }
  if (!forget.empty()) {
    auto& ft = req.forgotten_topics_data.emplace_back();
    ft.topic = "orders";
    ft.partitions = forget;
  }
  return req;
}

TEST_CASE("incremental fetch sessions (KIP-227)", "[fetch]") {
  Fixture f;
  f.Produce(TestBatch(3));
  int32_t corr = 100;
  auto fetch = [&](const FetchRequest& req) {
    f.conn->OnFrame(RequestFrame(1, 12, ++corr, req));
    return DecodeResponse<FetchResponse>(f.sink.frames.back(), 1, 12, corr);
  };
  // Epoch 0 opens a session with a full fetch: every partition answers.
  auto r = fetch(SessionFetch(0, 0, {{0, 0}, {1, 0}}));
  CHECK(r.error_code == 0);
  const int32_t id = r.session_id;
  REQUIRE(id != 0);
  REQUIRE(r.responses.size() == 1);
  REQUIRE(r.responses[0].partitions.size() == 2);
  CHECK(Records(r.responses[0].partitions[0]).size() == 3);

  // Epoch 1: the client moved partition 0 to offset 3; nothing is new.
  r = fetch(SessionFetch(id, 1, {{0, 3}}));
  CHECK(r.error_code == 0);
  CHECK(r.session_id == id);
  CHECK(r.responses.empty());

  // New records: only partition 0 comes back, from the session's offset.
  f.Produce(TestBatch(2));
  r = fetch(SessionFetch(id, 2, {}));
  REQUIRE(r.responses.size() == 1);
  REQUIRE(r.responses[0].partitions.size() == 1);
  CHECK(r.responses[0].partitions[0].partition_index == 0);
  CHECK(r.responses[0].partitions[0].high_watermark == 5);
  auto recs = Records(r.responses[0].partitions[0]);
  REQUIRE(recs.size() == 2);
  CHECK(recs[0].first == 3);

  // A stale or skipped epoch is refused; the session survives it.
  r = fetch(SessionFetch(id, 2, {}));
  CHECK(r.error_code == Code(ErrorCode::INVALID_FETCH_SESSION_EPOCH));
  r = fetch(SessionFetch(id, 3, {{0, 5}}, {1}));  // forget partition 1
  CHECK(r.error_code == 0);
  CHECK(r.responses.empty());

  // Epoch -1 closes it; its id is then unknown.
  r = fetch(SessionFetch(id, -1, {{0, 5}}));
  CHECK(r.error_code == 0);
  CHECK(r.session_id == 0);
  REQUIRE(r.responses.size() == 1);  // a sessionless full fetch
  r = fetch(SessionFetch(id, 4, {}));
  CHECK(r.error_code == Code(ErrorCode::FETCH_SESSION_ID_NOT_FOUND));
}

TEST_CASE("fetch sessions are bounded per connection", "[fetch]") {
  Fixture f;
  int32_t corr = 200;
  std::vector<int32_t> ids;
  for (size_t i = 0; i < FetchSessions::kMaxSessions + 1; ++i) {
    f.conn->OnFrame(RequestFrame(1, 12, ++corr, SessionFetch(0, 0, {{0, 0}})));
    ids.push_back(
        DecodeResponse<FetchResponse>(f.sink.frames.back(), 1, 12, corr)
            .session_id);
  }
  // The least recently used session made room for the newest.
  f.conn->OnFrame(RequestFrame(1, 12, ++corr, SessionFetch(ids[0], 1, {})));
  CHECK(DecodeResponse<FetchResponse>(f.sink.frames.back(), 1, 12, corr)
            .error_code == Code(ErrorCode::FETCH_SESSION_ID_NOT_FOUND));
  f.conn->OnFrame(RequestFrame(1, 12, ++corr, SessionFetch(ids.back(), 1, {})));
  CHECK(DecodeResponse<FetchResponse>(f.sink.frames.back(), 1, 12, corr)
            .error_code == 0);
}

}  // namespace
}  // namespace kop::core
