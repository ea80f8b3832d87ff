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
  if (!entries_.contains(key)) MakeRoomForOne(entries_, now_ms, max_entries);
  entries_[std::move(key)] = Entry{answer, now_ms + ttl_ms};
}

std::optional<ErrorCode> SuperUserCache::Find(const std::string& role,
                                              int64_t now_ms) const {
  if (!set_ || role != role_ || expires_at_ms_ <= now_ms) return std::nullopt;
  return answer_;
}

void SuperUserCache::Put(const std::string& role, ErrorCode answer,
                         int64_t now_ms, int64_t ttl_ms) {
  if (ttl_ms <= 0) return;
  if (answer != ErrorCode::NONE &&
      answer != ErrorCode::CLUSTER_AUTHORIZATION_FAILED) {
    return;
  }
  role_ = role;
  answer_ = answer;
  expires_at_ms_ = now_ms + ttl_ms;
  set_ = true;
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
