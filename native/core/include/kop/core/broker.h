// The native core's entry points, as seen by the JNI bridge.
//
// The core owns no threads and no sockets: the shim hands it complete request
// frames (without the 4-byte length prefix) on the connection's event loop and
// the core answers through a ResponseSink. A response may be sent later, from
// a port's completion, but always in request order.
#ifndef KOP_CORE_BROKER_H_
#define KOP_CORE_BROKER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kop/protocol/errors.h"

namespace kop::core {

// Kafka error codes, as the ports carry them (NONE: success).
using protocol::ErrorCode;

// Where a connection's responses go. Implemented by the JNI bridge.
class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  // `frame` includes the 4-byte big-endian length prefix. The bytes are only
  // valid during the call: the sink copies them.
  virtual void Send(std::span<const uint8_t> frame) = 0;
  // The core asks for the connection to be closed (Kafka closes on frames it
  // cannot parse). Responses already sent are flushed first.
  virtual void Close() = 0;
  // Like Close, after a failed SASL authentication: the shim holds the
  // response and closes only after connection.failed.authentication.delay.ms
  // (Kafka's key), so a client guessing credentials cannot retry at once.
  virtual void CloseAfterFailedAuthentication() { Close(); }
  // Runs `task` later on the connection's event loop. May be called from any
  // thread (the group coordinator completes a parked JoinGroup from another
  // member's connection or from Tick); the core never calls it after the
  // connection is destroyed, and a task still queued then is dropped
  // unrun. The default runs the task at once (single-threaded tests).
  virtual void Post(std::function<void()> task) { task(); }
};

// A broker as Kafka clients address it: the owner of a partition.
struct BrokerNode {
  int32_t node_id = -1;  // -1: no broker owns the partition right now
  std::string host;
  int32_t port = -1;
  bool local = false;  // this broker (node_id, host and port unused)
};

// Who owns one partition, as TopicPort::LookupOffsetsOwners answers it.
struct PartitionOwner {
  // NONE: `owner` is valid. Anything else: the lookup failed or timed out,
  // and no broker may be named (least of all this one: the group may live
  // elsewhere).
  ErrorCode error_code = ErrorCode::NONE;
  // `local` for this broker; node_id -1 when no broker owns it right now.
  BrokerNode owner;
};

struct TopicInfo {
  std::string name;  // Kafka topic name, e.g. "orders"
  int32_t partitions =
      0;  // >= 1 partitioned; 0 = non-partitioned (served as 1)
  // NONE, UNKNOWN_TOPIC_OR_PARTITION, INVALID_TOPIC_EXCEPTION, ...
  ErrorCode error_code = ErrorCode::NONE;
  // The broker owning each partition (Pulsar's bundle owner), one per served
  // partition. Empty: this broker leads every partition (one broker, or
  // ownership unknown). A leader that is `local` or carries this broker's
  // node id is this broker.
  std::vector<BrokerNode> leaders;
};

// Topic metadata, implemented by the JNI bridge on the Pulsar broker (and by
// in-memory fakes in tests). Every callback runs exactly once, on the
// connection's event loop; never after the connection is gone.
class TopicPort {
 public:
  virtual ~TopicPort() = default;
  // Resolves Kafka topic names; with `auto_create`, missing topics are
  // created as the broker's auto-creation settings allow.
  virtual void Lookup(std::vector<std::string> names, bool auto_create,
                      std::function<void(std::vector<TopicInfo>)> done) = 0;
  // Every topic of the Kafka namespace (kafkaTenant/kafkaNamespace).
  virtual void ListAll(std::function<void(std::vector<TopicInfo>)> done) = 0;
  // Every topic of another namespace, for a connection whose short names
  // resolve there (its SASL user name's tenant/namespace): `prefix` is
  // "persistent://tenant/namespace/", the names answered are short, as
  // ListAll's. The default lists none.
  virtual void ListNamespace(std::string prefix,
                             std::function<void(std::vector<TopicInfo>)> done) {
    (void)prefix;
    done({});
  }
  // The other brokers of the cluster that serve Kafka, as the latest Lookup
  // or ListAll answer on this connection reported them. Metadata lists them
  // all, as Kafka lists every live broker: librdkafka drops (and disconnects
  // from) brokers a Metadata response leaves out.
  virtual std::vector<BrokerNode> ClusterBrokers() const { return {}; }

