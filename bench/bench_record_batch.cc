// Validating a Produce batch of 100 records x 1 KiB value: CRC-32C plus
// iteration of every record (what a broker does on append), in bytes/s, and
// heap allocations per record during validation (a counting operator new in
// this binary; target 0).
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "alloc_counter.h"
#include "kop/protocol/record_batch.h"

namespace {

using kop::protocol::CompressionCodec;

std::vector<uint8_t> MakeBatch(CompressionCodec codec, int records,
                               size_t value_size) {
  std::string key = "key-0000";
  // Pseudo-random lowercase text, different per record: compresses about
  // as well as JSON-ish payloads do, unlike one repeated value.
  std::vector<std::string> values(records, std::string(value_size, 'x'));
  uint32_t x = 12345;
  for (std::string& value : values) {
    for (char& c : value) {
      x = x * 1103515245 + 12345;
      c = static_cast<char>('a' + (x >> 16) % 26);
    }
  }
  const std::vector<kop::protocol::RecordHeaderInput> headers = {
      {"trace",
       kop::protocol::Bytes(reinterpret_cast<const uint8_t*>("abcd"), 4)}};
  std::vector<kop::protocol::RecordInput> rs(records);
  for (int i = 0; i < records; ++i) {
    rs[i].timestamp = 1700000000000 + i;
    rs[i].key = kop::protocol::Bytes(
        reinterpret_cast<const uint8_t*>(key.data()), key.size());
    rs[i].value = kop::protocol::Bytes(
        reinterpret_cast<const uint8_t*>(values[i].data()), values[i].size());
    rs[i].headers = headers;
  }
  kop::protocol::BatchBuildOptions opts;
  opts.codec = codec;
  std::vector<uint8_t> out;
  if (!kop::protocol::AppendRecordBatch(rs, opts, out).ok()) std::abort();
  return out;
}

void BM_ValidateBatch(benchmark::State& state) {
  const auto codec = static_cast<CompressionCodec>(state.range(0));
  constexpr int kRecords = 100;
  const std::vector<uint8_t> batch = MakeBatch(codec, kRecords, 1024);
  std::vector<uint8_t> scratch;
  scratch.reserve(kRecords * 1100);  // the caller's reusable buffer
  uint64_t allocations = 0;
  for (auto _ : state) {
    const uint64_t before = kop::bench::AllocationCount();
    absl::StatusOr<kop::protocol::RecordBatchView> view =
        kop::protocol::RecordBatchView::Parse(batch);
    absl::Status s = view.ok() ? view->Validate(scratch) : view.status();
    allocations += kop::bench::AllocationCount() - before;
    if (!s.ok()) {
      state.SkipWithError("batch did not validate");
      break;
    }
    benchmark::DoNotOptimize(s);
  }
  // Throughput in uncompressed batch bytes, so codecs compare on equal work.
  const int64_t uncompressed = static_cast<int64_t>(
      MakeBatch(CompressionCodec::kNone, kRecords, 1024).size());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          uncompressed);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kRecords);
  state.counters["allocs_per_record"] =
      static_cast<double>(allocations) /
      static_cast<double>(state.iterations() * kRecords);
  state.counters["wire_bytes"] = static_cast<double>(batch.size());
}

BENCHMARK(BM_ValidateBatch)
    ->ArgName("codec")
    ->Arg(static_cast<int>(CompressionCodec::kNone))
    ->Arg(static_cast<int>(CompressionCodec::kLz4))
    ->Arg(static_cast<int>(CompressionCodec::kZstd))
    ->Arg(static_cast<int>(CompressionCodec::kSnappy))
    ->Arg(static_cast<int>(CompressionCodec::kGzip));

}  // namespace

BENCHMARK_MAIN();
