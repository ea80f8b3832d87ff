// SCRAM credentials fetched from Pulsar's metadata store
// (SecurityPort::FetchScramCredential), kept per broker so that a burst of
// SCRAM logins (a fleet of clients reconnecting) does not read the store
// once per connection. Kept for kopAuthorizationCacheRefreshMs, like the
// authorization answers: a credential changed or deleted on another broker
// takes effect here within that time; one changed through this broker
// (AlterUserScramCredentials) at once. "No credential" is kept too, so a
// client guessing at one unknown user does not read the store each time.
// Bounded in entries (kMaxEntries): names chosen by clients cannot make it
// grow. Used from every event loop, hence the mutex.
#ifndef KOP_CORE_SCRAM_CACHE_H_
#define KOP_CORE_SCRAM_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "kop/core/broker.h"

namespace kop::core {

class ScramCredentialCache {
 public:
  static constexpr size_t kMaxEntries = 10000;

  // What the store answered, while it is fresh.
  struct Hit {
    std::optional<ScramCredential> credential;  // nullopt: the user has none
  };

  // The cached answer for (mechanism, user), if fresh at now_ms.
  std::optional<Hit> Find(const std::string& mechanism, const std::string& user,
                          int64_t now_ms) const;
  // The generation to pass to Put for a fetch issued now: a Forget while
  // the fetch is under way makes its (possibly stale) answer unkept.
  uint64_t Generation() const;
  // Keeps the store's answer until now_ms + ttl_ms (ttl_ms <= 0: not kept).
  void Put(const std::string& mechanism, const std::string& user,
           std::optional<ScramCredential> credential, uint64_t generation,
           int64_t now_ms, int64_t ttl_ms);
  // The credential was changed or deleted through this broker.
  void Forget(const std::string& mechanism, const std::string& user);
  size_t size() const;

 private:
  struct Entry {
    std::optional<ScramCredential> credential;
    int64_t expires_at_ms;
  };
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, Entry> entries_;
  uint64_t generation_ = 0;
};

}  // namespace kop::core

#endif  // KOP_CORE_SCRAM_CACHE_H_
