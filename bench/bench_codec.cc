// The codec on the two hot paths:
// - a Produce request (v9, one partition, 100 records x 1 KiB) as it arrives:
//   request header + body decode, then the batch's validation (CRC-32C and
//   every record); bytes/s over the whole frame, heap allocations per record;
// - a Fetch response (v12, 8 partitions x 64 KiB of records): encode, then
//   decode, as the broker writes it and a client reads it.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "alloc_counter.h"
#include "kop/protocol/api.h"
#include "kop/protocol/messages/fetch_response.h"
#include "kop/protocol/messages/produce_request.h"
#include "kop/protocol/messages/request_header.h"
#include "kop/protocol/record_batch.h"

namespace {

using namespace kop::protocol;  // NOLINT

constexpr int kRecords = 100;

std::vector<uint8_t> Batch(int records, size_t value_size) {
  std::vector<std::string> values;
  std::vector<std::string> keys;
  for (int i = 0; i < records; ++i) {
    std::string v(value_size, 'a');
    for (size_t j = 0; j < v.size(); ++j)
      v[j] = static_cast<char>('a' + (i * 31 + j * 7) % 26);
    values.push_back(std::move(v));
    keys.push_back("key-" + std::to_string(i));
  }
  std::vector<RecordInput> in(records);
  for (int i = 0; i < records; ++i) {
    in[i].timestamp = 1700000000000 + i;
    in[i].key =
        Bytes(reinterpret_cast<const uint8_t*>(keys[i].data()), keys[i].size());
    in[i].value = Bytes(reinterpret_cast<const uint8_t*>(values[i].data()),
                        values[i].size());
  }
  std::vector<uint8_t> out;
  if (!AppendRecordBatch(in, {}, out).ok()) std::abort();
  return out;
}

std::vector<uint8_t> ProduceFrame(const std::vector<uint8_t>& batch) {
  RequestHeader h;
  h.request_api_key = 0;
  h.request_api_version = 9;
  h.correlation_id = 1;
  h.client_id = "bench";
  ProduceRequest p;
  p.acks = -1;
  p.timeout_ms = 30000;
  auto& t = p.topic_data.emplace_back();
  t.name = "orders";
  auto& part = t.partition_data.emplace_back();
  part.index = 0;
  part.records = RecordsRef::Of(batch);
  std::vector<uint8_t> frame;
  Writer w(frame);
  if (!h.Encode(w, 2).ok() || !p.Encode(w, 9).ok()) std::abort();
  return frame;
}

void BM_ProduceRequestValidate(benchmark::State& state) {
  const std::vector<uint8_t> batch = Batch(kRecords, 1024);
  const std::vector<uint8_t> frame = ProduceFrame(batch);
  std::vector<uint8_t> scratch;
  RequestHeader header;
  ProduceRequest request;
  uint64_t allocations = 0;
  for (auto _ : state) {
    const uint64_t before = kop::bench::AllocationCount();
    Reader r(frame);
    header.Decode(r, RequestHeaderVersion(0, 9));
    request.Decode(r, 9);
    if (!r.ok()) std::abort();
    for (const auto& t : request.topic_data) {
      for (const auto& p : t.partition_data) {
        auto view = ParseProduceBatch(p.records.data, scratch);
        if (!view.ok()) std::abort();
        benchmark::DoNotOptimize(view->header().records_count);
      }
    }
    allocations += kop::bench::AllocationCount() - before;
  }
  state.SetBytesProcessed(
      static_cast<int64_t>(state.iterations() * frame.size()));
  state.counters["records/s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * kRecords),
                         benchmark::Counter::kIsRate);
  state.counters["allocs/record"] =
      static_cast<double>(allocations) /
      static_cast<double>(state.iterations() * kRecords);
  state.counters["frame_bytes"] = static_cast<double>(frame.size());
}
BENCHMARK(BM_ProduceRequestValidate);

void BM_FetchResponseEncodeDecode(benchmark::State& state) {
  const std::vector<uint8_t> batch = Batch(64, 1000);  // ~64 KiB per partition
  FetchResponse response;
  auto& topic = response.responses.emplace_back();
  topic.topic = "orders";
  for (int p = 0; p < 8; ++p) {
    auto& part = topic.partitions.emplace_back();
    part.partition_index = p;
    part.high_watermark = 1000;
    part.last_stable_offset = 1000;
    part.log_start_offset = 0;
    part.records = RecordsRef::Of(batch);
  }
  std::vector<uint8_t> out;
  FetchResponse decoded;
  for (auto _ : state) {
    out.clear();
    Writer w(out);
    if (!response.Encode(w, 12).ok()) std::abort();
    Reader r(out);
    decoded.Decode(r, 12);
    if (!r.ok()) std::abort();
    benchmark::DoNotOptimize(decoded.responses.size());
  }
  state.SetBytesProcessed(
      static_cast<int64_t>(state.iterations() * out.size()));
  state.counters["response_bytes"] = static_cast<double>(out.size());
}
BENCHMARK(BM_FetchResponseEncodeDecode);

}  // namespace

BENCHMARK_MAIN();
