// ConnectionHandle: the core's ResponseSink, TopicPort, LogPort and
// SecurityPort (authentication) for one
// Kafka connection, each port call one PortUpcall answered by a nativeOn*
// completion. The boundary's rules and the port calls: jni-bridge/README.md.
#include "connection_handle.h"

#include <utility>

#include "jni_util.h"
#include "kop/core/log.h"
#include "port_upcall.h"

namespace kop::jni {

using kop::core::ErrorCode;
using kop::core::LogLevel;

namespace {

// Operations of KafkaFrameHandler.onNativeTopicAdmin.
constexpr jint kAdminCreate = 0;
constexpr jint kAdminDelete = 1;
constexpr jint kAdminPartitions = 2;

constexpr PortCallSite kLookupSite{"topic lookup", "name array",
                                   "KafkaFrameHandler.onNativeLookupTopics"};
constexpr PortCallSite kListSite{"topic listing", "request id",
                                 "KafkaFrameHandler.onNativeListTopics"};
constexpr PortCallSite kListNamespaceSite{
    "namespace listing", "namespace",
    "KafkaFrameHandler.onNativeListNamespace"};
constexpr PortCallSite kOwnersSite{
    "coordinator owner lookup", "offsets topic and partitions",
    "KafkaFrameHandler.onNativeLookupOffsetsOwners"};
constexpr PortCallSite kAdminSite{"topic admin", "topic name",
                                  "KafkaFrameHandler.onNativeTopicAdmin"};
constexpr PortCallSite kAppendSite{"append", "topic name or entry",
                                   "KafkaFrameHandler.onNativeAppend"};
constexpr PortCallSite kReadSite{"read", "topic name",
                                 "KafkaFrameHandler.onNativeRead"};
constexpr PortCallSite kAuthorizeSite{"authorization check", "names",
                                      "KafkaFrameHandler.onNativeAuthorize"};
constexpr PortCallSite kSubscriptionSite{
    "subscription call", "names", "KafkaFrameHandler.onNativeSubscription"};
constexpr PortCallSite kPermissionsSite{
    "permission call", "names", "KafkaFrameHandler.onNativePermissions"};
constexpr PortCallSite kAuthenticateSite{
    "authentication", "method or credential",
    "KafkaFrameHandler.onNativeAuthenticate"};

// A port call Java could not take, or answered malformed, answers
// UNKNOWN_SERVER_ERROR.
kop::core::AppendResult AppendFailed() {
  kop::core::AppendResult r;
  r.error_code = ErrorCode::UNKNOWN_SERVER_ERROR;
  return r;
}

kop::core::ReadResult ReadFailed() {
  kop::core::ReadResult r;
  r.error_code = ErrorCode::UNKNOWN_SERVER_ERROR;
  return r;
}

void FailTopics(TopicsCall& call, UpcallFailure) { call.Fail(); }

void FailAppend(ConnectionHandle::AppendDone& done, UpcallFailure) {
  done(AppendFailed());
}

void FailRead(ConnectionHandle::ReadDone& done, UpcallFailure) {
  done(ReadFailed());
}

void FailAdmin(kop::core::TopicPort::AdminDone& done, UpcallFailure why) {
  switch (why) {
    case UpcallFailure::kNoEnvironment:
      done(ErrorCode::UNKNOWN_SERVER_ERROR, "no JNI environment or handler");
      return;
    case UpcallFailure::kArguments:
      done(ErrorCode::UNKNOWN_SERVER_ERROR,
           "cannot pass the topic name to Java");
      return;
    case UpcallFailure::kThrew:
      done(ErrorCode::UNKNOWN_SERVER_ERROR, "the topic admin upcall failed");
      return;
  }
}

void FailSubscription(ConnectionHandle::SubscriptionDone& done, UpcallFailure) {
  done(ErrorCode::UNKNOWN_SERVER_ERROR);
}

// An authentication Java could not take fails: no credential is accepted
// unchecked.
void FailAuthenticate(ConnectionHandle::AuthDone& done, UpcallFailure) {
  kop::core::AuthResult r;
  r.error_code = ErrorCode::SASL_AUTHENTICATION_FAILED;
  r.error_message = "the broker could not check the credential";
  done(std::move(r));
}

// A check that could not be made refuses (the core asks again next time).
void FailAuthorize(ConnectionHandle::AuthorizeDone& done, UpcallFailure) {
  done(ErrorCode::UNKNOWN_SERVER_ERROR);
}

// A permission call Java could not take fails; nothing is granted or revoked.
void FailPermissions(ConnectionHandle::PermissionDone& done, UpcallFailure) {
  done({ErrorCode::UNKNOWN_SERVER_ERROR,
        "the broker could not reach Pulsar's permissions",
        {}});
}

// onNativePermissions's op numbers (KafkaFrameHandler.PERMISSIONS_*).
constexpr jint kListPermissions = 0;
constexpr jint kGrantPermission = 1;
constexpr jint kRevokePermission = 2;

}  // namespace

ConnectionHandle::ConnectionHandle(std::shared_ptr<kop::core::Broker> broker,
                                   jobject handler, bool subscription_mirror)
    : broker_(std::move(broker)),
      handler_(handler),
      subscription_mirror_(subscription_mirror) {}

void ConnectionHandle::Release(JNIEnv* env) {
  // Posting stops first: later Posts are dropped, and queued tasks are
  // destroyed unrun (after the core connection, like pending callbacks).
  // Under the lock, so no Post is using handler_ when it is deleted below.
  std::vector<std::function<void()>> posted;
  {
    std::lock_guard<std::mutex> lock(post_mu_);
    post_closed_ = true;
    posted.swap(posted_);
  }
  {
    // Pending callbacks are dropped, never run, at the end of this block:
    // the core connection they would answer goes away first.
    auto topics = topics_.TakeAll();
    auto appends = appends_.TakeAll();
    auto reads = reads_.TakeAll();
    auto admins = admins_.TakeAll();
    auto subscriptions = subscriptions_.TakeAll();
    auto authentications = authentications_.TakeAll();
    auto authorizations = authorizations_.TakeAll();
    auto permissions = permissions_.TakeAll();
    conn_.reset();  // the core connection goes before its sink
  }
  posted.clear();
  if (handler_ != nullptr) {
    env->DeleteGlobalRef(handler_);
    handler_ = nullptr;
  }
}

void ConnectionHandle::Send(std::span<const uint8_t> frame) {
  JNIEnv* env = CurrentEnv();
  if (env == nullptr || handler_ == nullptr) {
    kop::core::Log(LogLevel::kError,
                   "response dropped: no JNI environment or handler");
    return;
  }
  // Java copies [address, address+length) before returning.
  env->CallVoidMethod(handler_, g_java.send,
                      static_cast<jlong>(AddressOf(frame.data())),
                      static_cast<jint>(frame.size()));
  ClearPendingException(env, "KafkaFrameHandler.onNativeSend");
}

void ConnectionHandle::Close() {
  JNIEnv* env = CurrentEnv();
  if (env == nullptr || handler_ == nullptr) return;
  env->CallVoidMethod(handler_, g_java.close);
  ClearPendingException(env, "KafkaFrameHandler.onNativeClose");
}

// Java holds the response and closes after
// connection.failed.authentication.delay.ms.
void ConnectionHandle::CloseAfterFailedAuthentication() {
  JNIEnv* env = CurrentEnv();
  if (env == nullptr || handler_ == nullptr) return;
  env->CallVoidMethod(handler_, g_java.close_failed_auth);
  ClearPendingException(env, "KafkaFrameHandler.onNativeCloseFailedAuth");
}

// ResponseSink::Post, from any thread. The task waits in this connection's
// queue; the first one since the last run asks Java (onNativePost) to call
// nativeRunPosted on the event loop. That upcall happens under the lock, so
// Release cannot delete handler_ meanwhile; it only enqueues a Runnable on
// the event loop and never calls back into native code, so it cannot
// deadlock. A task posted after close is destroyed unrun, outside the lock.
void ConnectionHandle::Post(std::function<void()> task) {
  std::unique_lock<std::mutex> lock(post_mu_);
  if (post_closed_) {
    lock.unlock();
    task = nullptr;
    return;
  }
  posted_.push_back(std::move(task));
  if (run_scheduled_) return;
  ScopedEnv scoped;
  JNIEnv* env = scoped.env();
  if (env == nullptr || handler_ == nullptr || g_java.post == nullptr) {
    // Queued; the next Post asks again.
    kop::core::Log(LogLevel::kError,
                   "posted task waits: no JNI environment or handler");
    return;
  }
  env->CallVoidMethod(handler_, g_java.post);
  if (!ClearPendingException(env, "KafkaFrameHandler.onNativePost")) {
    run_scheduled_ = true;
  }
}

void ConnectionHandle::RunPosted() {
  std::vector<std::function<void()>> tasks;
  {
    std::lock_guard<std::mutex> lock(post_mu_);
    if (post_closed_) return;
    tasks.swap(posted_);
    run_scheduled_ = false;
  }
  for (auto& task : tasks) {
    try {
      task();
    } catch (...) {
      LogCurrentException("a posted task");
    }
  }
}

void ConnectionHandle::Lookup(std::vector<std::string> names, bool auto_create,
                              TopicsDone done) {
  TopicsCall call{std::move(done), std::move(names), true};
  // The names convert before `call` moves into topics_.
  PortUpcall(handler_, g_java.lookup, kLookupSite, topics_, std::move(call),
             FailTopics, call.names, auto_create);
}

void ConnectionHandle::ListAll(TopicsDone done) {
  PortUpcall(handler_, g_java.list, kListSite, topics_,
             TopicsCall{std::move(done), {}, false}, FailTopics);
}

// Answered like ListAll, with the namespace's topics by local name.
void ConnectionHandle::ListNamespace(std::string prefix, TopicsDone done) {
  PortUpcall(handler_, g_java.list_namespace, kListNamespaceSite, topics_,
             TopicsCall{std::move(done), {}, false}, FailTopics,
             std::string_view(prefix));
}

// Java answers with nativeOnTopicsResolved, one entry per partition (its name
// unused), as for a lookup: an entry without error is owned by its one
// leader, or by this broker when no leaders are sent. The call fails, like a
// lookup, with UNKNOWN_SERVER_ERROR for every partition.
void ConnectionHandle::LookupOffsetsOwners(std::string offsets_topic,
                                           std::vector<int32_t> partitions,
                                           OwnersDone done) {
  auto to_owners =
      [done = std::move(done)](std::vector<kop::core::TopicInfo> answers) {
        std::vector<kop::core::PartitionOwner> out(answers.size());
        for (size_t i = 0; i < answers.size(); ++i) {
          out[i].error_code = answers[i].error_code;
          if (answers[i].leaders.empty()) {
            out[i].owner.local = true;
          } else {
            out[i].owner = answers[i].leaders[0];
          }
        }
        done(std::move(out));
      };
  TopicsCall call{std::move(to_owners),
                  std::vector<std::string>(partitions.size()), true};
  PortUpcall(handler_, g_java.owners, kOwnersSite, topics_, std::move(call),
             FailTopics, std::string_view(offsets_topic), partitions);
}

void ConnectionHandle::Resolve(JNIEnv* env, uint64_t id, jobjectArray names,
                               jintArray partitions, jshortArray errors,
                               const Owners& owners) {
  std::optional<TopicsCall> call = topics_.TakeAnswered(id);
  if (!call) return;
  std::vector<kop::core::TopicInfo> out;
  std::vector<kop::core::BrokerNode> table;
  if (!Decode(env, *call, names, partitions, errors, out) ||
      !DecodeNodes(env, owners, table) ||
      !DecodeOwners(env, owners, table, out)) {
    call->Fail();  // logged above
    return;
  }
  if (owners.node_ids != nullptr) {
    cluster_ = std::move(table);  // every other Kafka broker, for Metadata
  }
  call->done(std::move(out));
}

void ConnectionHandle::CreateTopic(std::string name, int32_t partitions,
                                   AdminDone done) {
  TopicAdmin(kAdminCreate, name, partitions, std::move(done));
}

void ConnectionHandle::DeleteTopic(std::string name, AdminDone done) {
  TopicAdmin(kAdminDelete, name, 0, std::move(done));
}

void ConnectionHandle::CreatePartitions(std::string name, int32_t total_count,
                                        AdminDone done) {
  TopicAdmin(kAdminPartitions, name, total_count, std::move(done));
}

// One upcall per administration call; answered by nativeOnTopicAdminDone.
void ConnectionHandle::TopicAdmin(jint op, const std::string& name,
                                  int32_t count, AdminDone done) {
  PortUpcall(handler_, g_java.admin, kAdminSite, admins_, std::move(done),
             FailAdmin, op, std::string_view(name), count);
}

void ConnectionHandle::AdminDoneFor(uint64_t id, ErrorCode error_code,
                                    std::string message) {
  if (auto done = admins_.TakeAnswered(id)) {
    (*done)(error_code, std::move(message));
  }
}

// `entry` is valid only during the call: it crosses as its address, and Java
// copies it in the upcall.
// The broker's own appends (group metadata) cross with producer id
// kBrokerAppend: Java checks no producer policy on them.
void ConnectionHandle::Append(std::string_view topic, int32_t partition,
                              std::span<const uint8_t> entry,
                              int32_t num_records, AppendDone done) {
  ProduceAppend(kBrokerAppend, 0, topic, partition, entry, num_records,
                std::move(done));
}

void ConnectionHandle::ProduceAppend(int64_t producer_id, int32_t max_hold_ms,
                                     std::string_view topic, int32_t partition,
                                     std::span<const uint8_t> entry,
                                     int32_t num_records, AppendDone done) {
  PortUpcall(handler_, g_java.append, kAppendSite, appends_, std::move(done),
             FailAppend, topic, partition, AddressOf(entry.data()),
             JavaLength{entry.size()}, num_records, producer_id, max_hold_ms);
}

void ConnectionHandle::Appended(uint64_t id, ErrorCode error_code,
                                int64_t base_offset, int64_t log_start_offset,
                                std::string message, int32_t throttle_time_ms) {
  if (auto done = appends_.TakeAnswered(id)) {
    kop::core::AppendResult r;
    r.error_code = error_code;
    r.base_offset = base_offset;
    r.log_start_offset = log_start_offset;
    r.error_message = std::move(message);
    r.throttle_time_ms = throttle_time_ms < 0 ? 0 : throttle_time_ms;
    (*done)(r);
  }
}

// Answered later by nativeOnRead.
void ConnectionHandle::Read(std::string_view topic, int32_t partition,
                            int64_t offset, int32_t max_bytes,
                            int32_t max_wait_ms, ReadDone done) {
  PortUpcall(handler_, g_java.read, kReadSite, reads_, std::move(done),
             FailRead, topic, partition, offset, max_bytes, max_wait_ms);
}

void ConnectionHandle::ReadDoneFor(JNIEnv* env, uint64_t id,
                                   ErrorCode error_code,
                                   int64_t log_start_offset,
                                   int64_t log_end_offset, jlong address,
                                   jint length, jintArray lengths) {
  std::optional<ReadDone> done = reads_.TakeAnswered(id);
  if (!done) return;
  kop::core::ReadResult r;
  r.error_code = error_code;
  r.log_start_offset = log_start_offset;
  r.log_end_offset = log_end_offset;
  const jsize n = lengths == nullptr ? 0 : env->GetArrayLength(lengths);
  std::vector<jint> lens(static_cast<size_t>(n));
  if (n > 0) env->GetIntArrayRegion(lengths, 0, n, lens.data());
  if (ClearPendingException(env, "nativeOnRead")) {
    (*done)(ReadFailed());
    return;
  }
  bool ok = length >= 0 && (length == 0 || address != 0);
  int64_t total = 0;
  for (jint l : lens) {
    if (l < 0) ok = false;
    total += l;
  }
  if (!ok || total != static_cast<int64_t>(length)) {
    kop::core::Log(LogLevel::kError,
                   "nativeOnRead: entry lengths do not match the buffer");
    (*done)(ReadFailed());
    return;
  }
  const auto* base =
      reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(address));
  size_t off = 0;
  r.entries.reserve(lens.size());
  for (jint l : lens) {
    r.entries.emplace_back(base + off, static_cast<size_t>(l));
    off += static_cast<size_t>(l);
  }
  (*done)(r);
}

