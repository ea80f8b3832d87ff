// An in-memory SecurityPort for tests: credentials in a map, answered at
// once or, when `defer` is set, when the test calls RunDeferred().
#ifndef KOP_TESTING_FAKE_SECURITY_H_
#define KOP_TESTING_FAKE_SECURITY_H_

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "kop/core/broker.h"

namespace kop::core::testing {

class FakeSecurity : public SecurityPort {
 public:
  struct Grant {
    std::string role;
    int64_t expires_at_ms = 0;
  };
  // (method, credential) -> what the provider proves.
  std::map<std::pair<std::string, std::string>, Grant> credentials;
  // Every (method, credential) Authenticate was asked about, in order.
  std::vector<std::pair<std::string, std::string>> asked;
  bool defer = false;

  void Authenticate(std::string auth_method, std::string credential,
                    std::function<void(AuthResult)> done) override {
    asked.emplace_back(auth_method, credential);
    AuthResult r;
    auto it = credentials.find({auth_method, credential});
    if (it == credentials.end()) {
      r.error_code = ErrorCode::SASL_AUTHENTICATION_FAILED;
      r.error_message = "unknown " + auth_method + " credential";
    } else {
      r.role = it->second.role;
      r.expires_at_ms = it->second.expires_at_ms;
    }
    if (defer) {
      deferred_.push_back([done = std::move(done), r]() { done(r); });
    } else {
      done(r);
    }
  }

  void RunDeferred() {
    auto tasks = std::move(deferred_);
    deferred_.clear();
    for (auto& t : tasks) t();
  }

 private:
  std::vector<std::function<void()>> deferred_;
};

}  // namespace kop::core::testing

#endif  // KOP_TESTING_FAKE_SECURITY_H_
