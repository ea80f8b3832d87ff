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

// Makes room for one more entry in `entries` (a map whose values have an
// `expires_at_ms`) when it holds `max_entries`: expired entries go first,
// then the one that expires soonest. Shared by the caches that expire.
template <typename Map>
void MakeRoomForOne(Map& entries, int64_t now_ms, size_t max_entries) {
  if (entries.size() < max_entries) return;
  std::erase_if(entries, [now_ms](const auto& e) {
    return e.second.expires_at_ms <= now_ms;
  });
  if (entries.size() < max_entries || entries.empty()) return;
  auto soonest = entries.begin();
  for (auto it = entries.begin(); it != entries.end(); ++it) {
    if (it->second.expires_at_ms < soonest->second.expires_at_ms) soonest = it;
  }
  entries.erase(soonest);
}

// Pulsar's superuser answer (SecurityPort::IsSuperUser) for a connection's
// role, kept as long as the authorization answers
// (kopAuthorizationCacheRefreshMs) so the SCRAM and ACL admin APIs do not
// ask the broker on every request; a role stripped of superuser rights
// loses them on open connections within that time. Only definite answers
// (NONE, CLUSTER_AUTHORIZATION_FAILED) are kept, never a failed check.
class SuperUserCache {
 public:
  std::optional<ErrorCode> Find(const std::string& role, int64_t now_ms) const;
  void Put(const std::string& role, ErrorCode answer, int64_t now_ms,
           int64_t ttl_ms);

 private:
  std::string role_;
  ErrorCode answer_ = ErrorCode::NONE;
  int64_t expires_at_ms_ = 0;
  bool set_ = false;
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