void ConnectionHandle::CommitSubscription(std::string_view topic,
                                          int32_t partition,
                                          std::string_view name, int64_t offset,
                                          SubscriptionDone done) {
  Subscription(kSubscriptionCommit, topic, partition, name, offset,
               std::move(done));
}

void ConnectionHandle::DeleteSubscription(std::string_view topic,
                                          int32_t partition,
                                          std::string_view name,
                                          SubscriptionDone done) {
  Subscription(kSubscriptionDelete, topic, partition, name, -1,
               std::move(done));
}

// One upcall per subscription call; answered by nativeOnSubscriptionDone.
// Topic and subscription names go up as bytes (Java decodes them strictly).
void ConnectionHandle::Subscription(jint op, std::string_view topic,
                                    int32_t partition, std::string_view name,
                                    int64_t offset, SubscriptionDone done) {
  PortUpcall(handler_, g_java.subscription, kSubscriptionSite, subscriptions_,
             std::move(done), FailSubscription, op, topic, partition, name,
             offset);
}

void ConnectionHandle::SubscriptionDoneFor(uint64_t id, ErrorCode error_code) {
  if (auto done = subscriptions_.TakeAnswered(id)) (*done)(error_code);
}

// One upcall per SASL credential; answered by nativeOnAuthenticated.
void ConnectionHandle::Authenticate(std::string auth_method,
                                    std::string credential, AuthDone done) {
  PortUpcall(handler_, g_java.authenticate, kAuthenticateSite, authentications_,
             std::move(done), FailAuthenticate, std::string_view(auth_method),
             std::string_view(credential));
}

