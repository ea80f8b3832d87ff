// Incremental fetch sessions (KIP-227), per connection: a consumer names
// its partitions once, then sends only what changed (new fetch offsets,
// partitions to add or forget) and gets back only partitions with news.
// A session lives on the connection that created it (clients keep one
// connection per broker); a reconnecting client's old id is
// FETCH_SESSION_ID_NOT_FOUND and it starts a new session with a full fetch.
#ifndef KOP_CORE_FETCH_SESSIONS_H_
#define KOP_CORE_FETCH_SESSIONS_H_

#include <cstdint>
#include <list>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "kop/protocol/errors.h"

namespace kop::core {

struct SessionPartition {
  int64_t fetch_offset = 0;
  int32_t max_bytes = 0;
  // What the client last heard, so unchanged partitions are left out.
  bool sent = false;
  protocol::ErrorCode error_code = protocol::ErrorCode::NONE;
  int64_t high_watermark = -1;
  int64_t log_start_offset = -1;
};

struct FetchSession {
  int32_t id = 0;
  int32_t next_epoch = 1;
  // Ordered by name then partition: a stable response order.
  std::map<std::pair<std::string, int32_t>, SessionPartition> partitions;
};

class FetchSessions {
 public:
  // Sessions kept per connection; the least recently used goes first.
  static constexpr size_t kMaxSessions = 4;
  // Partitions in one session (Kafka bounds the cache in total).
  static constexpr size_t kMaxPartitions = 10000;

  FetchSession* Find(int32_t id) {
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
      if (it->id == id) {
        sessions_.splice(sessions_.begin(), sessions_, it);
        return &sessions_.front();
      }
    }
    return nullptr;
  }
  FetchSession& Create() {
    if (sessions_.size() >= kMaxSessions) sessions_.pop_back();
    FetchSession& s = sessions_.emplace_front();
    do {
      s.id = static_cast<int32_t>(rng_() & 0x7fffffff);
    } while (s.id == 0 || CountId(s.id) > 1);
    return s;
  }
  void Remove(int32_t id) {
    sessions_.remove_if([id](const FetchSession& s) { return s.id == id; });
  }
  size_t size() const { return sessions_.size(); }

 private:
  size_t CountId(int32_t id) const {
    size_t n = 0;
    for (const FetchSession& s : sessions_) n += s.id == id ? 1 : 0;
    return n;
  }
  std::list<FetchSession> sessions_;
  std::mt19937 rng_{std::random_device{}()};
};

// Records what the session's client now knows; in an incremental fetch,
// leaves out partitions it would learn nothing new from.
// `topics` is a Fetch response's topic list.
template <typename Topics>
void ApplySession(FetchSession* session, bool incremental, Topics& topics) {
  if (session == nullptr) return;
  for (auto& topic : topics) {
    auto& parts = topic.partitions;
    size_t kept = 0;
    for (size_t i = 0; i < parts.size(); ++i) {
      auto& pd = parts[i];
      auto it = session->partitions.find({topic.topic, pd.partition_index});
      bool news = true;
      if (it != session->partitions.end()) {
        SessionPartition& sp = it->second;
        const auto error = static_cast<protocol::ErrorCode>(pd.error_code);
        news = !sp.sent || error != protocol::ErrorCode::NONE ||
               !pd.records.data.empty() || sp.error_code != error ||
               sp.high_watermark != pd.high_watermark ||
               sp.log_start_offset != pd.log_start_offset;
        sp.sent = true;
        sp.error_code = error;
        sp.high_watermark = pd.high_watermark;
        sp.log_start_offset = pd.log_start_offset;
      }
      if (!incremental || news) {
        if (kept != i) parts[kept] = std::move(pd);
        ++kept;
      }
    }
    parts.resize(kept);
  }
  if (incremental) {
    std::erase_if(topics, [](const auto& t) { return t.partitions.empty(); });
  }
}

}  // namespace kop::core

#endif  // KOP_CORE_FETCH_SESSIONS_H_
