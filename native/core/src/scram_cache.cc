#include "scram_cache.h"

#include "authz_cache.h"

namespace kop::core {

std::optional<ScramCredentialCache::Hit> ScramCredentialCache::Find(
    const std::string& mechanism, const std::string& user,
    int64_t now_ms) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find({mechanism, user});
  if (it == entries_.end() || it->second.expires_at_ms <= now_ms) {
    return std::nullopt;
  }
  return Hit{it->second.credential};
}

uint64_t ScramCredentialCache::Generation() const {
  std::lock_guard<std::mutex> lock(mu_);
  return generation_;
}

void ScramCredentialCache::Put(const std::string& mechanism,
                               const std::string& user,
                               std::optional<ScramCredential> credential,
                               uint64_t generation, int64_t now_ms,
                               int64_t ttl_ms) {
  if (ttl_ms <= 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (generation != generation_) return;
  std::pair<std::string, std::string> key{mechanism, user};
  if (!entries_.contains(key)) MakeRoomForOne(entries_, now_ms, kMaxEntries);
  entries_[std::move(key)] = Entry{std::move(credential), now_ms + ttl_ms};
}

void ScramCredentialCache::Forget(const std::string& mechanism,
                                  const std::string& user) {
  std::lock_guard<std::mutex> lock(mu_);
  ++generation_;
  entries_.erase({mechanism, user});
}

size_t ScramCredentialCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

}  // namespace kop::core
