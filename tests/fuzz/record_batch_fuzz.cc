// RecordBatch parsing and record iteration on arbitrary bytes (and CRC-32C
// hardware vs portable on the same bytes): fetch-style
// splitting, produce-style single batch, strict and lenient validation, and
// every record's headers.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "kop/protocol/crc32c.h"
#include "kop/protocol/record_batch.h"

namespace {

using kop::protocol::Bytes;

void Walk(const kop::protocol::RecordBatchView& batch,
          std::vector<uint8_t>& scratch) {
  absl::StatusOr<Bytes> payload = batch.Uncompressed(scratch, 4 << 20);
  if (!payload.ok()) return;
  kop::protocol::RecordIterator it = batch.Records(*payload);
  kop::protocol::RecordView r;
  size_t sink = 0;
  while (it.Next(r)) {
    if (r.key) sink += r.key->size();
    if (r.value) sink += r.value->size();
    for (const auto& h : r.headers()) {
      sink += h.key.size();
      if (h.value) sink += h.value->size();
    }
  }
  (void)it.status();
  if (sink == 1) __asm__ volatile("");  // keep the reads
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Bytes input(data, size);
  // Differential: both CRC-32C paths agree on any bytes, length, alignment.
  const uint32_t seed =
      size >= 4 ? uint32_t{data[0]} << 24 | data[size - 1] : 0;
  if (kop::protocol::Crc32cHardware(input, seed) !=
      kop::protocol::Crc32cPortable(input, seed)) {
    std::abort();
  }
  std::vector<uint8_t> scratch;
  kop::protocol::ValidateOptions strict;
  strict.max_uncompressed_bytes = 4 << 20;
  kop::protocol::ValidateOptions lenient = strict;
  lenient.strict_offsets = false;

  absl::StatusOr<kop::protocol::SplitRecords> split =
      kop::protocol::SplitBatches(input);
  if (split.ok()) {
    for (const auto& batch : split->batches) {
      (void)batch.Validate(scratch, strict);
      (void)batch.Validate(scratch, lenient);
      // Walk records even when the CRC is wrong, so mutations reach the
      // record decoder without having to fix the CRC.
      Walk(batch, scratch);
    }
  }
  (void)kop::protocol::RecordsKafkaError(split.status());
  (void)kop::protocol::ParseProduceBatch(input, scratch, strict);
  return 0;
}
