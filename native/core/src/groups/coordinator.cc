// The coordinator's core: construction, the group -> partition mapping
// (Kafka's GroupMetadataManager.partitionFor), member ids and offset-key topic
// names (GroupCoordinator), the group table and the helpers every Kafka API of
// the coordinator shares. The APIs themselves live in coordinator_*.cc (see
// coordinator.h).
#include "groups/coordinator.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <string>

#include "groups/coordinator_internal.h"

namespace kop::core::groups {

namespace {

class WallClock : public Clock {
 public:
  int64_t NowMs() override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// Java's String.hashCode over the UTF-16 units of a UTF-8 string (invalid
// bytes count as U+FFFD, as Java's decoder makes them).
int32_t JavaStringHash(const std::string& s) {
  uint32_t h = 0;
  auto add = [&h](uint32_t unit) { h = 31 * h + unit; };
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const uint8_t c = static_cast<uint8_t>(s[i]);
    uint32_t cp = 0xFFFD;
    size_t len = 1;
    if (c < 0x80) {
      cp = c;
    } else if ((c >> 5) == 0x6 && i + 1 < n) {
      cp = ((c & 0x1F) << 6) | (s[i + 1] & 0x3F);
      len = 2;
    } else if ((c >> 4) == 0xE && i + 2 < n) {
      cp = ((c & 0x0F) << 12) | ((s[i + 1] & 0x3F) << 6) | (s[i + 2] & 0x3F);
      len = 3;
    } else if ((c >> 3) == 0x1E && i + 3 < n) {
      cp = ((c & 0x07) << 18) | ((s[i + 1] & 0x3F) << 12) |
           ((s[i + 2] & 0x3F) << 6) | (s[i + 3] & 0x3F);
      len = 4;
    }
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<uint8_t>(s[i + k]) & 0xC0) != 0x80) {
        cp = 0xFFFD;
        len = 1;
        break;
      }
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      add(0xD800 + (cp >> 10));
      add(0xDC00 + (cp & 0x3FF));
    } else {
      add(cp);
    }
    i += len;
  }
  return static_cast<int32_t>(h);
}

}  // namespace

Clock* SystemClock() {
  static WallClock clock;
  return &clock;
}

GroupCoordinator::GroupCoordinator(GroupConfig config, Clock* clock)
    : config_(std::move(config)),
      clock_(clock),
      partitions_(static_cast<size_t>(std::max(1, config_.num_partitions))),
      rng_(std::random_device{}()) {
  next_expiry_check_ms_ = clock_->NowMs() + config_.retention_check_interval_ms;
}

GroupCoordinator::~GroupCoordinator() = default;

int32_t GroupCoordinator::PartitionFor(const std::string& group_id) const {
  const int32_t n = static_cast<int32_t>(partitions_.size());
  const int32_t h = JavaStringHash(group_id);
  return ((h % n) + n) % n;
}

std::string GroupCoordinator::NewMemberId(const std::string& client_id) {
  uint64_t a = rng_(), b = rng_();
  // A version-4 UUID, as Kafka's member ids carry.
  a = (a & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;
  b = (b & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;
  char buf[40];
  std::snprintf(
      buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx",
      static_cast<unsigned>(a >> 32), static_cast<unsigned>((a >> 16) & 0xFFFF),
      static_cast<unsigned>(a & 0xFFFF), static_cast<unsigned>(b >> 48),
      static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFULL));
  return client_id + "-" + buf;
}

std::string GroupCoordinator::StoredTopic(const std::string& topic) const {
  // A full name comes from a connection whose short names resolve in a
  // namespace of its own (topic_access.h): kept as it is.
  if (topic.starts_with("persistent://")) return topic;
  return config_.topic_prefix + topic;
}

std::string GroupCoordinator::KafkaTopic(const std::string& stored) const {
  const std::string& p = config_.topic_prefix;
  if (stored.size() > p.size() && stored.compare(0, p.size(), p) == 0) {
    return stored.substr(p.size());
  }
  return stored;  // Kafka-written, or another namespace's full name
}

Group* GroupCoordinator::Find(const std::string& group_id) {
  auto it = groups_.find(group_id);
  return it == groups_.end() ? nullptr : it->second.get();
}

Group& GroupCoordinator::GetOrCreate(const std::string& group_id) {
  std::unique_ptr<Group>& g = groups_[group_id];
  if (g == nullptr) {
    g = std::make_unique<Group>();
    g->group_id = group_id;
    g->partition = PartitionFor(group_id);
    g->state_timestamp_ms = clock_->NowMs();
  }
  return *g;
}

void GroupCoordinator::SetState(Group& g, GroupState s) {
  g.state = s;
  g.state_timestamp_ms = clock_->NowMs();
}

void GroupCoordinator::FailParked(Member& m, ErrorCode error, Deferred& d,
                                  Parked which) {
  if (which != Parked::kSync && m.awaiting_join) {
    JoinResult r;
    r.error_code = error;
    r.member_id = m.member_id;
    d.Answer(std::move(m.awaiting_join), r);
    m.awaiting_join = nullptr;
  }
  if (which != Parked::kJoin && m.awaiting_sync) {
    SyncResult r;
    r.error_code = error;
    d.Answer(std::move(m.awaiting_sync), r);
    m.awaiting_sync = nullptr;
  }
}

}  // namespace kop::core::groups
