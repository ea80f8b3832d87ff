// An in-memory LogPort for tests: entries per (topic, partition) with
// offsets assigned like the broker's AppendIndexMetadataInterceptor.
#ifndef KOP_TESTING_FAKE_LOG_H_
#define KOP_TESTING_FAKE_LOG_H_

#include <functional>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "kop/core/broker.h"

namespace kop::core::testing {

class FakeLog : public LogPort {
 public:
  struct Partition {
    int64_t next_offset = 0;
    int64_t start_offset = 0;                    // raise to simulate retention
    std::vector<std::vector<uint8_t>> entries;   // as appended
    std::vector<std::vector<uint8_t>> stored;    // with broker entry metadata
    std::vector<int64_t> last_offsets;           // index of each entry
    std::vector<std::function<void()>> waiters;  // long polls
  };
  std::map<std::pair<std::string, int32_t>, Partition> partitions;
  // Every append fails with this error when set.
  ErrorCode fail_with = ErrorCode::NONE;
  std::string fail_message;       // the failed appends' error_message
  int32_t throttle_time_ms = 0;   // answered with every append
  int64_t last_producer_id = -3;  // of the last ProduceAppend (-3: none yet)
  int32_t last_max_hold_ms = -1;  // of the last ProduceAppend (-1: none yet)
  bool defer = false;
  bool readable = true;

  void Append(std::string_view topic, int32_t partition,
              std::span<const uint8_t> entry, int32_t num_records,
              std::function<void(const AppendResult&)> done) override {
    std::vector<uint8_t> copy(entry.begin(), entry.end());
    auto work = [this, key = std::make_pair(std::string(topic), partition),
                 copy = std::move(copy), num_records, done = std::move(done)] {
      if (fail_with != ErrorCode::NONE) {
        done(AppendResult{fail_with, -1, -1, fail_message, throttle_time_ms});
        return;
      }
      Partition& p = partitions[key];
      AppendResult r{ErrorCode::NONE, p.next_offset, 0, {}, throttle_time_ms};
      p.next_offset += num_records;
      p.entries.push_back(copy);
      p.last_offsets.push_back(p.next_offset - 1);
      p.stored.push_back(
          WithIndex(copy, static_cast<uint64_t>(p.next_offset - 1)));
      done(r);
      std::vector<std::function<void()>> wake;
      wake.swap(p.waiters);
      for (auto& w : wake) w();
    };
    if (defer) {
      deferred_.push_back(std::move(work));
    } else {
      work();
    }
  }

  void ProduceAppend(int64_t producer_id, int32_t max_hold_ms,
                     std::string_view topic, int32_t partition,
                     std::span<const uint8_t> entry, int32_t num_records,
                     std::function<void(const AppendResult&)> done) override {
    last_producer_id = producer_id;
    last_max_hold_ms = max_hold_ms;
    Append(topic, partition, entry, num_records, std::move(done));
  }

  bool SupportsRead() const override { return readable; }

  void Read(std::string_view topic, int32_t partition, int64_t offset,
            int32_t max_bytes, int32_t max_wait_ms,
            std::function<void(const ReadResult&)> done) override {
    Partition& p = partitions[{std::string(topic), partition}];
    ReadResult r{ErrorCode::NONE, p.start_offset, p.next_offset, {}};
    if (max_bytes > 0) {
      int64_t bytes = 0;
      for (size_t i = 0; i < p.stored.size() && bytes < max_bytes; ++i) {
        if (p.last_offsets[i] < offset || p.last_offsets[i] < p.start_offset)
          continue;
        r.entries.emplace_back(p.stored[i]);
        bytes += static_cast<int64_t>(p.stored[i].size());
      }
    }
    if (r.entries.empty() && max_bytes > 0 && max_wait_ms > 0) {
      // Answer on the next append, or on TimeOutWaiters().
      p.waiters.push_back(
          [this, t = std::string(topic), partition, offset, max_bytes, done] {
            Read(t, partition, offset, max_bytes, 0, done);
          });
      return;
    }
    done(r);
  }

  // The subscription mirror: (topic, partition, name) -> offset committed.
  bool subscriptions_supported = false;
  std::map<std::tuple<std::string, int32_t, std::string>, int64_t>
      subscriptions;
  bool SupportsSubscriptions() const override {
    return subscriptions_supported;
  }
  void CommitSubscription(std::string_view topic, int32_t partition,
                          std::string_view name, int64_t offset,
                          std::function<void(ErrorCode)> done) override {
    subscriptions[{std::string(topic), partition, std::string(name)}] = offset;
    done(ErrorCode::NONE);
  }
  void DeleteSubscription(std::string_view topic, int32_t partition,
                          std::string_view name,
                          std::function<void(ErrorCode)> done) override {
    subscriptions.erase({std::string(topic), partition, std::string(name)});
    done(ErrorCode::NONE);
  }

  // Long polls that time out answer with what there is (nothing).
  void TimeOutWaiters() {
    for (auto& [key, p] : partitions) {
      std::vector<std::function<void()>> wake;
      wake.swap(p.waiters);
      for (auto& w : wake) w();
    }
  }

  // What the broker's AppendIndexMetadataInterceptor puts before an entry.
  static std::vector<uint8_t> WithIndex(const std::vector<uint8_t>& entry,
                                        uint64_t index) {
    // BrokerEntryMetadata { index (field 2, varint) }
    std::vector<uint8_t> meta = {0x10};
    uint64_t v = index;
    while (v >= 0x80) {
      meta.push_back(static_cast<uint8_t>(v | 0x80));
      v >>= 7;
    }
    meta.push_back(static_cast<uint8_t>(v));
    std::vector<uint8_t> out;
    out.reserve(6 + meta.size() + entry.size());
    for (uint8_t b : {uint8_t{0x0e}, uint8_t{0x02}, uint8_t{0}, uint8_t{0},
                      uint8_t{0}, static_cast<uint8_t>(meta.size())}) {
      out.push_back(b);
    }
    out.insert(out.end(), meta.begin(), meta.end());
    out.insert(out.end(), entry.begin(), entry.end());
    return out;
  }

  void RunDeferredNewestFirst() {
    std::vector<std::function<void()>> work;
    work.swap(deferred_);
    for (auto it = work.rbegin(); it != work.rend(); ++it) (*it)();
  }

 private:
  std::vector<std::function<void()>> deferred_;
};

}  // namespace kop::core::testing

#endif  // KOP_TESTING_FAKE_LOG_H_
