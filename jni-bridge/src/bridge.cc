// The JNI boundary between io.kopnative.NativeBridge (Java) and the native
// core. The only translation unit that includes jni.h.
//
// Rules at this boundary (mirrored in NativeBridge.java):
// - Primitives only: handles are `long` (a pointer to a bridge object),
//   request frames arrive as (address, length) of a Netty direct buffer that
//   Java keeps retained for the duration of the call; the core copies what it
//   keeps. Responses leave as (address, length) of bridge-owned bytes that are
//   valid only during the upcall; Java copies them into a pooled ByteBuf.
// - Nothing is thrown across JNI: every entry point catches everything, logs
//   it through the core's log sink and returns an error value. A Java
//   exception raised by an upcall is logged and cleared here.
// - Threads: a connection handle is used only from its channel's event loop
//   (open, frames, close, every port call and completion); the broker handle
//   from the protocol handler's lifecycle calls and its tick thread. The one
//   exception is ResponseSink::Post (below). Upcalls happen on the calling
//   thread, which is always a JVM thread; only Post attaches a thread that is
//   not (GetEnv says JNI_EDETACHED), for the call.
// - Subscription mirror (LogPort::CommitSubscription/DeleteSubscription,
//   SupportsSubscriptions() is broker.conf's kafkaGroupSubscriptionMirror, as
//   KopConfig passes it to nativeCreateBroker): the same scheme as topic
//   administration. Each call stores the core's callback under a fresh
//   request id and upcalls KafkaFrameHandler.onNativeSubscription(requestId,
//   op, topicBytes, partition, nameBytes, offset) with op 0 commit (offset =
//   the group's next offset) or 1 delete (offset -1); Java answers later with
//   nativeOnSubscriptionDone(conn, requestId, errorCode) from the channel's
//   event loop. A failed upcall completes the call at once with error -1.
//   Closing drops pending calls unrun.
// - Posting (ResponseSink::Post): the one call the core may make from ANY
//   thread (another connection's event loop, the tick thread, a Pulsar
//   callback), e.g. to answer a parked JoinGroup. Each connection keeps a
//   mutex-protected queue of tasks. The first task since the last run upcalls
//   KafkaFrameHandler.onNativePost(), which only does
//   channel.eventLoop().execute(nativeRunPosted(conn)) and never calls back
//   into native code, so making it under the queue's lock cannot deadlock.
//   nativeRunPosted, on the event loop, takes the queue and runs the tasks in
//   order outside the lock; a task that posts again runs in the next round.
//   Closing the connection stops the queue first: queued tasks are destroyed
//   unrun (after the core connection, like pending callbacks) and later Posts
//   are dropped. nativeRunPosted on a closed or unknown handle does nothing
//   (live-handle registry). Port calls themselves (Append, Read, Lookup, ...)
//   stay event-loop only: a task posted to a connection may make them.
// - Tick (Broker::Tick): Java's single "kop-native-tick" daemon thread calls
//   nativeTick(broker) about every 100 ms; Java stops and awaits that thread
//   before nativeDestroyBroker, so the broker handle is never used after it.
// - Lifetime: every connection holds a shared reference to its broker, so
//   nativeDestroyBroker while connections are still open is safe; the core
//   broker goes away with its last connection.
// - Topic metadata (kop::core::TopicPort): the connection object is also the
//   core's TopicPort. Lookup/ListAll store the core's callback under a request
//   id (unique across all connections, never reused) and upcall
//   KafkaFrameHandler.onNativeLookupTopics / onNativeListTopics; Java answers
//   later with nativeOnTopicsResolved from the channel's event loop, which
//   erases and runs the callback. Closing the connection drops the callbacks
//   without running them. nativeOnTopicsResolved only touches handles that are
//   still open (a registry of live handles), and an unknown request id is
//   ignored, so a late or repeated completion is harmless.
// - Appends (kop::core::LogPort): the same scheme. Append stores the core's
//   callback under a fresh request id and upcalls
//   KafkaFrameHandler.onNativeAppend(requestId, topicBytes, partition,
//   address, length, numRecords); Java copies the entry bytes during the
//   upcall (they are freed after it) and answers later with
//   nativeOnAppended from the channel's event loop. A failed upcall completes
//   the append at once with error -1. Closing drops pending appends unrun.
// - Reads (LogPort::Read): the same scheme again. Read stores the callback and
//   upcalls KafkaFrameHandler.onNativeRead(requestId, topicBytes, partition,
//   offset, maxBytes, maxWaitMs); Java answers with nativeOnRead from the
//   channel's event loop, passing the entries concatenated in one direct
//   buffer (address, length) plus each entry's length. The callback runs
//   during that downcall and the spans point into Java's buffer, which Java
//   releases only after the downcall returns. Lengths that do not add up to
//   the buffer (or a negative one) complete the read with error -1.
// - Topic administration (TopicPort::CreateTopic/DeleteTopic/CreatePartitions,
//   SupportsAdmin() is true): the same scheme. Each call stores the core's
//   callback under a fresh request id and upcalls
//   KafkaFrameHandler.onNativeTopicAdmin(requestId, op, topicBytes, count)
//   with op 0 create (count = partitions), 1 delete (count unused, 0),
//   2 create partitions (count = new total); Java answers later with
//   nativeOnTopicAdminDone(conn, requestId, errorCode, message) from the
//   channel's event loop. A failed upcall completes the call at once with
//   error -1. Closing drops pending calls unrun.
#include <jni.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "kop/core/broker.h"
#include "kop/core/log.h"

