// An in-memory SecurityPort for tests: a permission table and a record of
// every Authorize call; answers at once or, with `defer`, when the test
// calls RunDeferred().
#ifndef KOP_TESTING_FAKE_SECURITY_H_
#define KOP_TESTING_FAKE_SECURITY_H_

#include <functional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "kop/core/broker.h"

namespace kop::core::testing {

class FakeSecurity : public SecurityPort {
 public:
  struct Call {
    std::string role;
    std::string topic;
    TopicAction action;
    std::string subscription;
  };
  bool enabled = true;
  bool defer = false;
  // (role, full topic, action) granted; a role in `superusers` may do
  // everything.
  std::set<std::tuple<std::string, std::string, TopicAction>> granted;
  std::set<std::string> superusers;
  // A topic whose check fails (the broker's metadata store is down).
  std::string failing_topic;
  std::vector<Call> calls;

  void Grant(const std::string& role, const std::string& topic,
             TopicAction action) {
    granted.insert({role, topic, action});
  }
  void Revoke(const std::string& role, const std::string& topic,
              TopicAction action) {
    granted.erase({role, topic, action});
  }

  bool AuthorizationEnabled() const override { return enabled; }
  void Authorize(std::string role, std::string topic, TopicAction action,
                 std::string subscription,
                 std::function<void(ErrorCode)> done) override {
    calls.push_back({role, topic, action, subscription});
    auto answer = [this, role, topic, action, done = std::move(done)] {
      if (topic == failing_topic) return done(ErrorCode::REQUEST_TIMED_OUT);
      const bool ok =
          superusers.contains(role) || granted.contains({role, topic, action});
      done(ok ? ErrorCode::NONE : ErrorCode::TOPIC_AUTHORIZATION_FAILED);
    };
    if (defer) {
      deferred_.push_back(std::move(answer));
    } else {
      answer();
    }
  }

  void RunDeferred() {
    std::vector<std::function<void()>> work;
    work.swap(deferred_);
    for (auto& w : work) w();
  }
  size_t deferred() const { return deferred_.size(); }

 private:
  std::vector<std::function<void()>> deferred_;
};

}  // namespace kop::core::testing

#endif  // KOP_TESTING_FAKE_SECURITY_H_
