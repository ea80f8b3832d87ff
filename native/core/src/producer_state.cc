#include "producer_state.h"

#include <chrono>

#include "kop/protocol/errors.h"

namespace kop::core {
namespace {

using protocol::ErrorCode;

constexpr size_t kRecentBatches =
    5;  // Kafka's ProducerStateEntry.NUM_BATCHES_TO_RETAIN

int32_t NextSequence(int32_t seq) { return seq == INT32_MAX ? 0 : seq + 1; }

}  // namespace

ProducerStateTable::ProducerStateTable(int32_t node_id) {
  // Time in the high bits keeps ids unique across restarts; the node id in
  // the low bits keeps brokers apart; each broker then steps by 4096.
  const int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  next_id_ = ((ms & ((int64_t{1} << 40) - 1)) << 12) | (node_id & 0xfff);
}

int64_t ProducerStateTable::NewProducerId() {
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t id = next_id_;
  next_id_ += 4096;
  return id;
}

ProducerStateTable::Check ProducerStateTable::Begin(
    int64_t producer_id, int16_t epoch, const std::string& topic,
    int32_t partition, int32_t first_seq, int32_t last_seq) {
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] =
      entries_.try_emplace(Key{producer_id, topic, partition});
  Entry& e = it->second;
  if (inserted) {
    // Unknown to us (new, or from before a restart): take it as it comes.
    e.epoch = epoch;
  } else if (epoch < e.epoch) {
    return {Check::Kind::kError, ErrorCode::INVALID_PRODUCER_EPOCH, -1};
  } else if (epoch > e.epoch) {
    // A bumped epoch (KIP-360) starts its sequences again at 0.
    if (first_seq != 0) {
      return {Check::Kind::kError, ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER, -1};
    }
    e = Entry{};
    e.epoch = epoch;
  } else {
    for (const BatchMeta& b : e.recent) {
      if (b.first_seq == first_seq && b.last_seq == last_seq) {
        if (b.base_offset < 0) {
          // A retry of a batch still being appended: retriable, so the
          // client asks again once the first append has answered.
          return {Check::Kind::kError, ErrorCode::REQUEST_TIMED_OUT, -1};
        }
        return {Check::Kind::kDuplicate, ErrorCode::NONE, b.base_offset};
      }
    }
    if (first_seq != e.next_seq) {
      return {Check::Kind::kError, ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER, -1};
    }
  }
  e.next_seq = NextSequence(last_seq);
  e.recent.push_back({first_seq, last_seq, -1});
  if (e.recent.size() > kRecentBatches) e.recent.pop_front();
  return {Check::Kind::kAppend, ErrorCode::NONE, -1};
}

void ProducerStateTable::Complete(int64_t producer_id, int16_t epoch,
                                  const std::string& topic, int32_t partition,
                                  int32_t first_seq, int32_t last_seq, bool ok,
                                  int64_t base_offset) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(Key{producer_id, topic, partition});
  if (it == entries_.end() || it->second.epoch != epoch) return;
  Entry& e = it->second;
  for (auto b = e.recent.begin(); b != e.recent.end(); ++b) {
    if (b->first_seq == first_seq && b->last_seq == last_seq) {
      if (ok) {
        b->base_offset = base_offset;
      } else {
        // Not stored: forget it and expect it again.
        e.recent.erase(b);
        e.next_seq = first_seq;
        // Nothing of this producer stored here (e.g. the partition moved
        // away before its first batch landed): we know nothing, as for a
        // producer we never saw.
        if (e.recent.empty()) entries_.erase(it);
      }
      return;
    }
  }
}

void ProducerStateTable::Forget(std::string_view topic, int32_t partition) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (std::get<1>(it->first) == topic &&
        std::get<2>(it->first) == partition) {
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace kop::core
