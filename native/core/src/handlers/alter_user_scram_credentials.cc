// AlterUserScramCredentials (key 51, KIP-554): upserts and deletes SCRAM
// credentials in Pulsar's metadata store (SecurityPort::
// StoreScramCredential). An upsertion carries the salt, the iterations and
// the salted password (the client ran Hi(password, salt, i)); the core turns
// that into Kafka's StoredKey/ServerKey here, so neither the password nor the
// salted password is ever stored. The SCRAM user name is the Pulsar role the
// connection gets. With Pulsar authorization on, only a superuser may alter
// (CheckClusterAdmin); others get CLUSTER_AUTHORIZATION_FAILED per user.
// Validation and messages follow Kafka's controller (ScramControlManager).
#include <map>
#include <memory>
#include <set>
#include <utility>

#include "handlers/handler.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/alter_user_scram_credentials_request.h"
#include "kop/protocol/messages/alter_user_scram_credentials_response.h"
#include "sasl/scram.h"

namespace kop::core {

using protocol::AlterUserScramCredentialsRequest;
using protocol::AlterUserScramCredentialsResponse;
using protocol::Code;

namespace {

// One deletion or upsertion, checked.
struct Change {
  std::string user;
  std::string mechanism;
  std::optional<ScramCredential> credential;  // nullopt: delete
};

struct Verdict {
  ErrorCode error = ErrorCode::NONE;
  std::string message;
};

// The users in first-appearance order, each with its first refusal.
struct Outcome {
  std::vector<std::string> order;
  std::map<std::string, Verdict> verdicts;

  void Note(const std::string& user) {
    if (verdicts.emplace(user, Verdict{}).second) order.push_back(user);
  }
  void Refuse(const std::string& user, ErrorCode e, std::string why) {
    Note(user);
    Verdict& v = verdicts[user];
    if (v.error == ErrorCode::NONE) v = {e, std::move(why)};
  }
};

// Kafka's checks for one (user, mechanism); an empty message: fine.
Verdict CheckTarget(const std::string& user, int8_t mechanism) {
  if (user.empty()) {
    return {ErrorCode::UNACCEPTABLE_CREDENTIAL, "Username must not be empty"};
  }
  if (!sasl::ScramMechanismName(mechanism)) {
    return {ErrorCode::UNSUPPORTED_SASL_MECHANISM, "Unknown SCRAM mechanism"};
  }
  return {};
}

struct Pending {
  Outcome outcome;
  int outstanding = 1;
  Reply reply;

  void Done() {
    if (--outstanding > 0) return;
    auto response = std::make_unique<AlterUserScramCredentialsResponse>();
    for (const auto& user : outcome.order) {
      const Verdict& v = outcome.verdicts[user];
      auto& r = response->results.emplace_back();
      r.user = user;
      r.error_code = Code(v.error);
      r.error_message = v.error == ErrorCode::NONE
                            ? std::nullopt
                            : std::optional<std::string>(v.message);
    }
    reply(std::move(response));
  }
};

// The request as changes; refusals go into `outcome`.
std::vector<Change> Validate(const AlterUserScramCredentialsRequest& request,
                             Outcome& outcome) {
  std::map<std::pair<std::string, int8_t>, int> count;
  for (const auto& d : request.deletions) ++count[{d.name, d.mechanism}];
  for (const auto& u : request.upsertions) ++count[{u.name, u.mechanism}];
  auto target_ok = [&](const std::string& user, int8_t mechanism) {
    outcome.Note(user);
    if (count[{user, mechanism}] > 1) {
      outcome.Refuse(user, ErrorCode::DUPLICATE_RESOURCE,
                     "A user credential cannot be altered twice in the same "
                     "request");
      return false;
    }
    Verdict v = CheckTarget(user, mechanism);
    if (v.error != ErrorCode::NONE) {
      outcome.Refuse(user, v.error, std::move(v.message));
      return false;
    }
    return true;
  };
  std::vector<Change> changes;
  for (const auto& d : request.deletions) {
    if (!target_ok(d.name, d.mechanism)) continue;
    changes.push_back({d.name, *sasl::ScramMechanismName(d.mechanism), {}});
  }
  for (const auto& u : request.upsertions) {
    if (!target_ok(u.name, u.mechanism)) continue;
    const std::string mechanism = *sasl::ScramMechanismName(u.mechanism);
    const sasl::HashKind kind = *sasl::ScramHash(mechanism);
    if (u.iterations < sasl::kScramMinIterations) {
      outcome.Refuse(u.name, ErrorCode::UNACCEPTABLE_CREDENTIAL,
                     "Too few iterations");
      continue;
    }
    if (u.iterations > sasl::kScramMaxIterations) {
      outcome.Refuse(u.name, ErrorCode::UNACCEPTABLE_CREDENTIAL,
                     "Too many iterations");
      continue;
    }
    if (u.salt.size() > kScramMaxSaltBytes) {
      outcome.Refuse(u.name, ErrorCode::UNACCEPTABLE_CREDENTIAL,
                     "The salt is longer than " +
                         std::to_string(kScramMaxSaltBytes) + " bytes");
      continue;
    }
    if (u.salt.empty() || u.salted_password.size() != sasl::DigestSize(kind)) {
      outcome.Refuse(u.name, ErrorCode::UNACCEPTABLE_CREDENTIAL,
                     "The salt is empty or the salted password is not one " +
                         mechanism + " digest long");
      continue;
    }
    const std::string salted(u.salted_password.begin(),
                             u.salted_password.end());
    changes.push_back(
        {u.name, mechanism,
         sasl::ScramCredentialFrom(kind, salted,
                                   std::string(u.salt.begin(), u.salt.end()),
                                   u.iterations)});
  }
  return changes;
}

}  // namespace

void HandleAlterUserScramCredentials(const RequestContext& ctx,
                                     const protocol::Message& message,
                                     Reply reply) {
  const auto& request =
      static_cast<const AlterUserScramCredentialsRequest&>(message);
  auto pending = std::make_shared<Pending>();
  pending->reply = std::move(reply);
  auto changes = std::make_shared<std::vector<Change>>(
      Validate(request, pending->outcome));
  CheckClusterAdmin(ctx, [ctx, pending, changes](ErrorCode allowed) {
    if (allowed != ErrorCode::NONE) {
      for (const auto& user : pending->outcome.order) {
        pending->outcome.verdicts[user] = {
            ErrorCode::CLUSTER_AUTHORIZATION_FAILED,
            "AlterUserScramCredentials needs a Pulsar superuser role"};
      }
      pending->Done();
      return;
    }
    for (Change& c : *changes) {
      // A user refused for another of its changes keeps that refusal; the
      // valid ones still apply, as Kafka applies each (user, mechanism).
      ++pending->outstanding;
      const std::string user = c.user;
      // Logins through this broker see the change at once; other brokers'
      // caches within kopAuthorizationCacheRefreshMs (scram_cache.h).
      if (ctx.scram_cache != nullptr)
        ctx.scram_cache->Forget(c.mechanism, user);
      ctx.security->StoreScramCredential(
          c.mechanism, c.user, std::move(c.credential),
          [pending, user, cache = ctx.scram_cache, mechanism = c.mechanism](
              ErrorCode code, std::string why) {
            if (cache != nullptr) cache->Forget(mechanism, user);
            if (code == ErrorCode::RESOURCE_NOT_FOUND) {
              why = "Attempt to delete a user credential that does not exist";
            }
            if (code != ErrorCode::NONE) {
              pending->outcome.Refuse(user, code, std::move(why));
            }
            pending->Done();
          });
    }
    pending->Done();
  });
}

}  // namespace kop::core
