// An in-memory LogPort for tests: entries per (topic, partition) with
// offsets assigned like the broker's AppendIndexMetadataInterceptor.
#ifndef KOP_CORE_TESTING_FAKE_LOG_H_
#define KOP_CORE_TESTING_FAKE_LOG_H_

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "kop/core/broker.h"

namespace kop::core::testing {

class FakeLog : public LogPort {
 public:
  struct Partition {
    int64_t next_offset = 0;
    std::vector<std::vector<uint8_t>> entries;
  };
  std::map<std::pair<std::string, int32_t>, Partition> partitions;
  int16_t fail_with = 0;  // every append fails with this error when set
  bool defer = false;

  void Append(std::string_view topic, int32_t partition,
              std::span<const uint8_t> entry, int32_t num_records,
              std::function<void(const AppendResult&)> done) override {
    std::vector<uint8_t> copy(entry.begin(), entry.end());
    auto work = [this, key = std::make_pair(std::string(topic), partition),
                 copy = std::move(copy), num_records, done = std::move(done)] {
      if (fail_with != 0) {
        done(AppendResult{fail_with, -1, -1});
        return;
      }
      Partition& p = partitions[key];
      AppendResult r{0, p.next_offset, 0};
      p.next_offset += num_records;
      p.entries.push_back(copy);
      done(r);
    };
    if (defer) {
      deferred_.push_back(std::move(work));
    } else {
      work();
    }
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

#endif  // KOP_CORE_TESTING_FAKE_LOG_H_