  // The owner of each of the given partitions of `offsets_topic` (a
  // tenant's __consumer_offsets, full Pulsar name; Pulsar's bundle owner),
  // for FindCoordinator: a group's coordinator is the broker owning the
  // partition it lives in (Kafka's GroupCoordinator is the leader of that
  // partition). The shim creates a tenant's offsets topic when it is first
  // asked for one that does not exist, answering an error meanwhile. `done`
  // gets one answer per partition, in order, once, on the connection's event
  // loop. The default (one broker, tests): this broker owns them all.
  using OwnersDone = std::function<void(std::vector<PartitionOwner>)>;
  virtual void LookupOffsetsOwners(std::string offsets_topic,
                                   std::vector<int32_t> partitions,
                                   OwnersDone done) {
    (void)offsets_topic;
    done(std::vector<PartitionOwner>(
        partitions.size(),
        PartitionOwner{ErrorCode::NONE, {-1, "", -1, true}}));
  }

  // Topic administration (CreateTopics, DeleteTopics, CreatePartitions),
  // served and advertised only when SupportsAdmin() is true.
  // `done(error_code, error_message)` runs once on the connection's event
  // loop.
  using AdminDone = std::function<void(ErrorCode, std::string)>;
  virtual bool SupportsAdmin() const { return false; }
  virtual void CreateTopic(std::string name, int32_t partitions,
                           AdminDone done) {
    (void)name, (void)partitions;
    done(ErrorCode::UNKNOWN_SERVER_ERROR,
         "topic administration is not available");
  }
  virtual void DeleteTopic(std::string name, AdminDone done) {
    (void)name;
    done(ErrorCode::UNKNOWN_SERVER_ERROR,
         "topic administration is not available");
  }
  virtual void CreatePartitions(std::string name, int32_t total_count,
                                AdminDone done) {
    (void)name, (void)total_count;
    done(ErrorCode::UNKNOWN_SERVER_ERROR,
         "topic administration is not available");
  }
};

struct AppendResult {
  ErrorCode error_code = ErrorCode::NONE;
  int64_t base_offset = -1;       // Kafka offset of the entry's first record
  int64_t log_start_offset = -1;  // -1 if unknown
  // Why the append was refused (a Pulsar policy, see docs/security.md),
  // answered as the partition's error_message (Produce v8+). May be empty.
  std::string error_message;
  // How long the broker pauses reading this connection for a Pulsar publish
  // rate limit, answered as the response's throttle_time_ms (KIP-219).
  int32_t throttle_time_ms = 0;
};

struct ReadResult {
  ErrorCode error_code = ErrorCode::NONE;
  int64_t log_start_offset = -1;  // first offset still stored
  int64_t log_end_offset = -1;    // next offset to be written (high watermark)
  // Stored entries, as a cursor returns them (broker entry metadata first),
  // in offset order from the one holding the requested offset. Valid only
  // during the callback.
  std::vector<std::span<const uint8_t>> entries;
};

// Appends to and reads from Pulsar, implemented by the JNI bridge
// (in-memory in tests).
class LogPort {
 public:
  virtual ~LogPort() = default;
  // Appends one stored entry holding `num_records` Kafka records to the
  // Pulsar topic of (topic, partition): {topic}-partition-{partition} in the
  // Kafka namespace for a partitioned topic, or the topic itself (partition
  // 0) for a non-partitioned one. `entry` is valid only during the call.
  // `done` runs exactly once, on the connection's event loop, never after
  // the connection is gone. The base offset comes from the broker entry
  // index: index - (num_records - 1).
  virtual void Append(std::string_view topic, int32_t partition,
                      std::span<const uint8_t> entry, int32_t num_records,
                      std::function<void(const AppendResult&)> done) = 0;

  // Append on behalf of a Kafka producer (Produce): `producer_id` is the
  // batch's producer id (>= 0 for an idempotent producer, -1 otherwise).
  // The broker checks the Pulsar policies a Pulsar producer obeys (rate
  // limits, backlog quota, message size, schema, maxProducersPerTopic)
  // only for these; plain Append is the broker's own (group metadata).
  // A backlog quota with Pulsar's producer_request_hold policy holds the
  // append, re-checking the quota, for up to `max_hold_ms` (from the
  // request's timeout_ms, see produce.cc): then it is appended if the quota
  // cleared, else answered REQUEST_TIMED_OUT. 0: answered
  // THROTTLING_QUOTA_EXCEEDED at once. The broker bounds how many appends
  // one connection may have held.
  virtual void ProduceAppend(int64_t producer_id, int32_t max_hold_ms,
                             std::string_view topic, int32_t partition,
                             std::span<const uint8_t> entry,
                             int32_t num_records,
                             std::function<void(const AppendResult&)> done) {
    (void)producer_id, (void)max_hold_ms;
    Append(topic, partition, entry, num_records, std::move(done));
  }

