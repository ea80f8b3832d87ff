// What the coordinator_*.cc files share and nothing else includes: the queue
// of work run after the coordinator's lock is released, and the small checks
// more than one Kafka API of the coordinator makes.
#ifndef KOP_CORE_GROUPS_COORDINATOR_INTERNAL_H_
#define KOP_CORE_GROUPS_COORDINATOR_INTERNAL_H_

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "groups/coordinator.h"
#include "groups/group.h"

namespace kop::core::groups {

// Work queued under the lock and run after it is released (declared before
// the lock guard, so destroyed after it).
class GroupCoordinator::Deferred {
 public:
  Deferred() = default;
  Deferred(const Deferred&) = delete;
  Deferred& operator=(const Deferred&) = delete;
  ~Deferred() {
    // Running a task may queue more (a port completing synchronously).
    for (size_t i = 0; i < tasks_.size(); ++i) {
      std::function<void()> t = std::move(tasks_[i]);
      t();
    }
  }
  void Run(std::function<void()> task) { tasks_.push_back(std::move(task)); }
  // A reply to a callback that finds its own way back to the caller's event
  // loop (wrapped by OnCallerLoop, or a parked JoinGroup/SyncGroup).
  template <typename Fn, typename Value>
  void Answer(Fn done, Value value) {
    Run([done = std::move(done), value = std::move(value)]() mutable {
      done(std::move(value));
    });
  }
  // A reply through the caller's event loop.
  template <typename Fn, typename Value>
  void Reply(const std::function<void(std::function<void()>)>& post, Fn done,
             Value value) {
    Run([post, done = std::move(done), value = std::move(value)]() mutable {
      post([done = std::move(done), value = std::move(value)]() mutable {
        done(std::move(value));
      });
    });
  }

 private:
  std::vector<std::function<void()>> tasks_;
};

// KIP-345: a static instance now known under another member id (a newer
// incarnation joined) is fenced.
inline bool Fenced(const Group& g, const std::optional<std::string>& instance,
                   const std::string& member_id) {
  if (!instance.has_value()) return false;
  auto s = g.static_members.find(*instance);
  return s != g.static_members.end() && s->second != member_id;
}

// `done` wrapped to run on the caller's event loop.
template <typename Result>
std::function<void(Result)> OnCallerLoop(
    const std::function<void(std::function<void()>)>& post,
    std::function<void(Result)> done) {
  return [post, done = std::move(done)](Result r) {
    post([done, r = std::move(r)]() mutable { done(std::move(r)); });
  };
}

}  // namespace kop::core::groups

#endif  // KOP_CORE_GROUPS_COORDINATOR_INTERNAL_H_
