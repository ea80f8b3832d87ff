// Pulsar entries (as a cursor returns them, from any producer) into the
// entry parser and the entry -> Kafka batch conversion.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "kop/protocol/record_batch.h"
#include "kop/pulsar/entry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto view = kop::pulsar::ParseEntry({data, size});
  if (!view.ok()) return 0;
  std::vector<uint8_t> scratch, out;
  if (kop::pulsar::AppendAsKafkaBatch(*view, 42, scratch, out).ok() &&
      !out.empty()) {
    // What we produce must be a valid batch.
    auto batch = kop::protocol::RecordBatchView::Parse(out);
    if (!batch.ok() || !batch->CheckCrc().ok()) std::abort();
  }
  return 0;
}
