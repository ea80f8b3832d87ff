// PendingCalls: one port's calls waiting for Java's answer, by request id.
// The request-id scheme: jni-bridge/README.md ("Port calls").
#ifndef KOP_JNI_BRIDGE_PENDING_CALLS_H_
#define KOP_JNI_BRIDGE_PENDING_CALLS_H_

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "kop/core/log.h"

namespace kop::jni {

// Request ids of all port calls: unique across connections and never reused,
// so a stale completion can never complete someone else's request.
inline std::atomic<uint64_t> g_next_request_id{1};

// A connection's pending calls of one kind (`Done` is the core's callback,
// or a struct holding it). Used only on the connection's event loop.
template <class Done>
class PendingCalls {
 public:
  // `what` names the calls in log lines ("append", "topic metadata", ...).
  explicit PendingCalls(const char* what) : what_(what) {}

  // Stores `done` under a fresh request id and returns the id.
  uint64_t Add(Done done) {
    const uint64_t id =
        g_next_request_id.fetch_add(1, std::memory_order_relaxed);
    calls_.emplace(id, std::move(done));
    return id;
  }

  // Takes the call `id` back (its upcall failed); nullopt if it is gone.
  std::optional<Done> Take(uint64_t id) {
    auto it = calls_.find(id);
    if (it == calls_.end()) return std::nullopt;
    std::optional<Done> done(std::move(it->second));
    calls_.erase(it);
    return done;
  }

  // Takes the call Java answered. An unknown id (a completion after the
  // upcall failed, or a duplicate) is logged at debug level: nullopt.
  std::optional<Done> TakeAnswered(uint64_t id) {
    std::optional<Done> done = Take(id);
    if (!done) {
      kop::core::Log(kop::core::LogLevel::kDebug,
                     std::string(what_) + " completion for unknown request " +
                         std::to_string(id));
    }
    return done;
  }

  // Takes every pending call, to be dropped unrun when the result is
  // destroyed (closing the connection).
  PendingCalls TakeAll() {
    PendingCalls all(what_);
    all.calls_.swap(calls_);
    return all;
  }

 private:
  const char* what_;
  std::unordered_map<uint64_t, Done> calls_;
};

}  // namespace kop::jni

#endif  // KOP_JNI_BRIDGE_PENDING_CALLS_H_