  // Whether Read is implemented; Fetch and ListOffsets are served only then.
  virtual bool SupportsRead() const { return false; }
  // Reads entries of (topic, partition) from the one holding `offset` until
  // `max_bytes` is reached (at least one entry when one exists). With no
  // entry at `offset` and `max_wait_ms` > 0, waits up to that long for an
  // append by anyone (Kafka or Pulsar producers) before answering empty.
  // With `max_bytes` == 0 only the offsets are answered. `done` runs once,
  // on the connection's event loop.
  virtual void Read(std::string_view topic, int32_t partition, int64_t offset,
                    int32_t max_bytes, int32_t max_wait_ms,
                    std::function<void(const ReadResult&)> done) {
    (void)topic, (void)partition, (void)offset, (void)max_bytes,
        (void)max_wait_ms;
    done(ReadResult{ErrorCode::UNKNOWN_SERVER_ERROR, -1, -1, {}});
  }

  // Durable Pulsar subscriptions that mirror Kafka consumer groups' committed
  // offsets, so Pulsar's stats show Kafka lag and retention keeps what a
  // group has not consumed. Used only when SupportsSubscriptions() is true.
  // `done(error_code)` runs once, on the connection's event loop. Neither call
  // touches a subscription the mirror did not create (issue 11): they answer
  // GROUP_AUTHORIZATION_FAILED and leave it as it is.
  virtual bool SupportsSubscriptions() const { return false; }
  // Creates the subscription `name` on (topic, partition) if missing and
  // moves its mark-delete position so that every entry wholly below
  // `offset` (the next offset the group will consume) is acknowledged.
  virtual void CommitSubscription(std::string_view topic, int32_t partition,
                                  std::string_view name, int64_t offset,
                                  std::function<void(ErrorCode)> done) {
    (void)topic, (void)partition, (void)name, (void)offset;
    done(ErrorCode::UNKNOWN_SERVER_ERROR);
  }
  // Deletes the subscription `name` from (topic, partition); a missing one
  // is not an error.
  virtual void DeleteSubscription(std::string_view topic, int32_t partition,
                                  std::string_view name,
                                  std::function<void(ErrorCode)> done) {
    (void)topic, (void)partition, (void)name;
    done(ErrorCode::UNKNOWN_SERVER_ERROR);
  }
};

// What Pulsar's authentication provider made of one credential
// (SecurityPort::Authenticate).
struct AuthResult {
  // NONE, or SASL_AUTHENTICATION_FAILED (wrong, expired or unknown
  // credential; no such provider configured).
  ErrorCode error_code = ErrorCode::NONE;
  // For the client and the log: never contains the credential.
  std::string error_message;
  // The Pulsar role the credential proves (NONE only).
  std::string role;
  // When the credential stops being valid (a token's `exp`), in ms since the
  // Unix epoch; 0: it does not expire. KIP-368's session_lifetime_ms comes
  // from it.
  int64_t expires_at_ms = 0;
};

// A user's SCRAM credential as Kafka keeps it (ScramCredential, RFC 5802
// section 3): never the password, only what checks a proof. Bytes are raw.
struct ScramCredential {
  // At most kScramMaxSaltBytes.
  std::string salt;
  std::string stored_key;  // H(ClientKey)
  std::string server_key;  // HMAC(SaltedPassword, "Server Key")
  int32_t iterations = 0;
};

// The longest salt a credential may have. RFC 5802 sets no limit; Kafka's
// tools send 32 bytes or fewer, so this only refuses absurd ones
// (AlterUserScramCredentials) and bounds what the store may hand back.
inline constexpr size_t kScramMaxSaltBytes = 1024;
// StoredKey and ServerKey are one digest long: 32 (SHA-256) or 64 bytes.
inline constexpr size_t kScramMaxKeyBytes = 64;

// One (user, mechanism) that has a SCRAM credential, for
// DescribeUserScramCredentials (never the keys).
struct ScramCredentialInfo {
  std::string user;
  std::string mechanism;  // "SCRAM-SHA-256" or "SCRAM-SHA-512"
  int32_t iterations = 0;
};

// What a Kafka request needs to be allowed to do with a topic, in Pulsar's
// terms (TopicOperation / NamespaceOperation): lookup, produce and consume
// on the topic; create, delete and alter-partitions on it (Pulsar checks the
// namespace's CREATE_TOPIC / DELETE_TOPIC and the topic's partition policy).
enum class TopicAction {
  kLookup,
  kProduce,
  kConsume,
  kCreate,
  kDelete,
  kAlterPartitions,
};