void ConnectionHandle::AuthenticatedFor(uint64_t id,
                                        kop::core::AuthResult result) {
  if (auto done = authentications_.TakeAnswered(id)) {
    (*done)(std::move(result));
  }
}

// One upcall per (role, topic, action) the core asks about; answered by
// nativeOnAuthorized. The action crosses as its TopicAction number.
void ConnectionHandle::Authorize(std::string role, std::string topic,
                                 kop::core::TopicAction action,
                                 std::string subscription, AuthorizeDone done) {
  PortUpcall(handler_, g_java.authorize, kAuthorizeSite, authorizations_,
             std::move(done), FailAuthorize, std::string_view(role),
             std::string_view(topic), static_cast<int32_t>(action),
             std::string_view(subscription));
}

void ConnectionHandle::AuthorizedFor(uint64_t id, ErrorCode error_code) {
  if (auto done = authorizations_.TakeAnswered(id)) (*done)(error_code);
}

// One upcall per permission listing or change; answered by
// nativeOnPermissions. Pulsar checks the caller's right to manage the
// namespace's permissions before it acts.
void ConnectionHandle::Permissions(jint op, std::string_view caller,
                                   std::string_view ns,
                                   const kop::core::Permission& p,
                                   PermissionDone done) {
  PortUpcall(handler_, g_java.permissions, kPermissionsSite, permissions_,
             std::move(done), FailPermissions, static_cast<int32_t>(op), caller,
             ns, static_cast<int32_t>(p.scope), std::string_view(p.name),
             std::string_view(p.role), static_cast<int32_t>(p.actions));
}

void ConnectionHandle::ListPermissions(std::string caller, std::string ns,
                                       PermissionDone done) {
  Permissions(kListPermissions, caller, ns, kop::core::Permission{},
              std::move(done));
}

void ConnectionHandle::ChangePermission(std::string caller, std::string ns,
                                        kop::core::Permission p, bool grant,
                                        PermissionDone done) {
  Permissions(grant ? kGrantPermission : kRevokePermission, caller, ns, p,
              std::move(done));
}

void ConnectionHandle::PermissionsFor(uint64_t id,
                                      kop::core::PermissionResult result) {
  if (auto done = permissions_.TakeAnswered(id)) (*done)(std::move(result));
}

}  // namespace kop::jni
