#ifndef KOP_BENCH_ALLOC_COUNTER_H_
#define KOP_BENCH_ALLOC_COUNTER_H_

#include <cstdint>

namespace kop::bench {

// Heap allocations (global operator new) since the process started.
uint64_t AllocationCount();

}  // namespace kop::bench

#endif  // KOP_BENCH_ALLOC_COUNTER_H_