// One Pulsar permission, as a namespace's policies keep them
// (auth_policies): what SecurityPort::ListPermissions answers and
// ChangePermission grants or revokes. Kafka's ACL APIs are mapped onto these
// (handlers/acl_mapping.h).
struct Permission {
  enum class Scope : int32_t {
    kNamespace = 0,     // namespace_auth: role -> actions
    kTopic = 1,         // destination_auth: topic -> role -> actions
    kSubscription = 2,  // subscription_auth_roles: subscription -> roles
  };
  // Pulsar's AuthAction values that Kafka operations map onto; the others
  // (functions, sources, sinks, packages) have no Kafka meaning and are
  // neither listed nor touched.
  static constexpr uint32_t kProduce = 1;
  static constexpr uint32_t kConsume = 2;

  Scope scope = Scope::kNamespace;
  // kTopic: the full topic name; kSubscription: the subscription name;
  // kNamespace: empty.
  std::string name;
  std::string role;
  // kNamespace and kTopic: kProduce | kConsume bits; kSubscription: 0.
  uint32_t actions = 0;

  bool operator==(const Permission&) const = default;
};

// What ListPermissions and ChangePermission end with: NONE, or
// CLUSTER_AUTHORIZATION_FAILED (the caller may not manage the namespace's
// permissions), or another code when Pulsar failed; `message` says why.
struct PermissionResult {
  ErrorCode error_code = ErrorCode::NONE;
  std::string message;
  std::vector<Permission> permissions;  // ListPermissions only
};

// Pulsar's AuthenticationService and AuthorizationService, implemented by
// the JNI bridge (in-memory in tests). Every callback runs exactly once, on
// the connection's event loop; never after the connection is gone.
class SecurityPort {
 public:
  virtual ~SecurityPort() = default;
  // Checks `credential` with the broker's authentication provider for
  // `auth_method` (Pulsar's method names: "token", ...), the way Pulsar's
  // own binary protocol checks a CommandConnect's auth_data.
  virtual void Authenticate(std::string auth_method, std::string credential,
                            std::function<void(AuthResult)> done) {
    (void)auth_method, (void)credential;
    done(AuthResult{ErrorCode::SASL_AUTHENTICATION_FAILED,
                    "authentication is not available", "", 0});
  }
  // The SCRAM credential of `user` for `mechanism` ("SCRAM-SHA-256" or
  // "SCRAM-SHA-512"), kept in Pulsar's metadata store. `done` gets NONE and
  // the credential, NONE and nullopt when the user has none, or another code
  // when the store could not be read.
  virtual void FetchScramCredential(
      std::string mechanism, std::string user,
      std::function<void(ErrorCode, std::optional<ScramCredential>)> done) {
    (void)mechanism, (void)user;
    done(ErrorCode::NONE, std::nullopt);
  }
  // Stores `credential` for (mechanism, user), or deletes the stored one
  // when it is nullopt. `done` gets NONE, RESOURCE_NOT_FOUND (deleting a
  // credential that does not exist), or another code and why.
  virtual void StoreScramCredential(
      std::string mechanism, std::string user,
      std::optional<ScramCredential> credential,
      std::function<void(ErrorCode, std::string)> done) {
    (void)mechanism, (void)user, (void)credential;
    done(ErrorCode::UNSUPPORTED_VERSION, "SCRAM credentials are not stored");
  }
  // Every stored SCRAM credential's user, mechanism and iterations.
  virtual void ListScramCredentials(
      std::function<void(ErrorCode, std::vector<ScramCredentialInfo>)> done) {
    done(ErrorCode::NONE, {});
  }
  // Whether `role` is one of Pulsar's superusers
  // (AuthorizationService.isSuperUser): NONE if it is,
  // CLUSTER_AUTHORIZATION_FAILED if not, another code if the check failed.
  virtual void IsSuperUser(std::string role,
                           std::function<void(ErrorCode)> done) {
    (void)role;
    done(ErrorCode::CLUSTER_AUTHORIZATION_FAILED);
  }
  // Whether Pulsar authorization is on (authorizationEnabled=true). When it
  // is off, Authorize is never called and every role may do everything, as
  // on Pulsar's own protocol.
  virtual bool AuthorizationEnabled() const { return false; }
  // Whether `role` may do `action` on the Pulsar topic `topic` (a full name,
  // persistent://tenant/namespace/local, never a -partition-N name). For
  // kConsume, `subscription` is the group id the consume is for (Pulsar's
  // subscription-level permissions), or empty. `done` gets NONE (allowed),
  // TOPIC_AUTHORIZATION_FAILED (refused), or another code when the check
  // itself failed (the caller refuses then too).
  virtual void Authorize(std::string role, std::string topic,
                         TopicAction action, std::string subscription,
                         std::function<void(ErrorCode)> done) {
    (void)role, (void)topic, (void)action, (void)subscription;
    done(ErrorCode::TOPIC_AUTHORIZATION_FAILED);
  }
  // Every permission of the namespace `ns` ("tenant/namespace"), if
  // `caller` may read them (Pulsar's NamespaceOperation.GET_PERMISSION:
  // a superuser or an admin of the tenant).
  virtual void ListPermissions(std::string caller, std::string ns,
                               std::function<void(PermissionResult)> done) {
    (void)caller, (void)ns;
    done({ErrorCode::SECURITY_DISABLED, "no permission store", {}});
  }
  // Grants (adds `p.actions`, or the role to the subscription) or revokes
  // (removes them; a role left with no action is removed) `p` in the
  // namespace `ns`, if `caller` may (GRANT_PERMISSION / REVOKE_PERMISSION).
  // One atomic update of the namespace's policies.
  virtual void ChangePermission(std::string caller, std::string ns,
                                Permission p, bool grant,
                                std::function<void(PermissionResult)> done) {
    (void)caller, (void)ns, (void)p, (void)grant;
    done({ErrorCode::SECURITY_DISABLED, "no permission store", {}});
  }
};