namespace {

using kop::core::LogLevel;

constexpr jint kJniVersion = JNI_VERSION_1_8;
constexpr const char* kBridgeClass = "io/kopnative/NativeBridge";
constexpr const char* kHandlerClass = "io/kopnative/KafkaFrameHandler";
constexpr const char* kBridgeVersion = "kop-native jni-bridge 0.1.0";

// Error codes returned to Java (NativeBridge.java has the same constants).
constexpr jint kOk = 0;
constexpr jint kErrBadHandle = -1;
constexpr jint kErrBadArgument = -2;
constexpr jint kErrCoreFailure = -3;

// Cached at JNI_OnLoad; valid until JNI_OnUnload.
JavaVM* g_vm = nullptr;
jclass g_bridge_class = nullptr;     // global ref
jmethodID g_log_method = nullptr;    // static void log(int, byte[])
jmethodID g_send_method = nullptr;   // void onNativeSend(long, int)
jmethodID g_close_method = nullptr;  // void onNativeClose()
jmethodID g_lookup_method =
    nullptr;  // void onNativeLookupTopics(long, byte[][], boolean)
jmethodID g_list_method = nullptr;  // void onNativeListTopics(long)
jmethodID g_append_method =
    nullptr;  // void onNativeAppend(long, byte[], int, long, int, int)
jmethodID g_read_method =
    nullptr;  // void onNativeRead(long, byte[], int, long, int, int)
jmethodID g_admin_method =
    nullptr;  // void onNativeTopicAdmin(long, int, byte[], int)
jmethodID g_post_method = nullptr;  // void onNativePost()
jmethodID g_subscription_method =
    nullptr;  // void onNativeSubscription(long, int, byte[], int, byte[], long)
jclass g_byte_array_class = nullptr;  // global ref to byte[]
std::atomic<int> g_min_log_level{static_cast<int>(LogLevel::kInfo)};

JNIEnv* CurrentEnv() {
  if (g_vm == nullptr) return nullptr;
  void* env = nullptr;
  if (g_vm->GetEnv(&env, kJniVersion) != JNI_OK) return nullptr;
  return static_cast<JNIEnv*>(env);
}

// The JNIEnv of the calling thread for the scope of one call from a thread that
// may not be the event loop (ResponseSink::Post). Every such thread is a JVM
// thread today; one that is not is attached for the call and detached after.
class ScopedEnv {
 public:
  ScopedEnv() {
    if (g_vm == nullptr) return;
    void* env = nullptr;
    const jint rc = g_vm->GetEnv(&env, kJniVersion);
    if (rc == JNI_OK) {
      env_ = static_cast<JNIEnv*>(env);
    } else if (rc == JNI_EDETACHED) {
      JavaVMAttachArgs args{kJniVersion, const_cast<char*>("kop-native-post"),
                            nullptr};
      if (g_vm->AttachCurrentThreadAsDaemon(&env, &args) == JNI_OK) {
        env_ = static_cast<JNIEnv*>(env);
        attached_ = true;
      }
    }
  }
  ~ScopedEnv() {
    if (attached_) g_vm->DetachCurrentThread();
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

  JNIEnv* env() const { return env_; }

 private:
  JNIEnv* env_ = nullptr;
  bool attached_ = false;
};

void StderrLog(LogLevel level, std::string_view message) {
  std::fprintf(stderr, "kop-native[%d] %.*s\n", static_cast<int>(level),
               static_cast<int>(message.size()), message.data());
}

// Logs a pending Java exception (raised by an upcall) and clears it, so it
// never propagates into the caller of a native method.
bool ClearPendingException(JNIEnv* env, const char* where);

// Logs the C++ exception being handled (call only inside a catch block).
void LogCurrentException(const char* where);

// The core's log sink: one upcall to NativeBridge.log(level, utf8Bytes). The
// message goes as bytes, not NewStringUTF, because JNI's "modified UTF-8"
// would mis-handle NUL and supplementary characters from the wire.
void JavaLogSink(LogLevel level, std::string_view message) {
  if (static_cast<int>(level) <
      g_min_log_level.load(std::memory_order_relaxed)) {
    return;
  }
  JNIEnv* env = CurrentEnv();
  if (env == nullptr || g_log_method == nullptr || env->ExceptionCheck()) {
    StderrLog(level, message);
    return;
  }
  const jsize len = static_cast<jsize>(
      std::min<size_t>(message.size(), 64 * 1024));  // keep log lines sane
  jbyteArray bytes = env->NewByteArray(len);
  if (bytes == nullptr) {
    env->ExceptionClear();
    StderrLog(level, message);
    return;
  }
  env->SetByteArrayRegion(bytes, 0, len,
                          reinterpret_cast<const jbyte*>(message.data()));
  env->CallStaticVoidMethod(g_bridge_class, g_log_method,
                            static_cast<jint>(level), bytes);
  env->DeleteLocalRef(bytes);
  if (env->ExceptionCheck()) {
    env->ExceptionClear();
    StderrLog(level, message);
  }
}

bool ClearPendingException(JNIEnv* env, const char* where) {
  if (!env->ExceptionCheck()) return false;
  jthrowable t = env->ExceptionOccurred();
  env->ExceptionClear();
  std::string what = "unknown";
  if (t != nullptr) {
    jclass cls = env->GetObjectClass(t);
    jmethodID to_string =
        env->GetMethodID(cls, "toString", "()Ljava/lang/String;");
    if (to_string != nullptr) {
      auto s = static_cast<jstring>(env->CallObjectMethod(t, to_string));
      if (!env->ExceptionCheck() && s != nullptr) {
        const char* chars = env->GetStringUTFChars(s, nullptr);
        if (chars != nullptr) {
          what = chars;
          env->ReleaseStringUTFChars(s, chars);
        }
        env->DeleteLocalRef(s);
      }
    }
    env->ExceptionClear();
    env->DeleteLocalRef(cls);
    env->DeleteLocalRef(t);
  }
  kop::core::Log(LogLevel::kError,
                 std::string("Java exception in ") + where + ": " + what);
  return true;
}

// UTF-16 from Java to UTF-8 (standard, not JNI's modified UTF-8: NUL stays
// one byte, supplementary characters are 4 bytes; a lone surrogate becomes
// U+FFFD).
std::string Utf8FromJava(JNIEnv* env, jstring s) {
  if (s == nullptr) return {};
  const jsize len = env->GetStringLength(s);
  std::vector<jchar> u(static_cast<size_t>(len));
  if (len > 0) env->GetStringRegion(s, 0, len, u.data());
  if (env->ExceptionCheck()) {
    env->ExceptionClear();
    return {};
  }
  std::string out;
  out.reserve(u.size());
  for (size_t i = 0; i < u.size(); ++i) {
    uint32_t c = u[i];
    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < u.size() && u[i + 1] >= 0xDC00 &&
        u[i + 1] <= 0xDFFF) {
      c = 0x10000 + ((c - 0xD800) << 10) + (u[i + 1] - 0xDC00);
      ++i;
    } else if (c >= 0xD800 && c <= 0xDFFF) {
      c = 0xFFFD;
    }
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (c >> 12)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (c >> 18)));
      out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

// Request ids for TopicPort calls: unique across connections and never
// reused, so a stale completion can never complete someone else's request.
std::atomic<uint64_t> g_next_request_id{1};

using TopicsDone = std::function<void(std::vector<kop::core::TopicInfo>)>;

// The partition owners Java sends with topic metadata (see DecodeOwners).
struct Owners {
  jintArray leaders;
  jintArray node_ids;
  jobjectArray node_hosts;
  jintArray node_ports;
};

std::vector<kop::core::TopicInfo> AllFailed(
    const std::vector<std::string>& names) {
  std::vector<kop::core::TopicInfo> out(names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    out[i].name = names[i];
    out[i].partitions = 0;
    out[i].error_code = -1;  // UNKNOWN_SERVER_ERROR
  }
  return out;
}

using AppendDone = std::function<void(const kop::core::AppendResult&)>;

kop::core::AppendResult Failed() {
  kop::core::AppendResult r;
  r.error_code = -1;  // UNKNOWN_SERVER_ERROR
  return r;
}

using ReadDone = std::function<void(const kop::core::ReadResult&)>;

using AdminDone = std::function<void(int16_t, std::string)>;

using SubscriptionDone = std::function<void(int16_t)>;

// Operations of KafkaFrameHandler.onNativeSubscription.
// More brokers than any cluster has: a larger node table is refused.
constexpr jsize kMaxNodes = 10000;

constexpr jint kSubscriptionCommit = 0;
constexpr jint kSubscriptionDelete = 1;

// The broker.conf key that turns the subscription mirror on (KopConfig passes
// "true" or "false"; absent means the default, on).
constexpr const char* kSubscriptionMirrorKey = "kafkaGroupSubscriptionMirror";

// Operations of KafkaFrameHandler.onNativeTopicAdmin.
constexpr jint kAdminCreate = 0;
constexpr jint kAdminDelete = 1;
constexpr jint kAdminPartitions = 2;

kop::core::ReadResult ReadFailed() {
  kop::core::ReadResult r;
  r.error_code = -1;  // UNKNOWN_SERVER_ERROR
  return r;
}

struct BrokerHandle {
  std::shared_ptr<kop::core::Broker> core;
  bool subscription_mirror = true;  // LogPort::SupportsSubscriptions()
};

// One Kafka connection: the ResponseSink the core writes to, the TopicPort it
// asks for topic metadata and the LogPort it appends through, bound to the
// Java KafkaFrameHandler that owns the channel. Used only on that channel's
// event loop.
class ConnectionHandle final : public kop::core::ResponseSink,
                               public kop::core::TopicPort,
                               public kop::core::LogPort {
 public:
  ConnectionHandle(std::shared_ptr<kop::core::Broker> broker, jobject handler,
                   bool subscription_mirror)
      : broker_(std::move(broker)),
        handler_(handler),
        subscription_mirror_(subscription_mirror) {}

  // Called with the JNIEnv of the channel's event loop.
  void Release(JNIEnv* env) {
    // Posting stops first: later Posts are dropped, and queued tasks are
    // destroyed unrun (after the core connection, like pending callbacks).
    // Under the lock, so no Post is using handler_ when it is deleted below.
    std::vector<std::function<void()>> posted;
    {
      std::lock_guard<std::mutex> lock(post_mu_);
      post_closed_ = true;
      posted.swap(posted_);
    }
    // Pending topic callbacks are dropped, never run: the core connection
    // they would answer goes away first.
    auto pending = std::move(pending_);
    pending_.clear();
    auto appends = std::move(appends_);
    appends_.clear();
    auto reads = std::move(reads_);
    reads_.clear();
    auto admins = std::move(admins_);
    admins_.clear();
    auto subscriptions = std::move(subscriptions_);
    subscriptions_.clear();
    conn_.reset();  // the core connection goes before its sink
    pending.clear();
    appends.clear();
    reads.clear();
    admins.clear();
    subscriptions.clear();
    posted.clear();
    if (handler_ != nullptr) {
      env->DeleteGlobalRef(handler_);
      handler_ = nullptr;
    }
  }

  void Attach(std::unique_ptr<kop::core::Connection> conn) {
    conn_ = std::move(conn);
  }
  kop::core::Connection* connection() { return conn_.get(); }

  // LogPort::Append. `entry` is valid only during the call: Java copies it in
  // the upcall.
  void Append(
      std::string_view topic, int32_t partition, std::span<const uint8_t> entry,
      int32_t num_records,
      std::function<void(const kop::core::AppendResult&)> done) override {
    const uint64_t id =
        g_next_request_id.fetch_add(1, std::memory_order_relaxed);
    JNIEnv* env = CurrentEnv();
    if (env == nullptr || handler_ == nullptr || g_append_method == nullptr ||
        topic.size() > static_cast<size_t>(INT32_MAX) ||
        entry.size() > static_cast<size_t>(INT32_MAX)) {
      kop::core::Log(LogLevel::kError,
                     "append failed: no JNI environment or handler");
      done(Failed());
      return;
    }
    jbyteArray name = env->NewByteArray(static_cast<jsize>(topic.size()));
    if (name == nullptr) {
      ClearPendingException(env, "append (topic name)");
      done(Failed());
      return;
    }
    env->SetByteArrayRegion(name, 0, static_cast<jsize>(topic.size()),
                            reinterpret_cast<const jbyte*>(topic.data()));
    appends_.emplace(id, std::move(done));
    env->CallVoidMethod(
        handler_, g_append_method, static_cast<jlong>(id), name,
        static_cast<jint>(partition),
        static_cast<jlong>(reinterpret_cast<uintptr_t>(entry.data())),
        static_cast<jint>(entry.size()), static_cast<jint>(num_records));
    env->DeleteLocalRef(name);
    if (ClearPendingException(env, "KafkaFrameHandler.onNativeAppend")) {
      auto it = appends_.find(id);
      if (it != appends_.end()) {
        AppendDone d = std::move(it->second);
        appends_.erase(it);
        d(Failed());
      }
    }
  }

  // Java's answer for append `id`; an unknown id is ignored.
  void Appended(uint64_t id, int16_t error_code, int64_t base_offset,
                int64_t log_start_offset) {
    auto it = appends_.find(id);
    if (it == appends_.end()) {
      kop::core::Log(
          LogLevel::kDebug,
          "append completion for unknown request " + std::to_string(id));
      return;
    }
    AppendDone d = std::move(it->second);
    appends_.erase(it);
    kop::core::AppendResult r;
    r.error_code = error_code;
    r.base_offset = base_offset;
    r.log_start_offset = log_start_offset;
    d(r);
  }

  bool SupportsRead() const override { return true; }

  // LogPort::Read: answered later by nativeOnRead.
  void Read(std::string_view topic, int32_t partition, int64_t offset,
            int32_t max_bytes, int32_t max_wait_ms,
            std::function<void(const kop::core::ReadResult&)> done) override {
    const uint64_t id =
        g_next_request_id.fetch_add(1, std::memory_order_relaxed);
    JNIEnv* env = CurrentEnv();
    if (env == nullptr || handler_ == nullptr || g_read_method == nullptr ||
        topic.size() > static_cast<size_t>(INT32_MAX)) {
      kop::core::Log(LogLevel::kError,
                     "read failed: no JNI environment or handler");
      done(ReadFailed());
      return;
    }
    jbyteArray name = env->NewByteArray(static_cast<jsize>(topic.size()));
    if (name == nullptr) {
      ClearPendingException(env, "read (topic name)");
      done(ReadFailed());
      return;
    }
    env->SetByteArrayRegion(name, 0, static_cast<jsize>(topic.size()),
                            reinterpret_cast<const jbyte*>(topic.data()));
    reads_.emplace(id, std::move(done));
    env->CallVoidMethod(
        handler_, g_read_method, static_cast<jlong>(id), name,
        static_cast<jint>(partition), static_cast<jlong>(offset),
        static_cast<jint>(max_bytes), static_cast<jint>(max_wait_ms));
    env->DeleteLocalRef(name);
    if (ClearPendingException(env, "KafkaFrameHandler.onNativeRead")) {
      auto it = reads_.find(id);
      if (it != reads_.end()) {
        ReadDone d = std::move(it->second);
        reads_.erase(it);
        d(ReadFailed());
      }
    }
  }

  // Java's answer for read `id`; an unknown id is ignored. The entries are
  // [address, address + length) split by `lengths`, valid during the call.
  void ReadDoneFor(JNIEnv* env, uint64_t id, int16_t error_code,
                   int64_t log_start_offset, int64_t log_end_offset,
                   jlong address, jint length, jintArray lengths) {
    auto it = reads_.find(id);
    if (it == reads_.end()) {
      kop::core::Log(LogLevel::kDebug, "read completion for unknown request " +
                                           std::to_string(id));
      return;
    }
    ReadDone d = std::move(it->second);
    reads_.erase(it);
    kop::core::ReadResult r;
    r.error_code = error_code;
    r.log_start_offset = log_start_offset;
    r.log_end_offset = log_end_offset;
    const jsize n = lengths == nullptr ? 0 : env->GetArrayLength(lengths);
    std::vector<jint> lens(static_cast<size_t>(n));
    if (n > 0) env->GetIntArrayRegion(lengths, 0, n, lens.data());
    if (ClearPendingException(env, "nativeOnRead")) {
      d(ReadFailed());
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
      d(ReadFailed());
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
    d(r);
  }

  bool SupportsAdmin() const override { return true; }

  void CreateTopic(std::string name, int32_t partitions,
                   AdminDone done) override {
    TopicAdmin(kAdminCreate, name, partitions, std::move(done));
  }

  void DeleteTopic(std::string name, AdminDone done) override {
    TopicAdmin(kAdminDelete, name, 0, std::move(done));
  }

  void CreatePartitions(std::string name, int32_t total_count,
                        AdminDone done) override {
    TopicAdmin(kAdminPartitions, name, total_count, std::move(done));
  }

  // Java's answer for topic administration `id`; an unknown id is ignored.
  void AdminDoneFor(uint64_t id, int16_t error_code, std::string message) {
    auto it = admins_.find(id);
    if (it == admins_.end()) {
      kop::core::Log(
          LogLevel::kDebug,
          "topic admin completion for unknown request " + std::to_string(id));
      return;
    }
    AdminDone d = std::move(it->second);
    admins_.erase(it);
    d(error_code, std::move(message));
  }

  bool SupportsSubscriptions() const override { return subscription_mirror_; }

  void CommitSubscription(std::string_view topic, int32_t partition,
                          std::string_view name, int64_t offset,
                          SubscriptionDone done) override {
    Subscription(kSubscriptionCommit, topic, partition, name, offset,
                 std::move(done));
  }

  void DeleteSubscription(std::string_view topic, int32_t partition,
                          std::string_view name,
                          SubscriptionDone done) override {
    Subscription(kSubscriptionDelete, topic, partition, name, -1,
                 std::move(done));
  }

  // Java's answer for subscription call `id`; an unknown id is ignored.
  void SubscriptionDoneFor(uint64_t id, int16_t error_code) {
    auto it = subscriptions_.find(id);
    if (it == subscriptions_.end()) {
      kop::core::Log(
          LogLevel::kDebug,
          "subscription completion for unknown request " + std::to_string(id));
      return;
    }
    SubscriptionDone d = std::move(it->second);
    subscriptions_.erase(it);
    d(error_code);
  }

  void Send(std::span<const uint8_t> frame) override {
    JNIEnv* env = CurrentEnv();
    if (env == nullptr || handler_ == nullptr) {
      kop::core::Log(LogLevel::kError,
                     "response dropped: no JNI environment or handler");
      return;
    }
    // Java copies [address, address+length) before returning.
    env->CallVoidMethod(
        handler_, g_send_method,
        static_cast<jlong>(reinterpret_cast<uintptr_t>(frame.data())),
        static_cast<jint>(frame.size()));
    ClearPendingException(env, "KafkaFrameHandler.onNativeSend");
  }

  void Close() override {
    JNIEnv* env = CurrentEnv();
    if (env == nullptr || handler_ == nullptr) return;
    env->CallVoidMethod(handler_, g_close_method);
    ClearPendingException(env, "KafkaFrameHandler.onNativeClose");
  }

  // ResponseSink::Post, from any thread. The task waits in this connection's
  // queue; the first one since the last run asks Java (onNativePost) to call
  // nativeRunPosted on the event loop. That upcall happens under the lock, so
  // Release cannot delete handler_ meanwhile; it only enqueues a Runnable on
  // the event loop and never calls back into native code, so it cannot
  // deadlock. A task posted after close is destroyed unrun, outside the lock.
  void Post(std::function<void()> task) override {
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
    if (env == nullptr || handler_ == nullptr || g_post_method == nullptr) {
      // Queued; the next Post asks again.
      kop::core::Log(LogLevel::kError,
                     "posted task waits: no JNI environment or handler");
      return;
    }
    env->CallVoidMethod(handler_, g_post_method);
    if (!ClearPendingException(env, "KafkaFrameHandler.onNativePost")) {
      run_scheduled_ = true;
    }
  }

  // nativeRunPosted, on the event loop: runs what was posted until now, in
  // order, outside the lock (a task may Post again: it runs next time).
  void RunPosted() {
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

  void Lookup(std::vector<std::string> names, bool auto_create,
              TopicsDone done) override {
    const uint64_t id =
        g_next_request_id.fetch_add(1, std::memory_order_relaxed);
    JNIEnv* env = CurrentEnv();
    if (env == nullptr || handler_ == nullptr || g_lookup_method == nullptr) {
      kop::core::Log(LogLevel::kError,
                     "topic lookup failed: no JNI environment or handler");
      done(AllFailed(names));
      return;
    }
    jobjectArray array = NewNameArray(env, names);
    if (array == nullptr) {
      ClearPendingException(env, "topic lookup (name array)");
      kop::core::Log(LogLevel::kError,
                     "topic lookup failed: cannot build the name array");
      done(AllFailed(names));
      return;
    }
    pending_.emplace(id, Pending{std::move(done), std::move(names), true});
    env->CallVoidMethod(
        handler_, g_lookup_method, static_cast<jlong>(id), array,
        static_cast<jboolean>(auto_create ? JNI_TRUE : JNI_FALSE));
    env->DeleteLocalRef(array);
    if (ClearPendingException(env, "KafkaFrameHandler.onNativeLookupTopics")) {
      FailNow(id);
    }
  }

  void ListAll(TopicsDone done) override {
    const uint64_t id =
        g_next_request_id.fetch_add(1, std::memory_order_relaxed);
    JNIEnv* env = CurrentEnv();
    if (env == nullptr || handler_ == nullptr || g_list_method == nullptr) {
      kop::core::Log(LogLevel::kError,
                     "topic listing failed: no JNI environment or handler");
      done({});
      return;
    }
    pending_.emplace(id, Pending{std::move(done), {}, false});
    env->CallVoidMethod(handler_, g_list_method, static_cast<jlong>(id));
    if (ClearPendingException(env, "KafkaFrameHandler.onNativeListTopics")) {
      FailNow(id);
    }
  }

  // Java's answer for `id`: runs and forgets its callback. An unknown id (a
  // completion after the upcall failed, or a duplicate) is ignored.
  void Resolve(JNIEnv* env, uint64_t id, jobjectArray names,
               jintArray partitions, jshortArray errors, const Owners& owners) {
    auto it = pending_.find(id);
    if (it == pending_.end()) {
      kop::core::Log(LogLevel::kDebug,
                     "topic metadata completion for unknown request " +
                         std::to_string(id));
      return;
    }
    Pending p = std::move(it->second);
    pending_.erase(it);
    std::vector<kop::core::TopicInfo> out;
    std::vector<kop::core::BrokerNode> table;
    if (!Decode(env, p, names, partitions, errors, out) ||
        !DecodeNodes(env, owners, table) ||
        !DecodeOwners(env, owners, table, out)) {
      // A listing has no names to fail: it is answered empty (logged above).
      out = p.is_lookup ? AllFailed(p.names)
                        : std::vector<kop::core::TopicInfo>{};
    } else if (owners.node_ids != nullptr) {
      cluster_ = std::move(table);  // every other Kafka broker, for Metadata
    }
    p.done(std::move(out));
  }

  std::vector<kop::core::BrokerNode> ClusterBrokers() const override {
    return cluster_;
  }

 private:
  // One upcall per subscription call; answered by nativeOnSubscriptionDone.
  // Topic and subscription names go up as bytes (Java decodes them strictly).
  void Subscription(jint op, std::string_view topic, int32_t partition,
                    std::string_view name, int64_t offset,
                    SubscriptionDone done) {
    const uint64_t id =
        g_next_request_id.fetch_add(1, std::memory_order_relaxed);
    JNIEnv* env = CurrentEnv();
    if (env == nullptr || handler_ == nullptr ||
        g_subscription_method == nullptr ||
        topic.size() > static_cast<size_t>(INT32_MAX) ||
        name.size() > static_cast<size_t>(INT32_MAX)) {
      kop::core::Log(LogLevel::kError,
                     "subscription call failed: no JNI environment or handler");
      done(-1);
      return;
    }
    jbyteArray topic_bytes = NewBytes(env, topic);
    jbyteArray name_bytes =
        topic_bytes == nullptr ? nullptr : NewBytes(env, name);
    if (topic_bytes == nullptr || name_bytes == nullptr) {
      ClearPendingException(env, "subscription call (names)");
      if (topic_bytes != nullptr) env->DeleteLocalRef(topic_bytes);
      done(-1);
      return;
    }
    subscriptions_.emplace(id, std::move(done));
    env->CallVoidMethod(handler_, g_subscription_method, static_cast<jlong>(id),
                        op, topic_bytes, static_cast<jint>(partition),
                        name_bytes, static_cast<jlong>(offset));
    env->DeleteLocalRef(topic_bytes);
    env->DeleteLocalRef(name_bytes);
    if (ClearPendingException(env, "KafkaFrameHandler.onNativeSubscription")) {
      auto it = subscriptions_.find(id);
      if (it != subscriptions_.end()) {
        SubscriptionDone d = std::move(it->second);
        subscriptions_.erase(it);
        d(-1);
      }
    }
  }

  // A new byte[] holding `bytes`, or nullptr (with a pending exception).
  static jbyteArray NewBytes(JNIEnv* env, std::string_view bytes) {
    jbyteArray array = env->NewByteArray(static_cast<jsize>(bytes.size()));
    if (array == nullptr) return nullptr;
    env->SetByteArrayRegion(array, 0, static_cast<jsize>(bytes.size()),
                            reinterpret_cast<const jbyte*>(bytes.data()));
    return array;
  }

  // One upcall per administration call; answered by nativeOnTopicAdminDone.
  void TopicAdmin(jint op, const std::string& name, int32_t count,
                  AdminDone done) {
    const uint64_t id =
        g_next_request_id.fetch_add(1, std::memory_order_relaxed);
    JNIEnv* env = CurrentEnv();
    if (env == nullptr || handler_ == nullptr || g_admin_method == nullptr ||
        name.size() > static_cast<size_t>(INT32_MAX)) {
      kop::core::Log(LogLevel::kError,
                     "topic admin failed: no JNI environment or handler");
      done(-1, "no JNI environment or handler");
      return;
    }
    jbyteArray bytes = env->NewByteArray(static_cast<jsize>(name.size()));
    if (bytes == nullptr) {
      ClearPendingException(env, "topic admin (topic name)");
      done(-1, "cannot pass the topic name to Java");
      return;
    }
    env->SetByteArrayRegion(bytes, 0, static_cast<jsize>(name.size()),
                            reinterpret_cast<const jbyte*>(name.data()));
    admins_.emplace(id, std::move(done));
    env->CallVoidMethod(handler_, g_admin_method, static_cast<jlong>(id), op,
                        bytes, static_cast<jint>(count));
    env->DeleteLocalRef(bytes);
    if (ClearPendingException(env, "KafkaFrameHandler.onNativeTopicAdmin")) {
      auto it = admins_.find(id);
      if (it != admins_.end()) {
        AdminDone d = std::move(it->second);
        admins_.erase(it);
        d(-1, "the topic admin upcall failed");
      }
    }
  }

  struct Pending {
    TopicsDone done;
    std::vector<std::string> names;  // a lookup's names, as the core sent them
    bool is_lookup = false;
  };

  // The upcall did not take the request: complete it now with errors.
  void FailNow(uint64_t id) {
    auto it = pending_.find(id);
    if (it == pending_.end()) return;
    Pending p = std::move(it->second);
    pending_.erase(it);
    p.done(p.is_lookup ? AllFailed(p.names)
                       : std::vector<kop::core::TopicInfo>{});
  }

  // byte[][] of the names' bytes (topic names come from the wire: they go up
  // as bytes, Java decodes them strictly).
  static jobjectArray NewNameArray(JNIEnv* env,
                                   const std::vector<std::string>& names) {
    if (names.size() > static_cast<size_t>(INT32_MAX)) return nullptr;
    jobjectArray array = env->NewObjectArray(static_cast<jsize>(names.size()),
                                             g_byte_array_class, nullptr);
    if (array == nullptr) return nullptr;
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i].size() > static_cast<size_t>(INT32_MAX)) {
        env->DeleteLocalRef(array);
        return nullptr;
      }
      const jsize len = static_cast<jsize>(names[i].size());
      jbyteArray b = env->NewByteArray(len);
      if (b == nullptr) {
        env->DeleteLocalRef(array);
        return nullptr;
      }
      env->SetByteArrayRegion(b, 0, len,
                              reinterpret_cast<const jbyte*>(names[i].data()));
      env->SetObjectArrayElement(array, static_cast<jsize>(i), b);
      env->DeleteLocalRef(b);
      if (env->ExceptionCheck()) {
        env->DeleteLocalRef(array);
        return nullptr;
      }
    }
    return array;
  }

