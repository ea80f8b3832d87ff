// The objects behind the bridge's handles: BrokerHandle (nativeCreateBroker)
// and ConnectionHandle (nativeOpenConnection), which is the core's
// ResponseSink, TopicPort and LogPort for one Kafka connection.
// The boundary's rules and the port calls: jni-bridge/README.md.
#ifndef KOP_JNI_BRIDGE_CONNECTION_HANDLE_H_
#define KOP_JNI_BRIDGE_CONNECTION_HANDLE_H_

#include <jni.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kop/core/broker.h"
#include "pending_calls.h"
#include "topic_answer.h"

namespace kop::jni {

struct BrokerHandle {
  std::shared_ptr<kop::core::Broker> core;
  bool subscription_mirror = true;  // LogPort::SupportsSubscriptions()
  // SecurityPort::AuthorizationEnabled() (broker.conf's authorizationEnabled,
  // passed by KopConfig).
  bool authorization_enabled = false;
};

// The broker.conf key of Pulsar authorization (KopConfig passes "true" or
// "false"; absent means off).
inline constexpr const char* kAuthorizationEnabledKey = "authorizationEnabled";

// The broker.conf key that turns the subscription mirror on (KopConfig passes
// "true" or "false"; absent means the default, on).
inline constexpr const char* kSubscriptionMirrorKey =
    "kafkaGroupSubscriptionMirror";

// Operations of KafkaFrameHandler.onNativeSubscription.
inline constexpr jint kSubscriptionCommit = 0;
inline constexpr jint kSubscriptionDelete = 1;

// One Kafka connection: the ResponseSink the core writes to, the TopicPort it
// asks for topic metadata, the LogPort it appends through and the
// SecurityPort that checks its SASL credentials and asks Pulsar's
// AuthorizationService, bound to the
// Java KafkaFrameHandler that owns the channel. Used only on that channel's
// event loop, except Post.
class ConnectionHandle final : public kop::core::ResponseSink,
                               public kop::core::TopicPort,
                               public kop::core::LogPort,
                               public kop::core::SecurityPort {
 public:
  using AppendDone = std::function<void(const kop::core::AppendResult&)>;
  using ReadDone = std::function<void(const kop::core::ReadResult&)>;
  using SubscriptionDone = std::function<void(kop::core::ErrorCode)>;
  using AuthDone = std::function<void(kop::core::AuthResult)>;
  using AuthorizeDone = std::function<void(kop::core::ErrorCode)>;
  using PermissionDone = std::function<void(kop::core::PermissionResult)>;
  using ScramFetchDone = std::function<void(
      kop::core::ErrorCode, std::optional<kop::core::ScramCredential>)>;
  using ScramStoreDone = std::function<void(kop::core::ErrorCode, std::string)>;
  using ScramListDone = std::function<void(
      kop::core::ErrorCode, std::vector<kop::core::ScramCredentialInfo>)>;

  // `handler` is a global reference, deleted by Release.
  ConnectionHandle(std::shared_ptr<kop::core::Broker> broker, jobject handler,
                   bool subscription_mirror);

  // Closes the connection, with the JNIEnv of the channel's event loop.
  void Release(JNIEnv* env);

  void Attach(std::unique_ptr<kop::core::Connection> conn) {
    conn_ = std::move(conn);
  }
  kop::core::Connection* connection() { return conn_.get(); }

  // ResponseSink.
  void Send(std::span<const uint8_t> frame) override;
  void Close() override;
  void CloseAfterFailedAuthentication() override;
  void Post(std::function<void()> task) override;
  // nativeRunPosted, on the event loop: runs what was posted until now, in
  // order, outside the lock (a task may Post again: it runs next time).
  void RunPosted();

  // TopicPort.
  void Lookup(std::vector<std::string> names, bool auto_create,
              TopicsDone done) override;
  void ListAll(TopicsDone done) override;
  void ListNamespace(std::string prefix, TopicsDone done) override;
  void LookupOffsetsOwners(std::string offsets_topic,
                           std::vector<int32_t> partitions,
                           OwnersDone done) override;
  std::vector<kop::core::BrokerNode> ClusterBrokers() const override {
    return cluster_;
  }
  bool SupportsAdmin() const override { return true; }
  void CreateTopic(std::string name, int32_t partitions,
                   AdminDone done) override;
  void DeleteTopic(std::string name, AdminDone done) override;
  void CreatePartitions(std::string name, int32_t total_count,
                        AdminDone done) override;

  // LogPort.
  void Append(std::string_view topic, int32_t partition,
              std::span<const uint8_t> entry, int32_t num_records,
              AppendDone done) override;
  // A Kafka producer's append: Java checks the Pulsar policies on it.
  // Producer id of the broker's own appends in the onNativeAppend upcall
  // (KafkaFrameHandler.BROKER_APPEND).
  static constexpr int64_t kBrokerAppend = -2;
  void ProduceAppend(int64_t producer_id, int32_t max_hold_ms,
                     std::string_view topic, int32_t partition,
                     std::span<const uint8_t> entry, int32_t num_records,
                     AppendDone done) override;
  bool SupportsRead() const override { return true; }
  void Read(std::string_view topic, int32_t partition, int64_t offset,
            int32_t max_bytes, int32_t max_wait_ms, ReadDone done) override;
  bool SupportsSubscriptions() const override { return subscription_mirror_; }
  void CommitSubscription(std::string_view topic, int32_t partition,
                          std::string_view name, int64_t offset,
                          SubscriptionDone done) override;
  void DeleteSubscription(std::string_view topic, int32_t partition,
                          std::string_view name,
                          SubscriptionDone done) override;

  // SecurityPort: Pulsar's AuthenticationService, through
  // onNativeAuthenticate (the credential crosses as bytes, never logged).
  void Authenticate(std::string auth_method, std::string credential,
                    AuthDone done) override;
  // SecurityPort: Pulsar authorization (KafkaFrameHandler.onNativeAuthorize).
  void SetAuthorizationEnabled(bool enabled) {
    authorization_enabled_ = enabled;
  }
  bool AuthorizationEnabled() const override { return authorization_enabled_; }
  void Authorize(std::string role, std::string topic,
                 kop::core::TopicAction action, std::string subscription,
                 AuthorizeDone done) override;
  // SecurityPort: Pulsar's namespace permissions
  // (KafkaFrameHandler.onNativePermissions).
  void ListPermissions(std::string caller, std::string ns,
                       PermissionDone done) override;
  void ChangePermission(std::string caller, std::string ns,
                        kop::core::Permission p, bool grant,
                        PermissionDone done) override;

  // SecurityPort: SCRAM credentials in Pulsar's metadata store and Pulsar's
  // superuser check (scram_port.cc; KafkaFrameHandler.onNativeScram*,
  // onNativeIsSuperUser).
  void FetchScramCredential(std::string mechanism, std::string user,
                            ScramFetchDone done) override;
  void StoreScramCredential(
      std::string mechanism, std::string user,
      std::optional<kop::core::ScramCredential> credential,
      ScramStoreDone done) override;
  void ListScramCredentials(ScramListDone done) override;
  void IsSuperUser(std::string role, AuthorizeDone done) override;

  // Java's answers (nativeOn*), on the event loop: each runs and forgets the
  // callback of request `id`; an unknown id is ignored.
  void Resolve(JNIEnv* env, uint64_t id, jobjectArray names,
               jintArray partitions, jshortArray errors, const Owners& owners);
  void Appended(uint64_t id, kop::core::ErrorCode error_code,
                int64_t base_offset, int64_t log_start_offset,
                std::string message, int32_t throttle_time_ms);
  // The entries are [address, address + length) split by `lengths`, valid
  // during the call.
  void ReadDoneFor(JNIEnv* env, uint64_t id, kop::core::ErrorCode error_code,
                   int64_t log_start_offset, int64_t log_end_offset,
                   jlong address, jint length, jintArray lengths);
  void AdminDoneFor(uint64_t id, kop::core::ErrorCode error_code,
                    std::string message);
  void SubscriptionDoneFor(uint64_t id, kop::core::ErrorCode error_code);
  void AuthenticatedFor(uint64_t id, kop::core::AuthResult result);
  void AuthorizedFor(uint64_t id, kop::core::ErrorCode error_code);
  void PermissionsFor(uint64_t id, kop::core::PermissionResult result);
  void ScramFetchedFor(uint64_t id, kop::core::ErrorCode error_code,
                       std::optional<kop::core::ScramCredential> credential);
  void ScramStoredFor(uint64_t id, kop::core::ErrorCode error_code,
                      std::string message);
  void ScramListedFor(uint64_t id, kop::core::ErrorCode error_code,
                      std::vector<kop::core::ScramCredentialInfo> infos);
  void SuperUserFor(uint64_t id, kop::core::ErrorCode error_code);

 private:
  void TopicAdmin(jint op, const std::string& name, int32_t count,
                  AdminDone done);
  void Permissions(jint op, std::string_view caller, std::string_view ns,
                   const kop::core::Permission& p, PermissionDone done);
  void Subscription(jint op, std::string_view topic, int32_t partition,
                    std::string_view name, int64_t offset,
                    SubscriptionDone done);

  std::shared_ptr<kop::core::Broker> broker_;  // keeps the core alive
  jobject handler_;                            // global ref
  std::unique_ptr<kop::core::Connection> conn_;
  // The other Kafka brokers, as the latest topic answer listed them.
  std::vector<kop::core::BrokerNode> cluster_;
  PendingCalls<TopicsCall> topics_{"topic metadata"};
  PendingCalls<AppendDone> appends_{"append"};
  PendingCalls<ReadDone> reads_{"read"};
  PendingCalls<AdminDone> admins_{"topic admin"};
  PendingCalls<SubscriptionDone> subscriptions_{"subscription"};
  PendingCalls<AuthDone> authentications_{"authentication"};
  PendingCalls<AuthorizeDone> authorizations_{"authorization"};
  PendingCalls<PermissionDone> permissions_{"permissions"};
  PendingCalls<ScramFetchDone> scram_fetches_{"SCRAM credential fetch"};
  PendingCalls<ScramStoreDone> scram_stores_{"SCRAM credential store"};
  PendingCalls<ScramListDone> scram_lists_{"SCRAM credential listing"};
  PendingCalls<AuthorizeDone> super_users_{"superuser check"};
  bool authorization_enabled_ = false;
  const bool subscription_mirror_;
  // ResponseSink::Post's queue: the only state touched from other threads.
  std::mutex post_mu_;
  std::vector<std::function<void()>> posted_;
  bool run_scheduled_ = false;  // Java was asked to call nativeRunPosted
  bool post_closed_ = false;    // Release ran: Posts are dropped
};

}  // namespace kop::jni

#endif  // KOP_JNI_BRIDGE_CONNECTION_HANDLE_H_