// How the listener a connection arrived on authenticates its clients.
struct ListenerSecurity {
  // SASL_PLAINTEXT or SASL_SSL: before authentication completes, only
  // ApiVersions, SaslHandshake and SaslAuthenticate are answered; anything
  // else closes the connection, as Kafka's SaslServerAuthenticator does.
  bool sasl = false;
  // The SASL mechanisms offered (saslAllowedMechanisms), e.g. "PLAIN".
  std::vector<std::string> sasl_mechanisms;
  // SSL with client authentication: the role Pulsar's TLS provider derived
  // from the client certificate (empty: none, the client is anonymous).
  std::string tls_role;
  // This listener's advertised endpoint (kafkaAdvertisedListeners), which
  // Metadata and FindCoordinator name this broker by on its connections, as
  // Kafka answers each listener's own address. Empty host: the broker's
  // (kop.advertised.host/port).
  std::string advertised_host = {};
  int32_t advertised_port = -1;
};

class Connection {
 public:
  virtual ~Connection() = default;
  // One complete request frame, without its length prefix. The bytes are
  // only valid during the call.
  virtual void OnFrame(std::span<const uint8_t> frame) = 0;
  // The client's address as Kafka shows it ("/127.0.0.1"), for group
  // members' client_host; set once, before the first frame.
  virtual void SetClientHost(std::string host) { (void)host; }
};

// Broker-wide settings, passed as broker.conf key/value pairs (KoP's key
// names) plus the values only the shim knows (e.g. "kop.node.id").
using Config = std::map<std::string, std::string>;

class Broker {
 public:
  virtual ~Broker() = default;
  static std::unique_ptr<Broker> Create(const Config& config);
  // `sink`, `topics`, `log` and `security` outlive the returned connection.
  // Without a log (nullptr) the connection neither serves nor advertises
  // Produce. Without a security port, SASL listeners authenticate no one and
  // authorization is off.
  virtual std::unique_ptr<Connection> Accept(
      ResponseSink* sink, TopicPort* topics, LogPort* log = nullptr,
      SecurityPort* security = nullptr, ListenerSecurity listener = {}) = 0;
  // Drives time-based work (group session and rebalance timeouts, the
  // initial rebalance delay, offset expiry). The shim calls it about every
  // 100 ms from any thread; it never blocks on a port.
  virtual void Tick() {}
  // Pulsar moved the bundle holding partition `partition` of `tenant`'s
  // __consumer_offsets (persistent://<tenant>/<kafkaMetadataNamespace>/
  // __consumer_offsets) to (`owned`) or away from this broker. Losing it
  // drops its groups from memory (waiting members get NOT_COORDINATOR) so
  // another broker can take over; gaining it lets the next Metadata request
  // load it eagerly. Any thread.
  virtual void OffsetsPartitionOwnership(std::string_view tenant,
                                         int32_t partition, bool owned) {
    (void)tenant, (void)partition, (void)owned;
  }
  // Pulsar moved the bundle holding Kafka (topic, partition) away from this
  // broker: idempotent producers' sequence state for it is dropped, so if
  // the partition comes back the producer is taken as it comes (as for one
  // never seen) instead of being refused with stale sequence numbers. Any
  // thread.
  virtual void PartitionLeft(std::string_view topic, int32_t partition) {
    (void)topic, (void)partition;
  }
};

}  // namespace kop::core

#endif  // KOP_CORE_BROKER_H_
