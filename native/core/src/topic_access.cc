#include "topic_access.h"

#include <memory>
#include <set>

#include "authz_cache.h"
#include "handlers/handler.h"
#include "kop/core/log.h"

namespace kop::core {
namespace {

using protocol::ErrorCode;

constexpr std::string_view kNotAuthorized =
    "the client's role is not authorized for this topic";

const std::string kNoRole;

}  // namespace

Access::Access(const RequestContext& ctx)
    : broker_(ctx.broker), session_(ctx.session), security_(ctx.security) {}

bool Access::Authorizing() const {
  return security_ != nullptr && security_->AuthorizationEnabled();
}

const std::string& Access::Role() const {
  if (session_ != nullptr && !session_->role.empty()) return session_->role;
  return broker_->anonymous_role.empty() ? kNoRole : broker_->anonymous_role;
}

TopicNameMapping Access::Names() const {
  return TopicNameMapping(
      *broker_, session_ == nullptr ? std::string_view()
                                    : std::string_view(session_->topic_prefix));
}

std::string Access::FullName(std::string_view client_name) const {
  return Names().Full(client_name);
}

std::string Access::ClientName(std::string_view resolved) const {
  return Names().ClientName(resolved);
}

ErrorCode Access::CheckGroup() const {
  if (!Authorizing() || !Role().empty()) return ErrorCode::NONE;
  return ErrorCode::GROUP_AUTHORIZATION_FAILED;
}

// Steps 1-3, plus the cached answer of step 4 when there is one; a name
// still waiting for Pulsar keeps NONE and is listed in `missing`.
static TopicDecisions Prepare(const Access& access, const BrokerState& broker,
                              const Session* session, const TopicQuery& q,
                              bool authorizing, const std::string& role,
                              std::set<std::string>* missing) {
  TopicDecisions out;
  const int64_t now = AuthorizationClockMs();
  const TopicNameMapping names = access.Names();
  for (const std::string& name : q.names) {
    auto [it, added] = out.try_emplace(name);
    if (!added) continue;
    TopicDecision& d = it->second;
    d.error = CheckClientTopic(
        broker, name, q.illegal_name_error,
        session == nullptr ? std::string_view() : session->topic_prefix);
    if (d.error != ErrorCode::NONE) {
      d.message = RefusalMessage(d.error, name);
      continue;
    }
    d.resolved = names.Resolve(name);
    if (!authorizing) continue;
    if (role.empty()) {
      d.error = ErrorCode::TOPIC_AUTHORIZATION_FAILED;
      d.message = "the client has no role and no anonymousUserRole is set";
      continue;
    }
    std::optional<ErrorCode> cached =
        session == nullptr
            ? std::nullopt
            : session->authorizations.Find(
                  {role, names.Full(name), q.action, q.subscription}, now);
    if (!cached.has_value()) {
      if (missing != nullptr) missing->insert(name);
      continue;
    }
    if (*cached != ErrorCode::NONE) {
      d.error = ErrorCode::TOPIC_AUTHORIZATION_FAILED;
      d.message = std::string(kNotAuthorized);
    }
  }
  return out;
}

bool Access::Ready(const TopicQuery& q) const {
  if (!Authorizing()) return true;
  // An earlier request still waiting goes first.
  if (session_ != nullptr && !session_->authorization_queue.empty()) {
    return false;
  }
  std::set<std::string> missing;
  Prepare(*this, *broker_, session_, q, true, Role(), &missing);
  return missing.empty();
}

TopicDecisions Access::Decide(const TopicQuery& q) const {
  return Prepare(*this, *broker_, session_, q, Authorizing(), Role(), nullptr);
}

void Access::Check(TopicQuery q,
                   std::function<void(TopicDecisions)> done) const {
  const bool authorizing = Authorizing();
  std::set<std::string> missing;
  TopicDecisions decisions =
      Prepare(*this, *broker_, session_, q, authorizing, Role(), &missing);
  if (missing.empty() &&
      (session_ == nullptr || session_->authorization_queue.empty())) {
    done(std::move(decisions));
    return;
  }
  // Without a session (never on a connection) there is no line to keep.
  struct Waiting {
    TopicDecisions decisions;
    size_t outstanding;
    std::function<void(TopicDecisions)> done;
    std::shared_ptr<AuthorizationQueue::Waiter> place;
    Session* session;
    // Runs `done` once the requests before it ran; keeps itself alive.
    static void Finish(const std::shared_ptr<Waiting>& w) {
      if (w->session == nullptr) return w->done(std::move(w->decisions));
      // The place leaves `w` first: its task holds `w`, not the reverse.
      std::shared_ptr<AuthorizationQueue::Waiter> place = std::move(w->place);
      w->session->authorization_queue.Answer(
          place, [w] { w->done(std::move(w->decisions)); });
    }
  };
  auto w = std::make_shared<Waiting>(Waiting{
      std::move(decisions), missing.size(), std::move(done),
      session_ == nullptr ? nullptr : session_->authorization_queue.Add(),
      session_});
  if (missing.empty()) {
    Waiting::Finish(w);  // nothing to ask: waits for the requests before it
    return;
  }
  const std::string role = Role();
  Session* session = session_;
  const int64_t ttl = broker_->authz_cache_ms;
  const size_t max = broker_->authz_cache_max;
  for (const std::string& name : missing) {
    std::string full = FullName(name);
    security_->Authorize(
        role, full, q.action, q.subscription,
        [w, name, session,
         key = AuthorizationCache::Key{role, full, q.action, q.subscription},
         ttl, max](ErrorCode answer) mutable {
          if (answer == ErrorCode::NONE ||
              answer == ErrorCode::TOPIC_AUTHORIZATION_FAILED) {
            // A failed check (timeout, metadata error) is refused now but
            // asked again next time.
            if (session != nullptr) {
              session->authorizations.Put(std::move(key), answer,
                                          AuthorizationClockMs(), ttl, max);
            }
          }
          if (answer != ErrorCode::NONE) {
            TopicDecision& d = w->decisions[name];
            d.error = ErrorCode::TOPIC_AUTHORIZATION_FAILED;
            d.message = std::string(kNotAuthorized);
          }
          if (--w->outstanding == 0) Waiting::Finish(w);
        });
  }
}

}  // namespace kop::core
