// Idempotent producer state: ids handed out by InitProducerId and, per
// producer and partition, the epoch and the last batches' sequences, so a
// retried batch is answered with its original offset and a gap is refused
// (KIP-98, KIP-360). Shared by every connection of the broker; thread-safe.
//
// The state lives in memory: after a broker restart a producer's next batch
// is accepted whatever its sequence (as for a producer whose state expired),
// so duplicates across a restart are not caught yet.
#ifndef KOP_CORE_PRODUCER_STATE_H_
#define KOP_CORE_PRODUCER_STATE_H_

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

#include "kop/protocol/errors.h"

namespace kop::core {

class ProducerStateTable {
 public:
  explicit ProducerStateTable(int32_t node_id);

  // A fresh producer id (epoch 0), unique across brokers and restarts.
  int64_t NewProducerId();

  struct Check {
    enum class Kind { kAppend, kDuplicate, kError } kind;
    protocol::ErrorCode error_code = protocol::ErrorCode::NONE;  // kError
    int64_t base_offset = -1;  // kDuplicate: the original batch's offset
  };
  // Checks a batch before it is appended, and on kAppend records it as the
  // next expected one.
  Check Begin(int64_t producer_id, int16_t epoch, const std::string& topic,
              int32_t partition, int32_t first_seq, int32_t last_seq);
  // After the append: remembers the batch's offset for duplicate detection,
  // or, on failure, rewinds so the client's retry is accepted.
  void Complete(int64_t producer_id, int16_t epoch, const std::string& topic,
                int32_t partition, int32_t first_seq, int32_t last_seq, bool ok,
                int64_t base_offset);
  // Drops every producer's state on (topic, partition): the partition left
  // this broker, and what we knew is stale if it ever comes back.
  void Forget(std::string_view topic, int32_t partition);

 private:
  struct BatchMeta {
    int32_t first_seq;
    int32_t last_seq;
    int64_t base_offset;  // -1 while the append is in flight
  };
  struct Entry {
    int16_t epoch = -1;
    int32_t next_seq = 0;
    std::deque<BatchMeta> recent;  // Kafka keeps the last 5
  };
  using Key = std::tuple<int64_t, std::string, int32_t>;

  std::mutex mu_;
  int64_t next_id_;
  std::map<Key, Entry> entries_;
};

}  // namespace kop::core

#endif  // KOP_CORE_PRODUCER_STATE_H_
