#include "topic_access.h"

#include <memory>
#include <set>

#include "authz_cache.h"
#include "handlers/handler.h"
#include "kop/core/log.h"

namespace kop::core {
namespace {

using protocol::ErrorCode;

constexpr std::string_view kPersistent = "persistent://";
constexpr std::string_view kNonPersistent = "non-persistent://";
constexpr std::string_view kReservedPrefix = "__";

// "persistent://tenant/ns/" of a full topic name ("" if it has none).
std::string_view NamespacePrefix(std::string_view full_name) {
  const size_t slash = full_name.rfind('/');
  return slash == std::string_view::npos ? std::string_view()
                                         : full_name.substr(0, slash + 1);
}

bool IsInternal(const BrokerState& broker, std::string_view name) {
  if (name.starts_with(kNonPersistent)) return true;
  // The same mapping as the shim's TopicNames: a full name as is, a short
  // one in the Kafka namespace (topic_prefix).
  const std::string_view metadata_ns =
      NamespacePrefix(broker.groups.offsets_topic);
  const bool in_metadata_ns = name.starts_with(kPersistent)
                                  ? name.starts_with(metadata_ns)
                                  : broker.groups.topic_prefix == metadata_ns;
  if (!metadata_ns.empty() && in_metadata_ns) return true;
  const size_t slash = name.rfind('/');
  const std::string_view local =
      slash == std::string_view::npos ? name : name.substr(slash + 1);
  return local.starts_with(kReservedPrefix);
}

constexpr std::string_view kNotAuthorized =
    "the client's role is not authorized for this topic";

const std::string kNoRole;

}  // namespace

bool IsLegalTopicName(std::string_view name) {
  if (name.empty() || name.size() > 249 || name == "." || name == "..") {
    return false;
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

ErrorCode CheckClientTopic(const BrokerState& broker, std::string_view name,
                           ErrorCode illegal_name_error) {
  if (IsInternal(broker, name)) return ErrorCode::TOPIC_AUTHORIZATION_FAILED;
  if (!IsLegalTopicName(name)) return illegal_name_error;
  return ErrorCode::NONE;
}

std::optional<std::string> RefusalMessage(ErrorCode refused) {
  if (refused != ErrorCode::TOPIC_AUTHORIZATION_FAILED) return std::nullopt;
  return "internal, system and non-persistent topics cannot be used through "
         "the Kafka listener";
}

Access::Access(const RequestContext& ctx)
    : broker_(ctx.broker), session_(ctx.session), security_(ctx.security) {}

bool Access::Authorizing() const {
  return security_ != nullptr && security_->AuthorizationEnabled();
}

const std::string& Access::Role() const {
  if (session_ != nullptr && !session_->role.empty()) return session_->role;
  return broker_->anonymous_role.empty() ? kNoRole : broker_->anonymous_role;
}

std::string Access::FullName(std::string_view client_name) const {
  if (session_ != nullptr && !session_->topic_prefix.empty()) {
    return session_->topic_prefix + std::string(client_name);
  }
  return broker_->groups.topic_prefix + std::string(client_name);
}

std::string Access::ClientName(std::string_view resolved) const {
  if (session_ != nullptr && !session_->topic_prefix.empty() &&
      resolved.starts_with(session_->topic_prefix)) {
    return std::string(resolved.substr(session_->topic_prefix.size()));
  }
  return std::string(resolved);
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
  for (const std::string& name : q.names) {
    auto [it, added] = out.try_emplace(name);
    if (!added) continue;
    TopicDecision& d = it->second;
    d.error = CheckClientTopic(broker, name, q.illegal_name_error);
    if (d.error != ErrorCode::NONE) {
      d.message = RefusalMessage(d.error);
      continue;
    }
    const bool own_ns = session != nullptr && !session->topic_prefix.empty();
    d.resolved = own_ns ? session->topic_prefix + name : name;
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
                  {role, access.FullName(name), q.action, q.subscription}, now);
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