  // Partition owners: for each topic without error, max(partitions, 1)
  // entries of `leaders`, each an index into the node table (ids, hosts,
  // ports), -1 for "no owner now" or -2 for this broker. Null `leaders`:
  // this broker owns everything. False (logged) if malformed.
  // The node table Java sends with topic metadata: every other broker of the
  // cluster with a Kafka listener, plus any other leader. Absent (null ids):
  // an empty table. False (logged) if malformed.
  static bool DecodeNodes(JNIEnv* env, const Owners& o,
                          std::vector<kop::core::BrokerNode>& table) {
    table.clear();
    if (o.node_ids == nullptr && o.node_hosts == nullptr &&
        o.node_ports == nullptr) {
      return true;
    }
    if (o.node_ids == nullptr || o.node_hosts == nullptr ||
        o.node_ports == nullptr) {
      kop::core::Log(LogLevel::kError,
                     "nativeOnTopicsResolved: incomplete node table");
      return false;
    }
    const jsize nodes = env->GetArrayLength(o.node_ids);
    if (env->GetArrayLength(o.node_hosts) != nodes ||
        env->GetArrayLength(o.node_ports) != nodes) {
      kop::core::Log(LogLevel::kError,
                     "nativeOnTopicsResolved: node table lengths differ");
      return false;
    }
    if (nodes > kMaxNodes) {
      kop::core::Log(LogLevel::kError,
                     "nativeOnTopicsResolved: " + std::to_string(nodes) +
                         " nodes, more than " + std::to_string(kMaxNodes));
      return false;
    }
    std::vector<jint> ids(static_cast<size_t>(nodes));
    std::vector<jint> ports(static_cast<size_t>(nodes));
    if (nodes > 0) {
      env->GetIntArrayRegion(o.node_ids, 0, nodes, ids.data());
      env->GetIntArrayRegion(o.node_ports, 0, nodes, ports.data());
    }
    if (ClearPendingException(env, "nativeOnTopicsResolved (nodes)")) {
      return false;
    }
    table.resize(static_cast<size_t>(nodes));
    for (jsize i = 0; i < nodes; ++i) {
      auto& node = table[static_cast<size_t>(i)];
      auto s =
          static_cast<jstring>(env->GetObjectArrayElement(o.node_hosts, i));
      if (env->ExceptionCheck() || s == nullptr) {
        ClearPendingException(env, "nativeOnTopicsResolved (node host)");
        kop::core::Log(LogLevel::kError, "nativeOnTopicsResolved: null host");
        return false;
      }
      node.host = Utf8FromJava(env, s);
      env->DeleteLocalRef(s);
      node.node_id = ids[static_cast<size_t>(i)];
      node.port = ports[static_cast<size_t>(i)];
      if (node.node_id < 0 || node.port < 0 || node.port > 65535 ||
          node.host.empty()) {
        kop::core::Log(LogLevel::kError,
                       "nativeOnTopicsResolved: invalid node " + node.host +
                           ":" + std::to_string(node.port));
        return false;
      }
    }
    return true;
  }

