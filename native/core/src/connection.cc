#include "connection.h"

#include "handlers/handler.h"
#include "kop/core/log.h"
#include "kop/protocol/api.h"
#include "kop/protocol/messages/request_header.h"
#include "kop/protocol/messages/response_header.h"
#include "kop/protocol/messages/sasl_authenticate_request.h"
#include "kop/protocol/messages/sasl_authenticate_response.h"

namespace kop::core {

using protocol::Reader;
using protocol::Writer;

namespace {
constexpr int16_t kApiVersionsKey = 18;
constexpr int16_t kSaslHandshakeKey = 17;
constexpr int16_t kSaslAuthenticateKey = 36;
// Smallest request header: api_key, api_version, correlation_id.
constexpr size_t kMinHeaderBytes = 8;
}  // namespace

KafkaConnection::KafkaConnection(const BrokerState& broker, ResponseSink* sink,
                                 TopicPort* topics, LogPort* log,
                                 ProducerStateTable* producers,
                                 groups::CoordinatorSet* groups,
                                 SecurityPort* security,
                                 ListenerSecurity listener,
                                 ScramCredentialCache* scram_cache)
    : state_(std::make_shared<State>()),
      topics_(topics),
      log_(log),
      producers_(producers),
      groups_(groups),
      security_(security),
      scram_cache_(scram_cache) {
  state_->broker = &broker;
  state_->sink = sink;
  state_->session = Session(std::move(listener));
}

// Replies still outstanding hold the state; they find it closed and drop.
KafkaConnection::~KafkaConnection() {
  {
    std::lock_guard<std::mutex> lock(state_->post_mu);
    state_->post_closed = true;
  }
  state_->closed = true;
}

void KafkaConnection::Post(const std::weak_ptr<State>& weak,
                           std::function<void()> task) {
  std::shared_ptr<State> st = weak.lock();
  if (st == nullptr) return;
  std::lock_guard<std::mutex> lock(st->post_mu);
  if (st->post_closed) return;
  st->sink->Post([weak, task = std::move(task)]() {
    std::shared_ptr<State> s = weak.lock();
    if (s != nullptr && !s->closed) task();
  });
}

void KafkaConnection::Reject(State& s, const std::string& why) {
  if (s.closed) return;
  Log(LogLevel::kWarn, "closing Kafka connection: " + why);
  s.closed = true;
  s.slots.clear();
  s.sink->Close();
}

void KafkaConnection::OnFrame(std::span<const uint8_t> frame) {
  State& s = *state_;
  if (s.closed) return;
  if (s.session.state == Session::State::kAwaitAuthenticate &&
      s.session.handshake_version == 0) {
    OnRawSaslToken(frame);
    return;
  }
  if (frame.size() < kMinHeaderBytes) {
    Reject(s, "request frame of " + std::to_string(frame.size()) +
                  " bytes is shorter than a request header");
    return;
  }
  Reader peek(frame);
  const int16_t api_key = peek.ReadInt16();
  const int16_t api_version = peek.ReadInt16();
  const int32_t correlation_id = peek.ReadInt32();

  if (std::string why = SaslGate(api_key); !why.empty()) {
    Reject(s, client_host_ + ": " + why);
    return;
  }
  const Handler* handler = FindHandler(api_key);
  if (handler != nullptr &&
      !Servable(*handler, topics_, log_, groups_ != nullptr,
                s.session.listener.sasl, security_)) {
    handler = nullptr;  // not served on this broker or listener
  }
  if (handler == nullptr) {
    const protocol::ApiSpec* spec = protocol::FindApi(api_key);
    Reject(s,
           "unsupported API key " + std::to_string(api_key) +
               (spec ? std::string(" (") + spec->name + ")" : std::string()) +
               " version " + std::to_string(api_version));
    return;
  }
  if (api_version < handler->min_version ||
      api_version > handler->max_version) {
    if (api_key == kApiVersionsKey && api_version > handler->max_version) {
      // KIP-511: answer a newer ApiVersions in v0 layout so the client can
      // retry with a version we speak; its body is not parsed.
      const uint64_t id = s.next_slot++;
      s.slots.push_back(NewSlot(api_key, 0, correlation_id, 0));
      Complete(s, id, UnsupportedApiVersionsResponse());
      return;
    }
    Reject(s, "unsupported version " + std::to_string(api_version) +
                  " of API key " + std::to_string(api_key));
    return;
  }

  Reader r(frame);
  protocol::RequestHeader header;
  header.Decode(r, protocol::RequestHeaderVersion(api_key, api_version));
  std::unique_ptr<protocol::Message> request = protocol::NewRequest(api_key);
  if (r.ok()) request->Decode(r, api_version);
  if (!r.ok()) {
    Reject(s, "malformed " + std::string(request->type_name()) + " v" +
                  std::to_string(api_version) + " (correlation id " +
                  std::to_string(correlation_id) + "): " + r.error().what +
                  " at byte " + std::to_string(r.error().offset));
    return;
  }
  Serve(*handler,
        NewSlot(api_key, api_version, correlation_id,
                protocol::ResponseHeaderVersion(api_key, api_version)),
        std::move(header.client_id), *request);
}

std::string KafkaConnection::SaslGate(int16_t api_key) const {
  const Session& session = state_->session;
  if (session.state == Session::State::kAuthenticated &&
      session.expires_at_ms > 0 && api_key != kSaslHandshakeKey &&
      SessionNowMs() >= session.expires_at_ms) {
    // KIP-368, as Kafka's KafkaChannel checks on receive: past the session
    // lifetime only a re-authentication (SaslHandshake) is served.
    return "the SASL session expired and the client did not re-authenticate";
  }
  if (!session.Ready() && api_key != kApiVersionsKey &&
      api_key != kSaslHandshakeKey && api_key != kSaslAuthenticateKey) {
    const protocol::ApiSpec* spec = protocol::FindApi(api_key);
    return "request API key " + std::to_string(api_key) +
           (spec ? std::string(" (") + spec->name + ")" : std::string()) +
           " before SASL authentication completed";
  }
  return {};
}

void KafkaConnection::OnRawSaslToken(std::span<const uint8_t> frame) {
  State& s = *state_;
  protocol::SaslAuthenticateRequest request;
  request.auth_bytes.assign(frame.begin(), frame.end());
  Slot slot = NewSlot(kSaslAuthenticateKey, 0, -1, 0);
  slot.raw_sasl = true;
  const Handler* handler = FindHandler(kSaslAuthenticateKey);
  if (handler == nullptr) {
    Reject(s, "no SaslAuthenticate handler for a SASL token frame");
    return;
  }
  Serve(*handler, std::move(slot), std::nullopt, request);
}

groups::GroupCoordinator* KafkaConnection::TenantGroups(
    const Session& session) {
  if (groups_ == nullptr) return nullptr;
  // The namespace is fixed once SASL succeeds (a KIP-368 re-authentication
  // must keep it), so the lookup runs once per connection, not per request.
  if (tenant_groups_ == nullptr ||
      tenant_groups_prefix_ != session.topic_prefix) {
    tenant_groups_ = groups_->For(session.topic_prefix);
    tenant_groups_prefix_ = session.topic_prefix;
  }
  return tenant_groups_;
}

void KafkaConnection::Serve(const Handler& handler, Slot slot,
                            std::optional<std::string> client_id,
                            const protocol::Message& request) {
  State& s = *state_;
  groups::GroupCoordinator* groups = TenantGroups(s.session);
  if (groups == nullptr && handler.needs == Handler::Needs::kGroups) {
    Reject(s, client_host_ + ": no group coordinator for tenant " +
                  groups_->TenantOf(s.session.topic_prefix) +
                  " (too many tenants)");
    return;
  }
  const uint64_t id = s.next_slot++;
  const Slot& added = s.slots.emplace_back(std::move(slot));
  std::weak_ptr<State> weak = state_;
  RequestContext ctx{
      added.api_key,
      added.api_version,
      added.correlation_id,
      std::move(client_id),
      s.broker,
      topics_,
      log_,
      producers_,
      groups,
      [weak](std::function<void()> task) { Post(weak, std::move(task)); },
      &s.fetch_sessions,
      client_host_,
      &s.session,
      security_,
      [weak, id](bool failed_auth) {
        std::shared_ptr<State> st = weak.lock();
        if (st == nullptr || st->closed) return;
        const uint64_t front = st->next_slot - st->slots.size();
        if (id < front || id >= st->next_slot) return;
        st->slots[id - front].close_after =
            failed_auth ? Slot::CloseAfter::kCloseFailedAuth
                        : Slot::CloseAfter::kClose;
      },
      scram_cache_};
  handler.handle(ctx, request,
                 [weak, id](std::unique_ptr<protocol::Message> body) {
                   if (std::shared_ptr<State> st = weak.lock()) {
                     Complete(*st, id, std::move(body));
                   }
                 });
}

void KafkaConnection::Complete(State& s, uint64_t id,
                               std::unique_ptr<protocol::Message> body) {
  if (s.closed) return;
  const uint64_t front = s.next_slot - s.slots.size();
  if (id < front || id >= s.next_slot) return;  // answered already
  Slot& slot = s.slots[id - front];
  if (slot.done) return;
  slot.done = true;
  if (body == nullptr) {
    slot.no_response = true;
  } else if (slot.raw_sasl) {
    // After SaslHandshake v0 the server token goes back as a bare frame; a
    // failure has no frame to report it in: the connection just closes.
    const auto& auth =
        static_cast<const protocol::SaslAuthenticateResponse&>(*body);
    if (auth.error_code != 0) {
      slot.no_response = true;
    } else {
      Writer w(slot.frame);
      w.WriteInt32(static_cast<int32_t>(auth.auth_bytes.size()));
      w.WriteSpan(
          protocol::Bytes(auth.auth_bytes.data(), auth.auth_bytes.size()));
    }
  } else {
    protocol::ResponseHeader header;
    header.correlation_id = slot.correlation_id;
    const size_t size =
        header.Size(slot.header_version) + body->Size(slot.api_version);
    slot.frame.reserve(4 + size);
    Writer w(slot.frame);
    w.WriteInt32(static_cast<int32_t>(size));
    absl::Status st = header.Encode(w, slot.header_version);
    if (st.ok()) st = body->Encode(w, slot.api_version);
    if (!st.ok()) {
      // Our own response does not fit its version: a bug, not client input.
      Reject(s, "cannot encode response to API key " +
                    std::to_string(slot.api_key) + " v" +
                    std::to_string(slot.api_version) + ": " + st.ToString());
      return;
    }
  }
  Flush(s);
}

void KafkaConnection::Flush(State& s) {
  while (!s.closed && !s.slots.empty() && s.slots.front().done) {
    Slot slot = std::move(s.slots.front());
    s.slots.pop_front();
    if (!slot.no_response) s.sink->Send(slot.frame);
    if (slot.close_after != Slot::CloseAfter::kNo) {
      s.closed = true;
      s.slots.clear();
      if (slot.close_after == Slot::CloseAfter::kCloseFailedAuth) {
        s.sink->CloseAfterFailedAuthentication();
      } else {
        s.sink->Close();
      }
    }
  }
}

}  // namespace kop::core
