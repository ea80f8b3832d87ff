// Pulsar authorization answers, cached per connection so a request does not
// ask the broker's AuthorizationService again for a (topic, action) it just
// asked about, and expiring after kopAuthorizationCacheRefreshMs (KoP's key)
// so that a permission revoked with pulsar-admin takes effect on open
// connections within that time. Bounded by
// kopAuthorizationCacheMaxCountPerConnection: a client naming ever more
// topics cannot make it grow. Touched only on the connection's event loop.
#ifndef KOP_CORE_AUTHZ_CACHE_H_
#define KOP_CORE_AUTHZ_CACHE_H_

#include <compare>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "kop/core/broker.h"

namespace kop::core {

class AuthorizationCache {
 public:
  struct Key {
    std::string role;
    std::string topic;  // full Pulsar name
    TopicAction action;
    std::string subscription;
    auto operator<=>(const Key&) const = default;
  };

  // The answer for `key` if one was stored less than its time to live ago.
  std::optional<ErrorCode> Find(const Key& key, int64_t now_ms) const;
  // Stores `answer` until now_ms + ttl_ms; ttl_ms <= 0 stores nothing (no
  // cache). At `max_entries`, expired answers are dropped first, then the
  // one that expires soonest.
  void Put(Key key, ErrorCode answer, int64_t now_ms, int64_t ttl_ms,
           size_t max_entries);
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    ErrorCode answer;
    int64_t expires_at_ms;
  };
  std::map<Key, Entry> entries_;
};

// Requests of one connection waiting for Pulsar's answers, in arrival order.
// A request runs only after every earlier waiting one ran, so a later
// request whose answers are cached cannot overtake an earlier one: appends
// to a partition keep the order the client sent them in, as Kafka keeps it.
class AuthorizationQueue {
 public:
  struct Waiter {
    bool answered = false;
    std::function<void()> run;
  };
  bool empty() const { return waiting_.empty(); }
  // A place in the line, answered later with Answer.
  std::shared_ptr<Waiter> Add();
  // `waiter`'s answers are in: it runs `run` once every earlier one ran.
  void Answer(const std::shared_ptr<Waiter>& waiter, std::function<void()> run);

 private:
  std::deque<std::shared_ptr<Waiter>> waiting_;
  bool draining_ = false;
};

// Milliseconds of a monotonic clock the cache runs on.
int64_t AuthorizationClockMs();
// Tests replace the clock (nullptr: the steady clock again).
void SetAuthorizationClockForTesting(int64_t (*now_ms)());

}  // namespace kop::core

#endif  // KOP_CORE_AUTHZ_CACHE_H_