  // Each ok topic's partition owners: indexes into `table` (-2 this broker,
  // -1 none), one per served partition in topic order. Null: this broker
  // owns everything.
  static bool DecodeOwners(JNIEnv* env, const Owners& o,
                           const std::vector<kop::core::BrokerNode>& table,
                           std::vector<kop::core::TopicInfo>& out) {
    if (o.leaders == nullptr) return true;
    const jsize nodes = static_cast<jsize>(table.size());
    int64_t expected = 0;
    for (const auto& t : out) {
      if (t.error_code == 0) expected += std::max<int64_t>(t.partitions, 1);
    }
    const jsize n = env->GetArrayLength(o.leaders);
    if (expected != n) {
      kop::core::Log(LogLevel::kError,
                     "nativeOnTopicsResolved: " + std::to_string(n) +
                         " leaders for " + std::to_string(expected) +
                         " partitions");
      return false;
    }
    std::vector<jint> leaders(static_cast<size_t>(n));
    if (n > 0) env->GetIntArrayRegion(o.leaders, 0, n, leaders.data());
    if (ClearPendingException(env, "nativeOnTopicsResolved (owners)")) {
      return false;
    }
    size_t next = 0;
    for (auto& t : out) {
      if (t.error_code != 0) continue;
      const size_t count = static_cast<size_t>(std::max(t.partitions, 1));
      t.leaders.resize(count);
      for (size_t p = 0; p < count; ++p) {
        const jint index = leaders[next++];
        if (index == -2) {
          t.leaders[p].local = true;
        } else if (index >= 0 && index < nodes) {
          t.leaders[p] = table[static_cast<size_t>(index)];
        } else if (index != -1) {
          kop::core::Log(LogLevel::kError,
                         "nativeOnTopicsResolved: leader index out of range");
          return false;
        }
      }
    }
    return true;
  }

