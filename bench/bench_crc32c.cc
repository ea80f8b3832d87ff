// CRC-32C throughput (bytes/s) on 1 KiB, 64 KiB and 1 MiB: the dispatching
// entry point (hardware when available) and the portable slicing-by-8 code.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "kop/protocol/crc32c.h"

namespace {

std::vector<uint8_t> RandomBytes(size_t n) {
  std::mt19937_64 rng(1);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

template <uint32_t (*Fn)(std::span<const uint8_t>, uint32_t)>
void BM_Crc32c(benchmark::State& state) {
  const auto data = RandomBytes(static_cast<size_t>(state.range(0)));
  uint32_t crc = 0;
  for (auto _ : state) {
    crc = Fn(data, crc);
    benchmark::DoNotOptimize(crc);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          state.range(0));
}

BENCHMARK(BM_Crc32c<kop::protocol::Crc32c>)
    ->Name("Crc32c")
    ->Arg(1 << 10)
    ->Arg(64 << 10)
    ->Arg(1 << 20);
BENCHMARK(BM_Crc32c<kop::protocol::Crc32cPortable>)
    ->Name("Crc32cPortable")
    ->Arg(1 << 10)
    ->Arg(64 << 10)
    ->Arg(1 << 20);

}  // namespace

BENCHMARK_MAIN();
