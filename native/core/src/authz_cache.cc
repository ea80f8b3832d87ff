#include "authz_cache.h"

#include <atomic>
#include <chrono>

namespace kop::core {
namespace {

std::atomic<int64_t (*)()> test_clock{nullptr};

}  // namespace

std::optional<ErrorCode> AuthorizationCache::Find(const Key& key,
                                                  int64_t now_ms) const {
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.expires_at_ms <= now_ms) {
    return std::nullopt;
  }
  return it->second.answer;
}

void AuthorizationCache::Put(Key key, ErrorCode answer, int64_t now_ms,
                             int64_t ttl_ms, size_t max_entries) {
  if (ttl_ms <= 0 || max_entries == 0) return;
  if (entries_.size() >= max_entries && !entries_.contains(key)) {
    std::erase_if(entries_, [now_ms](const auto& e) {
      return e.second.expires_at_ms <= now_ms;
    });
  }
  if (entries_.size() >= max_entries && !entries_.contains(key)) {
    auto soonest = entries_.begin();
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->second.expires_at_ms < soonest->second.expires_at_ms) {
        soonest = it;
      }
    }
    entries_.erase(soonest);
  }
  entries_[std::move(key)] = Entry{answer, now_ms + ttl_ms};
}

std::shared_ptr<AuthorizationQueue::Waiter> AuthorizationQueue::Add() {
  return waiting_.emplace_back(std::make_shared<Waiter>());
}

void AuthorizationQueue::Answer(const std::shared_ptr<Waiter>& waiter,
                                std::function<void()> run) {
  waiter->answered = true;
  waiter->run = std::move(run);
  if (draining_) return;  // the loop below, further up the stack, runs it
  draining_ = true;
  while (!waiting_.empty() && waiting_.front()->answered) {
    std::shared_ptr<Waiter> front = std::move(waiting_.front());
    waiting_.pop_front();
    front->run();
  }
  draining_ = false;
}

int64_t AuthorizationClockMs() {
  if (int64_t(*clock)() = test_clock.load()) return clock();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void SetAuthorizationClockForTesting(int64_t (*now_ms)()) {
  test_clock.store(now_ms);
}

}  // namespace kop::core