  // Checks and converts Java's arrays; false (logged) if malformed. A lookup
  // keeps the names exactly as the core sent them.
  static bool Decode(JNIEnv* env, const Pending& p, jobjectArray names,
                     jintArray partitions, jshortArray errors,
                     std::vector<kop::core::TopicInfo>& out) {
    if (names == nullptr || partitions == nullptr || errors == nullptr) {
      kop::core::Log(LogLevel::kError, "nativeOnTopicsResolved: null array");
      return false;
    }
    const jsize n = env->GetArrayLength(names);
    if (env->GetArrayLength(partitions) != n ||
        env->GetArrayLength(errors) != n) {
      kop::core::Log(LogLevel::kError,
                     "nativeOnTopicsResolved: array lengths differ");
      return false;
    }
    if (p.is_lookup && static_cast<size_t>(n) != p.names.size()) {
      kop::core::Log(LogLevel::kError,
                     "nativeOnTopicsResolved: " + std::to_string(n) +
                         " answers for " + std::to_string(p.names.size()) +
                         " names");
      return false;
    }
    std::vector<jint> parts(static_cast<size_t>(n));
    std::vector<jshort> errs(static_cast<size_t>(n));
    if (n > 0) {
      env->GetIntArrayRegion(partitions, 0, n, parts.data());
      env->GetShortArrayRegion(errors, 0, n, errs.data());
    }
    if (ClearPendingException(env, "nativeOnTopicsResolved")) return false;
    out.resize(static_cast<size_t>(n));
    for (jsize i = 0; i < n; ++i) {
      auto& t = out[static_cast<size_t>(i)];
      if (parts[static_cast<size_t>(i)] < 0) {
        kop::core::Log(LogLevel::kError,
                       "nativeOnTopicsResolved: negative partition count");
        return false;
      }
      t.partitions = parts[static_cast<size_t>(i)];
      t.error_code = errs[static_cast<size_t>(i)];
      if (p.is_lookup) {
        t.name = p.names[static_cast<size_t>(i)];
      } else {
        auto s = static_cast<jstring>(env->GetObjectArrayElement(names, i));
        if (env->ExceptionCheck() || s == nullptr) {
          ClearPendingException(env, "nativeOnTopicsResolved");
          kop::core::Log(LogLevel::kError,
                         "nativeOnTopicsResolved: null topic name");
          return false;
        }
        t.name = Utf8FromJava(env, s);
        env->DeleteLocalRef(s);
      }
    }
    return true;
  }

