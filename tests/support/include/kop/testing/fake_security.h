// An in-memory SecurityPort for tests: credentials in a map (Authenticate),
// SCRAM credentials in another (the metadata store),
// a permission table and a record of every Authorize call; answers at once
// or, with `defer`, when the test calls RunDeferred().
#ifndef KOP_TESTING_FAKE_SECURITY_H_
#define KOP_TESTING_FAKE_SECURITY_H_

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "kop/core/broker.h"

namespace kop::core::testing {

class FakeSecurity : public SecurityPort {
 public:
  // --- Authentication ---
  struct Grant {
    std::string role;
    int64_t expires_at_ms = 0;
  };
  // (method, credential) -> what the provider proves.
  std::map<std::pair<std::string, std::string>, Grant> credentials;
  // Every (method, credential) Authenticate was asked about, in order.
  std::vector<std::pair<std::string, std::string>> asked;

  // --- Authorization ---
  struct Call {
    std::string role;
    std::string topic;
    TopicAction action;
    std::string subscription;
  };
  bool enabled = true;
  // (role, full topic, action) granted; a role in `superusers` may do
  // everything.
  std::set<std::tuple<std::string, std::string, TopicAction>> granted;
  std::set<std::string> superusers;
  // A topic whose check fails (the broker's metadata store is down).
  std::string failing_topic;
  std::vector<Call> calls;

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
    Answer([done = std::move(done), r]() { done(r); });
  }

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
    Answer([this, role, topic, action, done = std::move(done)] {
      if (topic == failing_topic) return done(ErrorCode::REQUEST_TIMED_OUT);
      const bool ok =
          superusers.contains(role) || granted.contains({role, topic, action});
      done(ok ? ErrorCode::NONE : ErrorCode::TOPIC_AUTHORIZATION_FAILED);
    });
  }

  // --- Permissions (ListPermissions / ChangePermission) ---
  // By namespace ("tenant/namespace"); roles in `superusers` or
  // `permission_admins` may read and change them.
  std::map<std::string, std::vector<Permission>> permissions;
  std::set<std::string> permission_admins;
  // Every change asked for: (namespace, permission, grant).
  std::vector<std::tuple<std::string, Permission, bool>> changes;

  void ListPermissions(std::string caller, std::string ns,
                       std::function<void(PermissionResult)> done) override {
    Answer([this, caller, ns, done = std::move(done)] {
      if (!MayManage(caller)) return done(Refused());
      done({ErrorCode::NONE, "", permissions[ns]});
    });
  }

  void ChangePermission(std::string caller, std::string ns, Permission p,
                        bool grant,
                        std::function<void(PermissionResult)> done) override {
    changes.emplace_back(ns, p, grant);
    Answer([this, caller, ns, p, grant, done = std::move(done)] {
      if (!MayManage(caller)) return done(Refused());
      std::vector<Permission>& list = permissions[ns];
      auto it = list.begin();
      while (it != list.end() && !(it->scope == p.scope && it->name == p.name &&
                                   it->role == p.role)) {
        ++it;
      }
      if (grant && it == list.end()) {
        list.push_back(p);
      } else if (grant) {
        it->actions |= p.actions;
      } else if (it != list.end()) {
        it->actions &= ~p.actions;
        if (it->actions == 0) list.erase(it);
      }
      done({});
    });
  }

  // --- SCRAM credentials (the metadata store) ---
  std::map<std::pair<std::string, std::string>, ScramCredential>
      scram;  // (mechanism, user) ->
  bool scram_store_down = false;
  // How often the core asked (to check its caches).
  int scram_fetches = 0;
  int super_user_asks = 0;

  void FetchScramCredential(
      std::string mechanism, std::string user,
      std::function<void(ErrorCode, std::optional<ScramCredential>)> done)
      override {
    ++scram_fetches;
    Answer([this, mechanism, user, done = std::move(done)] {
      if (scram_store_down) return done(ErrorCode::UNKNOWN_SERVER_ERROR, {});
      auto it = scram.find({mechanism, user});
      if (it == scram.end()) return done(ErrorCode::NONE, std::nullopt);
      done(ErrorCode::NONE, it->second);
    });
  }
  void StoreScramCredential(
      std::string mechanism, std::string user,
      std::optional<ScramCredential> credential,
      std::function<void(ErrorCode, std::string)> done) override {
    Answer([this, mechanism, user, credential, done = std::move(done)] {
      if (credential) {
        scram[{mechanism, user}] = *credential;
      } else if (scram.erase({mechanism, user}) == 0) {
        return done(ErrorCode::RESOURCE_NOT_FOUND, "no such credential");
      }
      done(ErrorCode::NONE, "");
    });
  }
  void ListScramCredentials(
      std::function<void(ErrorCode, std::vector<ScramCredentialInfo>)> done)
      override {
    Answer([this, done = std::move(done)] {
      std::vector<ScramCredentialInfo> infos;
      for (const auto& [key, c] : scram) {
        infos.push_back({key.second, key.first, c.iterations});
      }
      done(ErrorCode::NONE, infos);
    });
  }
  void IsSuperUser(std::string role,
                   std::function<void(ErrorCode)> done) override {
    ++super_user_asks;
    Answer([this, role, done = std::move(done)] {
      done(superusers.contains(role) ? ErrorCode::NONE
                                     : ErrorCode::CLUSTER_AUTHORIZATION_FAILED);
    });
  }

  void RunDeferred() {
    std::vector<std::function<void()>> work;
    work.swap(deferred_);
    for (auto& w : work) w();
  }
  size_t deferred() const { return deferred_.size(); }

 private:
  bool MayManage(const std::string& caller) const {
    return superusers.contains(caller) || permission_admins.contains(caller);
  }
  static PermissionResult Refused() {
    return {ErrorCode::CLUSTER_AUTHORIZATION_FAILED,
            "the role may not manage this namespace's permissions",
            {}};
  }

  void Answer(std::function<void()> answer) {
    if (defer) {
      deferred_.push_back(std::move(answer));
    } else {
      answer();
    }
  }

  std::vector<std::function<void()>> deferred_;
};

}  // namespace kop::core::testing

#endif  // KOP_TESTING_FAKE_SECURITY_H_