  std::shared_ptr<kop::core::Broker> broker_;  // keeps the core alive
  jobject handler_;                            // global ref
  std::unique_ptr<kop::core::Connection> conn_;
  std::unordered_map<uint64_t, Pending> pending_;
  // The other Kafka brokers, as the latest topic answer listed them.
  std::vector<kop::core::BrokerNode> cluster_;
  std::unordered_map<uint64_t, AppendDone> appends_;
  std::unordered_map<uint64_t, ReadDone> reads_;
  std::unordered_map<uint64_t, AdminDone> admins_;
  std::unordered_map<uint64_t, SubscriptionDone> subscriptions_;
  const bool subscription_mirror_;
  // ResponseSink::Post's queue: the only state touched from other threads.
  std::mutex post_mu_;
  std::vector<std::function<void()>> posted_;
  bool run_scheduled_ = false;  // Java was asked to call nativeRunPosted
  bool post_closed_ = false;    // Release ran: Posts are dropped
};

// Open connection handles. A handle is used only on its own event loop, but
// the registry is shared by all loops.
std::mutex g_live_mutex;
std::unordered_set<ConnectionHandle*>* g_live =
    new std::unordered_set<ConnectionHandle*>();

void AddLive(ConnectionHandle* c) {
  std::lock_guard<std::mutex> lock(g_live_mutex);
  g_live->insert(c);
}
void RemoveLive(ConnectionHandle* c) {
  std::lock_guard<std::mutex> lock(g_live_mutex);
  g_live->erase(c);
}
bool IsLive(ConnectionHandle* c) {
  std::lock_guard<std::mutex> lock(g_live_mutex);
  return g_live->count(c) != 0;
}

template <typename T>
T* FromHandle(jlong handle) {
  return reinterpret_cast<T*>(static_cast<uintptr_t>(handle));
}

template <typename T>
jlong ToHandle(T* ptr) {
  return static_cast<jlong>(reinterpret_cast<uintptr_t>(ptr));
}

std::string JavaString(JNIEnv* env, jstring s) {
  if (s == nullptr) return {};
  const char* chars = env->GetStringUTFChars(s, nullptr);
  if (chars == nullptr) {
    env->ExceptionClear();
    return {};
  }
  std::string out(chars);
  env->ReleaseStringUTFChars(s, chars);
  return out;
}

void LogCurrentException(const char* where) {
  try {
    throw;
  } catch (const std::exception& e) {
    kop::core::Log(LogLevel::kError,
                   std::string(where) + " failed: " + e.what());
  } catch (...) {
    kop::core::Log(LogLevel::kError,
                   std::string(where) + " failed: unknown C++ exception");
  }
}

}  // namespace

extern "C" {

JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM* vm, void*) {
  g_vm = vm;
  JNIEnv* env = CurrentEnv();
  if (env == nullptr) return JNI_ERR;
  // FindClass here resolves through the loader that loaded this library
  // (the NAR's class loader), which is why it is done once, here.
  jclass bridge = env->FindClass(kBridgeClass);
  if (bridge == nullptr) return JNI_ERR;
  g_bridge_class = static_cast<jclass>(env->NewGlobalRef(bridge));
  env->DeleteLocalRef(bridge);
  g_log_method = env->GetStaticMethodID(g_bridge_class, "log", "(I[B)V");
  if (g_log_method == nullptr) return JNI_ERR;
  jclass handler = env->FindClass(kHandlerClass);
  if (handler == nullptr) return JNI_ERR;
  g_send_method = env->GetMethodID(handler, "onNativeSend", "(JI)V");
  g_close_method = env->GetMethodID(handler, "onNativeClose", "()V");
  g_lookup_method =
      env->GetMethodID(handler, "onNativeLookupTopics", "(J[[BZ)V");
  g_list_method = env->GetMethodID(handler, "onNativeListTopics", "(J)V");
  g_append_method = env->GetMethodID(handler, "onNativeAppend", "(J[BIJII)V");
  g_read_method = env->GetMethodID(handler, "onNativeRead", "(J[BIJII)V");
  g_admin_method = env->GetMethodID(handler, "onNativeTopicAdmin", "(JI[BI)V");
  g_post_method = env->GetMethodID(handler, "onNativePost", "()V");
  g_subscription_method =
      env->GetMethodID(handler, "onNativeSubscription", "(JI[BI[BJ)V");
  env->DeleteLocalRef(handler);
  if (g_send_method == nullptr || g_close_method == nullptr ||
      g_lookup_method == nullptr || g_list_method == nullptr ||
      g_append_method == nullptr || g_read_method == nullptr ||
      g_admin_method == nullptr || g_post_method == nullptr ||
      g_subscription_method == nullptr) {
    return JNI_ERR;
  }
  jclass byte_array = env->FindClass("[B");
  if (byte_array == nullptr) return JNI_ERR;
  g_byte_array_class = static_cast<jclass>(env->NewGlobalRef(byte_array));
  env->DeleteLocalRef(byte_array);
  kop::core::SetLogSink(JavaLogSink);
  return kJniVersion;
}

JNIEXPORT void JNICALL JNI_OnUnload(JavaVM* vm, void*) {
  kop::core::SetLogSink(nullptr);
  void* env = nullptr;
  if (vm->GetEnv(&env, kJniVersion) == JNI_OK) {
    if (g_bridge_class != nullptr)
      static_cast<JNIEnv*>(env)->DeleteGlobalRef(g_bridge_class);
    if (g_byte_array_class != nullptr) {
      static_cast<JNIEnv*>(env)->DeleteGlobalRef(g_byte_array_class);
    }
  }
  g_bridge_class = nullptr;
  g_byte_array_class = nullptr;
  g_log_method = g_send_method = g_close_method = g_lookup_method =
      g_list_method = nullptr;
  g_append_method = g_read_method = g_admin_method = g_post_method = nullptr;
  g_subscription_method = nullptr;
  g_vm = nullptr;
}

// static native String nativeVersion()
JNIEXPORT jstring JNICALL
Java_io_kopnative_NativeBridge_nativeVersion(JNIEnv* env, jclass) {
  return env->NewStringUTF(kBridgeVersion);
}

// static native void nativeSetLogLevel(int minLevel)  (0 debug .. 3 error)
JNIEXPORT void JNICALL
Java_io_kopnative_NativeBridge_nativeSetLogLevel(JNIEnv*, jclass, jint level) {
  g_min_log_level.store(level, std::memory_order_relaxed);
}

// static native long nativeCreateBroker(String[] keysAndValues)  -> 0 on error
JNIEXPORT jlong JNICALL Java_io_kopnative_NativeBridge_nativeCreateBroker(
    JNIEnv* env, jclass, jobjectArray keys_and_values) {
  try {
    if (keys_and_values == nullptr) {
      kop::core::Log(LogLevel::kError,
                     "nativeCreateBroker: null configuration");
      return 0;
    }
    const jsize n = env->GetArrayLength(keys_and_values);
    if (n % 2 != 0) {
      kop::core::Log(LogLevel::kError,
                     "nativeCreateBroker: odd number of key/value strings");
      return 0;
    }
    kop::core::Config config;
    for (jsize i = 0; i < n; i += 2) {
      auto k =
          static_cast<jstring>(env->GetObjectArrayElement(keys_and_values, i));
      auto v = static_cast<jstring>(
          env->GetObjectArrayElement(keys_and_values, i + 1));
      if (env->ExceptionCheck()) {
        ClearPendingException(env, "nativeCreateBroker");
        return 0;
      }
      config[JavaString(env, k)] = JavaString(env, v);
      if (k != nullptr) env->DeleteLocalRef(k);
      if (v != nullptr) env->DeleteLocalRef(v);
    }
    std::unique_ptr<kop::core::Broker> core = kop::core::Broker::Create(config);
    if (core == nullptr) {
      kop::core::Log(LogLevel::kError,
                     "nativeCreateBroker: the core refused the configuration");
      return 0;
    }
    auto mirror = config.find(kSubscriptionMirrorKey);
    auto* handle =
        new BrokerHandle{std::shared_ptr<kop::core::Broker>(std::move(core)),
                         mirror == config.end() || mirror->second == "true"};
    return ToHandle(handle);
  } catch (...) {
    LogCurrentException("nativeCreateBroker");
    return 0;
  }
}

// static native void nativeDestroyBroker(long broker)
JNIEXPORT void JNICALL Java_io_kopnative_NativeBridge_nativeDestroyBroker(
    JNIEnv*, jclass, jlong broker) {
  try {
    delete FromHandle<BrokerHandle>(broker);
  } catch (...) {
    LogCurrentException("nativeDestroyBroker");
  }
}

// static native long nativeOpenConnection(long broker, KafkaFrameHandler
// handler)
//   -> 0 on error
JNIEXPORT jlong JNICALL Java_io_kopnative_NativeBridge_nativeOpenConnection(
    JNIEnv* env, jclass, jlong broker, jobject handler) {
  try {
    auto* b = FromHandle<BrokerHandle>(broker);
    if (b == nullptr || handler == nullptr) {
      kop::core::Log(LogLevel::kError,
                     "nativeOpenConnection: null broker or handler");
      return 0;
    }
    jobject ref = env->NewGlobalRef(handler);
    if (ref == nullptr) {
      ClearPendingException(env, "nativeOpenConnection");
      return 0;
    }
    auto conn = std::make_unique<ConnectionHandle>(b->core, ref,
                                                   b->subscription_mirror);
    std::unique_ptr<kop::core::Connection> core_conn;
    try {
      core_conn = b->core->Accept(conn.get(), conn.get(), conn.get());
    } catch (...) {
      conn->Release(env);
      throw;
    }
    if (core_conn == nullptr) {
      conn->Release(env);
      kop::core::Log(LogLevel::kError,
                     "nativeOpenConnection: the core refused the connection");
      return 0;
    }
    conn->Attach(std::move(core_conn));
    AddLive(conn.get());
    return ToHandle(conn.release());
  } catch (...) {
    LogCurrentException("nativeOpenConnection");
    return 0;
  }
}

// static native int nativeSetClientHost(long conn, byte[] host)
//   -> 0, or a negative error code. The client's address for group members'
//   client_host (DescribeGroups), set right after nativeOpenConnection.
JNIEXPORT jint JNICALL Java_io_kopnative_NativeBridge_nativeSetClientHost(
    JNIEnv* env, jclass, jlong conn, jbyteArray host) {
  try {
    auto* c = FromHandle<ConnectionHandle>(conn);
    if (c == nullptr || c->connection() == nullptr) return kErrBadHandle;
    if (host == nullptr) return kErrBadArgument;
    const jsize n = env->GetArrayLength(host);
    if (n < 0 || n > 256) return kErrBadArgument;
    std::string value(static_cast<size_t>(n), '\0');
    env->GetByteArrayRegion(host, 0, n, reinterpret_cast<jbyte*>(value.data()));
    if (env->ExceptionCheck()) {
      ClearPendingException(env, "nativeSetClientHost");
      return kErrBadArgument;
    }
    c->connection()->SetClientHost(std::move(value));
    return kOk;
  } catch (...) {
    LogCurrentException("nativeSetClientHost");
    return kErrCoreFailure;
  }
}

// static native int nativeOnFrame(long conn, long address, int length)
//   -> 0, or a negative error code (Java closes the connection).
JNIEXPORT jint JNICALL Java_io_kopnative_NativeBridge_nativeOnFrame(
    JNIEnv*, jclass, jlong conn, jlong address, jint length) {
  try {
    auto* c = FromHandle<ConnectionHandle>(conn);
    if (c == nullptr || c->connection() == nullptr) return kErrBadHandle;
    if (length < 0 || (length > 0 && address == 0)) return kErrBadArgument;
    const auto* data =
        length == 0
            ? nullptr
            : reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(address));
    c->connection()->OnFrame(
        std::span<const uint8_t>(data, static_cast<size_t>(length)));
    return kOk;
  } catch (...) {
    LogCurrentException("nativeOnFrame");
    return kErrCoreFailure;
  }
}

// static native int nativeOnTopicsResolved(long conn, long requestId,
//     String[] names, int[] partitions, short[] errors, int[] leaders,
//     int[] nodeIds, String[] nodeHosts, int[] nodePorts)
//   -> 0 (also for an unknown request id), kErrBadHandle for a closed handle.
// On the connection's event loop. A malformed answer (null arrays, lengths
// that differ, a lookup answered with the wrong number of entries, a negative
// partition count, bad owners: see DecodeOwners) is logged and completes the
// request with error -1.
JNIEXPORT jint JNICALL Java_io_kopnative_NativeBridge_nativeOnTopicsResolved(
    JNIEnv* env, jclass, jlong conn, jlong request_id, jobjectArray names,
    jintArray partitions, jshortArray errors, jintArray leaders,
    jintArray node_ids, jobjectArray node_hosts, jintArray node_ports) {
  try {
    auto* c = FromHandle<ConnectionHandle>(conn);
    if (c == nullptr || !IsLive(c) || c->connection() == nullptr)
      return kErrBadHandle;
    c->Resolve(env, static_cast<uint64_t>(request_id), names, partitions,
               errors, Owners{leaders, node_ids, node_hosts, node_ports});
    return kOk;
  } catch (...) {
    LogCurrentException("nativeOnTopicsResolved");
    return kErrCoreFailure;
  }
}

// static native int nativeOnAppended(long conn, long requestId, short
// errorCode,
//     long baseOffset, long logStartOffset)
//   -> 0 (also for an unknown request id), kErrBadHandle for a closed handle.
// On the connection's event loop.
JNIEXPORT jint JNICALL Java_io_kopnative_NativeBridge_nativeOnAppended(
    JNIEnv*, jclass, jlong conn, jlong request_id, jshort error_code,
    jlong base_offset, jlong log_start_offset) {
  try {
    auto* c = FromHandle<ConnectionHandle>(conn);
    if (c == nullptr || !IsLive(c) || c->connection() == nullptr)
      return kErrBadHandle;
    c->Appended(static_cast<uint64_t>(request_id), error_code, base_offset,
                log_start_offset);
    return kOk;
  } catch (...) {
    LogCurrentException("nativeOnAppended");
    return kErrCoreFailure;
  }
}

// static native int nativeOnRead(long conn, long requestId, short errorCode,
//     long logStartOffset, long logEndOffset, long address, int length, int[]
//     lengths)
//   -> 0 (also for an unknown request id), kErrBadHandle for a closed handle.
// On the connection's event loop; [address, address + length) stays valid
// until this returns. Lengths that do not add up to `length` complete the
// read with error -1.
JNIEXPORT jint JNICALL Java_io_kopnative_NativeBridge_nativeOnRead(
    JNIEnv* env, jclass, jlong conn, jlong request_id, jshort error_code,
    jlong log_start_offset, jlong log_end_offset, jlong address, jint length,
    jintArray lengths) {
  try {
    auto* c = FromHandle<ConnectionHandle>(conn);
    if (c == nullptr || !IsLive(c) || c->connection() == nullptr)
      return kErrBadHandle;
    c->ReadDoneFor(env, static_cast<uint64_t>(request_id), error_code,
                   log_start_offset, log_end_offset, address, length, lengths);
    return kOk;
  } catch (...) {
    LogCurrentException("nativeOnRead");
    return kErrCoreFailure;
  }
}

// static native int nativeOnTopicAdminDone(long conn, long requestId, short
// errorCode,
//     String message)
//   -> 0 (also for an unknown request id), kErrBadHandle for a closed handle.
// On the connection's event loop. A null message is an empty one.
JNIEXPORT jint JNICALL Java_io_kopnative_NativeBridge_nativeOnTopicAdminDone(
    JNIEnv* env, jclass, jlong conn, jlong request_id, jshort error_code,
    jstring message) {
  try {
    auto* c = FromHandle<ConnectionHandle>(conn);
    if (c == nullptr || !IsLive(c) || c->connection() == nullptr)
      return kErrBadHandle;
    std::string text =
        message == nullptr ? std::string() : Utf8FromJava(env, message);
    c->AdminDoneFor(static_cast<uint64_t>(request_id), error_code,
                    std::move(text));
    return kOk;
  } catch (...) {
    LogCurrentException("nativeOnTopicAdminDone");
    return kErrCoreFailure;
  }
}

// static native int nativeOnSubscriptionDone(long conn, long requestId,
//     short errorCode)
//   -> 0 (also for an unknown request id), kErrBadHandle for a closed handle.
// On the connection's event loop.
JNIEXPORT jint JNICALL Java_io_kopnative_NativeBridge_nativeOnSubscriptionDone(
    JNIEnv*, jclass, jlong conn, jlong request_id, jshort error_code) {
  try {
    auto* c = FromHandle<ConnectionHandle>(conn);
    if (c == nullptr || !IsLive(c) || c->connection() == nullptr)
      return kErrBadHandle;
    c->SubscriptionDoneFor(static_cast<uint64_t>(request_id), error_code);
    return kOk;
  } catch (...) {
    LogCurrentException("nativeOnSubscriptionDone");
    return kErrCoreFailure;
  }
}

// static native int nativeTick(long broker)
//   -> 0, kErrBadHandle for a null handle, kErrCoreFailure if the core threw.
// From the protocol handler's tick thread ("kop-native-tick"), about every
// 100 ms, never after nativeDestroyBroker (Java stops the thread first).
JNIEXPORT jint JNICALL Java_io_kopnative_NativeBridge_nativeTick(JNIEnv*,
                                                                 jclass,
                                                                 jlong broker) {
  try {
    auto* b = FromHandle<BrokerHandle>(broker);
    if (b == nullptr || b->core == nullptr) return kErrBadHandle;
    b->core->Tick();
    return kOk;
  } catch (...) {
    LogCurrentException("nativeTick");
    return kErrCoreFailure;
  }
}

// static native int nativeOffsetsPartitionOwnership(long broker, int
//     partition, boolean owned)
//   -> 0, kErrBadHandle for a null handle, kErrCoreFailure if the core threw.
// From any thread (Pulsar's bundle ownership listener), never after
// nativeDestroyBroker (NativeBroker serialises it with close).
JNIEXPORT jint JNICALL
Java_io_kopnative_NativeBridge_nativeOffsetsPartitionOwnership(JNIEnv*, jclass,
                                                               jlong broker,
                                                               jint partition,
                                                               jboolean owned) {
  try {
    auto* b = FromHandle<BrokerHandle>(broker);
    if (b == nullptr || b->core == nullptr) return kErrBadHandle;
    b->core->OffsetsPartitionOwnership(partition, owned == JNI_TRUE);
    return kOk;
  } catch (...) {
    LogCurrentException("nativeOffsetsPartitionOwnership");
    return kErrCoreFailure;
  }
}

// static native int nativePartitionLeft(long broker, byte[] topic, int
//     partition)
//   -> 0, kErrBadHandle for a null handle or topic, kErrCoreFailure if the
//   core threw. From any thread (Pulsar's bundle ownership listener), never
//   after nativeDestroyBroker (NativeBroker serialises it with close).
JNIEXPORT jint JNICALL Java_io_kopnative_NativeBridge_nativePartitionLeft(
    JNIEnv* env, jclass, jlong broker, jbyteArray topic, jint partition) {
  try {
    auto* b = FromHandle<BrokerHandle>(broker);
    if (b == nullptr || b->core == nullptr || topic == nullptr) {
      return kErrBadHandle;
    }
    const jsize n = env->GetArrayLength(topic);
    std::string name(static_cast<size_t>(n), '\0');
    if (n > 0) {
      env->GetByteArrayRegion(topic, 0, n,
                              reinterpret_cast<jbyte*>(name.data()));
    }
    if (ClearPendingException(env, "nativePartitionLeft")) return kErrBadHandle;
    b->core->PartitionLeft(name, partition);
    return kOk;
  } catch (...) {
    LogCurrentException("nativePartitionLeft");
    return kErrCoreFailure;
  }
}

// static native int nativeRunPosted(long conn)
//   -> 0, kErrBadHandle for a closed or unknown handle (nothing runs).
// On the connection's event loop, after KafkaFrameHandler.onNativePost: runs
// the tasks the core posted to this connection, in order.
JNIEXPORT jint JNICALL
Java_io_kopnative_NativeBridge_nativeRunPosted(JNIEnv*, jclass, jlong conn) {
  try {
    auto* c = FromHandle<ConnectionHandle>(conn);
    if (c == nullptr || !IsLive(c) || c->connection() == nullptr)
      return kErrBadHandle;
    c->RunPosted();
    return kOk;
  } catch (...) {
    LogCurrentException("nativeRunPosted");
    return kErrCoreFailure;
  }
}

// static native int nativeDebugPost(long conn, int value)
//   -> 0, kErrBadHandle for a closed or unknown handle.
// Tests only (the core does not post yet): from any thread, posts a task that
// sends the 8-byte frame [length 4][value] on the connection, so Java tests
// can drive ResponseSink::Post across threads. The live-handle lock is held
// across the Post, so the handle cannot be freed meanwhile.
JNIEXPORT jint JNICALL Java_io_kopnative_NativeBridge_nativeDebugPost(
    JNIEnv*, jclass, jlong conn, jint value) {
  try {
    auto* c = FromHandle<ConnectionHandle>(conn);
    std::lock_guard<std::mutex> lock(g_live_mutex);
    if (c == nullptr || g_live->count(c) == 0) return kErrBadHandle;
    c->Post([c, value] {
      const auto v = static_cast<uint32_t>(value);
      const uint8_t frame[8] = {0,
                                0,
                                0,
                                4,
                                static_cast<uint8_t>(v >> 24),
                                static_cast<uint8_t>(v >> 16),
                                static_cast<uint8_t>(v >> 8),
                                static_cast<uint8_t>(v)};
      c->Send(frame);
    });
    return kOk;
  } catch (...) {
    LogCurrentException("nativeDebugPost");
    return kErrCoreFailure;
  }
}

// static native int nativeDebugSubscription(long conn, int op, byte[] topic,
//     int partition, byte[] name, long offset)
//   -> 0, kErrBadHandle for a closed or unknown handle, kErrBadArgument if the
//   connection does not support subscriptions (kafkaGroupSubscriptionMirror
//   is false) or `op` is unknown.
// Tests only (the core does not mirror yet): on the connection's event loop,
// calls LogPort::CommitSubscription (op 0) or DeleteSubscription (op 1) as
// the core would; the completion sends the frame [length 4][error code].
JNIEXPORT jint JNICALL Java_io_kopnative_NativeBridge_nativeDebugSubscription(
    JNIEnv* env, jclass, jlong conn, jint op, jbyteArray topic, jint partition,
    jbyteArray name, jlong offset) {
  try {
    auto* c = FromHandle<ConnectionHandle>(conn);
    if (c == nullptr || !IsLive(c) || c->connection() == nullptr)
      return kErrBadHandle;
    if (!c->SupportsSubscriptions() || topic == nullptr || name == nullptr ||
        (op != kSubscriptionCommit && op != kSubscriptionDelete)) {
      return kErrBadArgument;
    }
    auto bytes = [env](jbyteArray a) {
      std::string out(static_cast<size_t>(env->GetArrayLength(a)), '\0');
      if (!out.empty()) {
        env->GetByteArrayRegion(a, 0, static_cast<jsize>(out.size()),
                                reinterpret_cast<jbyte*>(out.data()));
      }
      return out;
    };
    const std::string t = bytes(topic);
    const std::string n = bytes(name);
    if (ClearPendingException(env, "nativeDebugSubscription"))
      return kErrBadArgument;
    auto done = [c](int16_t code) {
      const auto v = static_cast<uint16_t>(code);
      const uint8_t frame[8] = {0,
                                0,
                                0,
                                4,
                                0,
                                0,
                                static_cast<uint8_t>(v >> 8),
                                static_cast<uint8_t>(v)};
      c->Send(frame);
    };
    if (op == kSubscriptionCommit) {
      c->CommitSubscription(t, partition, n, offset, done);
    } else {
      c->DeleteSubscription(t, partition, n, done);
    }
    return kOk;
  } catch (...) {
    LogCurrentException("nativeDebugSubscription");
    return kErrCoreFailure;
  }
}

// static native void nativeCloseConnection(long conn)
JNIEXPORT void JNICALL Java_io_kopnative_NativeBridge_nativeCloseConnection(
    JNIEnv* env, jclass, jlong conn) {
  try {
    auto* c = FromHandle<ConnectionHandle>(conn);
    if (c == nullptr) return;
    RemoveLive(c);
    c->Release(env);
    delete c;
  } catch (...) {
    LogCurrentException("nativeCloseConnection");
  }
}

}  // extern "C"
