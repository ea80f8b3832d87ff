// The production JNI entry points of io.kopnative.NativeBridge, each inside
// the one guard of entry_guard.h. Each comment gives the Java declaration and
// the values returned. The boundary's rules: jni-bridge/README.md.
#include <jni.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include "connection_handle.h"
#include "entry_guard.h"
#include "jni_util.h"
#include "kop/core/broker.h"
#include "kop/core/log.h"
#include "topic_answer.h"

namespace {

using kop::core::ErrorCode;
using kop::core::LogLevel;
using kop::jni::BrokerHandle;
using kop::jni::ConnectionHandle;
using kop::jni::kErrBadArgument;
using kop::jni::kErrBadHandle;
using kop::jni::kOk;
using kop::jni::OnBroker;
using kop::jni::OnConnection;

constexpr const char* kBridgeVersion = "kop-native jni-bridge 0.1.0";

// The broker configuration from Java's flattened key/value strings; false
// (logged) if malformed.
bool ConfigFromJava(JNIEnv* env, jobjectArray keys_and_values,
                    kop::core::Config& config) {
  if (keys_and_values == nullptr) {
    kop::core::Log(LogLevel::kError, "nativeCreateBroker: null configuration");
    return false;
  }
  const jsize n = env->GetArrayLength(keys_and_values);
  if (n % 2 != 0) {
    kop::core::Log(LogLevel::kError,
                   "nativeCreateBroker: odd number of key/value strings");
    return false;
  }
  for (jsize i = 0; i < n; i += 2) {
    auto k =
        static_cast<jstring>(env->GetObjectArrayElement(keys_and_values, i));
    auto v = static_cast<jstring>(
        env->GetObjectArrayElement(keys_and_values, i + 1));
    if (env->ExceptionCheck()) {
      kop::jni::ClearPendingException(env, "nativeCreateBroker");
      return false;
    }
    config[kop::jni::JavaString(env, k)] = kop::jni::JavaString(env, v);
    if (k != nullptr) env->DeleteLocalRef(k);
    if (v != nullptr) env->DeleteLocalRef(v);
  }
  return true;
}

// What the connection's listener demands; false (logged) if malformed.
bool ListenerFromJava(JNIEnv* env, jboolean sasl, jobjectArray mechanisms,
                      kop::core::ListenerSecurity& out) {
  out.sasl = sasl == JNI_TRUE;
  if (mechanisms == nullptr) return true;
  const jsize n = env->GetArrayLength(mechanisms);
  if (n > 16) {
    kop::core::Log(LogLevel::kError,
                   "nativeOpenConnection: more than 16 SASL mechanisms");
    return false;
  }
  for (jsize i = 0; i < n; ++i) {
    auto m = static_cast<jstring>(env->GetObjectArrayElement(mechanisms, i));
    if (env->ExceptionCheck() || m == nullptr) {
      kop::jni::ClearPendingException(env, "nativeOpenConnection");
      return false;
    }
    out.sasl_mechanisms.push_back(kop::jni::Utf8FromJava(env, m));
    env->DeleteLocalRef(m);
  }
  return true;
}

}  // namespace

extern "C" {

// static native String nativeVersion()
JNIEXPORT jstring JNICALL
Java_io_kopnative_NativeBridge_nativeVersion(JNIEnv* env, jclass) {
  return env->NewStringUTF(kBridgeVersion);
}

// static native void nativeSetLogLevel(int minLevel)  (0 debug .. 3 error)
JNIEXPORT void JNICALL
Java_io_kopnative_NativeBridge_nativeSetLogLevel(JNIEnv*, jclass, jint level) {
  kop::jni::SetMinLogLevel(level);
}

// static native long nativeCreateBroker(String[] keysAndValues)  -> 0 on error
JNIEXPORT jlong JNICALL Java_io_kopnative_NativeBridge_nativeCreateBroker(
    JNIEnv* env, jclass, jobjectArray keys_and_values) {
  return kop::jni::Guarded("nativeCreateBroker", jlong{0}, [&]() -> jlong {
    kop::core::Config config;
    if (!ConfigFromJava(env, keys_and_values, config)) return 0;
    std::unique_ptr<kop::core::Broker> core = kop::core::Broker::Create(config);
    if (core == nullptr) {
      kop::core::Log(LogLevel::kError,
                     "nativeCreateBroker: the core refused the configuration");
      return 0;
    }
    auto mirror = config.find(kop::jni::kSubscriptionMirrorKey);
    auto authz = config.find(kop::jni::kAuthorizationEnabledKey);
    auto* handle =
        new BrokerHandle{std::shared_ptr<kop::core::Broker>(std::move(core)),
                         mirror == config.end() || mirror->second == "true",
                         authz != config.end() && authz->second == "true"};
    return kop::jni::ToHandle(handle);
  });
}

// static native void nativeDestroyBroker(long broker)
// Open connections keep the core broker alive (README.md, "Lifetime").
JNIEXPORT void JNICALL Java_io_kopnative_NativeBridge_nativeDestroyBroker(
    JNIEnv*, jclass, jlong broker) {
  kop::jni::GuardedVoid("nativeDestroyBroker", [&] {
    delete kop::jni::FromHandle<BrokerHandle>(broker);
  });
}

// static native long nativeOpenConnection(long broker,
//     KafkaFrameHandler handler, boolean sasl, String[] saslMechanisms,
//     String advertisedHost, int advertisedPort, String tlsRole)
//   -> 0 on error. `sasl`: the listener is SASL_PLAINTEXT or SASL_SSL, and
//   offers `saslMechanisms` (saslAllowedMechanisms). The listener's advertised
//   endpoint names this broker on the connection (null host: the broker's).
//   `tlsRole`: the role Pulsar's TLS provider gave the client certificate
//   (mTLS); null or empty for none.
JNIEXPORT jlong JNICALL Java_io_kopnative_NativeBridge_nativeOpenConnection(
    JNIEnv* env, jclass, jlong broker, jobject handler, jboolean sasl,
    jobjectArray sasl_mechanisms, jstring advertised_host, jint advertised_port,
    jstring tls_role) {
  return kop::jni::Guarded("nativeOpenConnection", jlong{0}, [&]() -> jlong {
    auto* b = kop::jni::FromHandle<BrokerHandle>(broker);
    if (b == nullptr || handler == nullptr) {
      kop::core::Log(LogLevel::kError,
                     "nativeOpenConnection: null broker or handler");
      return 0;
    }
    kop::core::ListenerSecurity listener;
    if (!ListenerFromJava(env, sasl, sasl_mechanisms, listener)) return 0;
    if (advertised_host != nullptr) {
      listener.advertised_host = kop::jni::Utf8FromJava(env, advertised_host);
      listener.advertised_port = advertised_port;
    }
    if (tls_role != nullptr) {
      listener.tls_role = kop::jni::Utf8FromJava(env, tls_role);
    }
    jobject ref = env->NewGlobalRef(handler);
    if (ref == nullptr) {
      kop::jni::ClearPendingException(env, "nativeOpenConnection");
      return 0;
    }
    auto conn = std::make_unique<ConnectionHandle>(b->core, ref,
                                                   b->subscription_mirror);
    std::unique_ptr<kop::core::Connection> core_conn;
    try {
      conn->SetAuthorizationEnabled(b->authorization_enabled);
      core_conn = b->core->Accept(conn.get(), conn.get(), conn.get(),
                                  conn.get(), std::move(listener));
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
    kop::jni::g_live.Add(conn.get());
    return kop::jni::ToHandle(conn.release());
  });
}

// static native int nativeSetClientHost(long conn, byte[] host)
//   -> 0, or a negative error code. The client's address for group members'
//   client_host (DescribeGroups), set right after nativeOpenConnection.
JNIEXPORT jint JNICALL Java_io_kopnative_NativeBridge_nativeSetClientHost(
    JNIEnv* env, jclass, jlong conn, jbyteArray host) {
  return OnConnection("nativeSetClientHost", conn, [&](ConnectionHandle& c) {
    if (host == nullptr) return kErrBadArgument;
    const jsize n = env->GetArrayLength(host);
    if (n < 0 || n > 256) return kErrBadArgument;
    auto value = kop::jni::BytesFromJava(env, host, "nativeSetClientHost");
    if (!value) return kErrBadArgument;
    c.connection()->SetClientHost(std::move(*value));
    return kOk;
  });
}

// static native int nativeOnFrame(long conn, long address, int length)
//   -> 0, or a negative error code (Java closes the connection).
// The produce/fetch hot path: the frame is not copied here (the core copies
// what it keeps); see OpenConnection for the cost of the handle check.
JNIEXPORT jint JNICALL Java_io_kopnative_NativeBridge_nativeOnFrame(
    JNIEnv*, jclass, jlong conn, jlong address, jint length) {
  return OnConnection("nativeOnFrame", conn, [&](ConnectionHandle& c) {
    if (length < 0 || (length > 0 && address == 0)) return kErrBadArgument;
    const auto* data =
        length == 0
            ? nullptr
            : reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(address));
    c.connection()->OnFrame(
        std::span<const uint8_t>(data, static_cast<size_t>(length)));
    return kOk;
  });
}

// static native int nativeOnTopicsResolved(long conn, long requestId,
//     String[] names, int[] partitions, short[] errors, int[] leaders,
//     int[] nodeIds, String[] nodeHosts, int[] nodePorts)
//   -> 0 (also for an unknown request id), kErrBadHandle for a closed handle.
// On the connection's event loop. A malformed answer (null arrays, lengths
// that differ, a lookup answered with the wrong number of entries, a negative
// partition count, bad owners: see DecodeOwners) is logged and completes the
// request with UNKNOWN_SERVER_ERROR.
JNIEXPORT jint JNICALL Java_io_kopnative_NativeBridge_nativeOnTopicsResolved(
    JNIEnv* env, jclass, jlong conn, jlong request_id, jobjectArray names,
    jintArray partitions, jshortArray errors, jintArray leaders,
    jintArray node_ids, jobjectArray node_hosts, jintArray node_ports) {
  return OnConnection("nativeOnTopicsResolved", conn, [&](ConnectionHandle& c) {
    c.Resolve(env, static_cast<uint64_t>(request_id), names, partitions, errors,
              kop::jni::Owners{leaders, node_ids, node_hosts, node_ports});
    return kOk;
  });
}

// static native int nativeOnAppended(long conn, long requestId,
//     short errorCode, long baseOffset, long logStartOffset, String message,
//     int throttleTimeMs)
//   -> 0 (also for an unknown request id), kErrBadHandle for a closed handle.
// On the connection's event loop. A null message is an empty one; a negative
// throttle time is 0.
JNIEXPORT jint JNICALL Java_io_kopnative_NativeBridge_nativeOnAppended(
    JNIEnv* env, jclass, jlong conn, jlong request_id, jshort error_code,
    jlong base_offset, jlong log_start_offset, jstring message,
    jint throttle_time_ms) {
  return OnConnection("nativeOnAppended", conn, [&](ConnectionHandle& c) {
    c.Appended(static_cast<uint64_t>(request_id),
               static_cast<ErrorCode>(error_code), base_offset,
               log_start_offset, kop::jni::Utf8FromJava(env, message),
               throttle_time_ms);
    return kOk;
  });
}

// static native int nativeOnRead(long conn, long requestId, short errorCode,
//     long logStartOffset, long logEndOffset, long address, int length,
//     int[] lengths)
//   -> 0 (also for an unknown request id), kErrBadHandle for a closed handle.
// On the connection's event loop; [address, address + length) stays valid
// until this returns. Lengths that do not add up to `length` complete the
// read with UNKNOWN_SERVER_ERROR.
JNIEXPORT jint JNICALL Java_io_kopnative_NativeBridge_nativeOnRead(
    JNIEnv* env, jclass, jlong conn, jlong request_id, jshort error_code,
    jlong log_start_offset, jlong log_end_offset, jlong address, jint length,
    jintArray lengths) {
  return OnConnection("nativeOnRead", conn, [&](ConnectionHandle& c) {
    c.ReadDoneFor(env, static_cast<uint64_t>(request_id),
                  static_cast<ErrorCode>(error_code), log_start_offset,
                  log_end_offset, address, length, lengths);
    return kOk;
  });
}

// static native int nativeOnTopicAdminDone(long conn, long requestId,
//     short errorCode, String message)
//   -> 0 (also for an unknown request id), kErrBadHandle for a closed handle.
// On the connection's event loop. A null message is an empty one.
JNIEXPORT jint JNICALL Java_io_kopnative_NativeBridge_nativeOnTopicAdminDone(
    JNIEnv* env, jclass, jlong conn, jlong request_id, jshort error_code,
    jstring message) {
  return OnConnection("nativeOnTopicAdminDone", conn, [&](ConnectionHandle& c) {
    c.AdminDoneFor(static_cast<uint64_t>(request_id),
                   static_cast<ErrorCode>(error_code),
                   kop::jni::Utf8FromJava(env, message));
    return kOk;
  });
}

// static native int nativeOnSubscriptionDone(long conn, long requestId,
//     short errorCode)
//   -> 0 (also for an unknown request id), kErrBadHandle for a closed handle.
// On the connection's event loop.
JNIEXPORT jint JNICALL Java_io_kopnative_NativeBridge_nativeOnSubscriptionDone(
    JNIEnv*, jclass, jlong conn, jlong request_id, jshort error_code) {
  return OnConnection(
      "nativeOnSubscriptionDone", conn, [&](ConnectionHandle& c) {
        c.SubscriptionDoneFor(static_cast<uint64_t>(request_id),
                              static_cast<ErrorCode>(error_code));
        return kOk;
      });
}

// static native int nativeOnAuthenticated(long conn, long requestId,
//     short errorCode, String message, byte[] role, long expiresAtMs)
//   -> 0 (also for an unknown request id), kErrBadHandle for a closed handle.
// On the connection's event loop. errorCode 0: `role` (UTF-8) is the Pulsar
// role the credential proves, valid until expiresAtMs (0: no expiry);
// otherwise `message` says why (it never contains the credential). A
// success without a role fails.
JNIEXPORT jint JNICALL Java_io_kopnative_NativeBridge_nativeOnAuthenticated(
    JNIEnv* env, jclass, jlong conn, jlong request_id, jshort error_code,
    jstring message, jbyteArray role, jlong expires_at_ms) {
  return OnConnection("nativeOnAuthenticated", conn, [&](ConnectionHandle& c) {
    kop::core::AuthResult r;
    r.error_code = static_cast<ErrorCode>(error_code);
    r.error_message = kop::jni::Utf8FromJava(env, message);
    r.expires_at_ms = expires_at_ms;
    if (r.error_code == ErrorCode::NONE) {
      std::optional<std::string> name =
          role == nullptr
              ? std::nullopt
              : kop::jni::BytesFromJava(env, role, "nativeOnAuthenticated");
      if (!name) {
        r.error_code = ErrorCode::SASL_AUTHENTICATION_FAILED;
        r.error_message = "the provider answered no role";
      } else {
        r.role = std::move(*name);
      }
    }
    c.AuthenticatedFor(static_cast<uint64_t>(request_id), std::move(r));
    return kOk;
  });
}

// static native int nativeOnPermissions(long conn, long requestId,
//     short errorCode, String message, int[] scopesAndActions,
//     String[] namesAndRoles)
//   -> 0 (also for an unknown request id), kErrBadHandle for a closed handle.
// On the connection's event loop. errorCode 0: a listing has permission i as
// (scopesAndActions[2i], [2i+1]) and (namesAndRoles[2i], [2i+1]); a change
// has none. Otherwise `message` says why. Arrays that do not pair up, more
// than 100,000 permissions or a string over 32767 characters answer
// UNKNOWN_SERVER_ERROR.
JNIEXPORT jint JNICALL Java_io_kopnative_NativeBridge_nativeOnPermissions(
    JNIEnv* env, jclass, jlong conn, jlong request_id, jshort error_code,
    jstring message, jintArray scopes_and_actions,
    jobjectArray names_and_roles) {
  return OnConnection("nativeOnPermissions", conn, [&](ConnectionHandle& c) {
    kop::core::PermissionResult r;
    r.error_code = static_cast<ErrorCode>(error_code);
    auto text =
        kop::jni::BoundedUtf8FromJava(env, message, kop::jni::kMaxNameChars);
    r.message = text ? std::move(*text) : "";
    if (!text || !kop::jni::DecodePermissions(env, scopes_and_actions,
                                              names_and_roles, r.permissions)) {
      r = {ErrorCode::UNKNOWN_SERVER_ERROR,
           "the broker answered a malformed permission listing",
           {}};
    }
    c.PermissionsFor(static_cast<uint64_t>(request_id), std::move(r));
    return kOk;
  });
}

// static native int nativeOnAuthorized(long conn, long requestId,
//     short errorCode)
//   -> 0 (also for an unknown request id), kErrBadHandle for a closed handle.
// On the connection's event loop. errorCode 0: allowed; 29
// (TOPIC_AUTHORIZATION_FAILED): refused; anything else: the check failed.
JNIEXPORT jint JNICALL Java_io_kopnative_NativeBridge_nativeOnAuthorized(
    JNIEnv*, jclass, jlong conn, jlong request_id, jshort error_code) {
  return OnConnection("nativeOnAuthorized", conn, [&](ConnectionHandle& c) {
    c.AuthorizedFor(static_cast<uint64_t>(request_id),
                    static_cast<ErrorCode>(error_code));
    return kOk;
  });
}

// static native int nativeTick(long broker)
//   -> 0, kErrBadHandle for a null handle, kErrCoreFailure if the core threw.
// From the protocol handler's tick thread ("kop-native-tick"), about every
// 100 ms, never after nativeDestroyBroker (Java stops the thread first).
JNIEXPORT jint JNICALL Java_io_kopnative_NativeBridge_nativeTick(JNIEnv*,
                                                                 jclass,
                                                                 jlong broker) {
  return OnBroker("nativeTick", broker, [](kop::core::Broker& core) {
    core.Tick();
    return kOk;
  });
}

// static native int nativeOffsetsPartitionOwnership(long broker,
//     String tenant, int partition, boolean owned)
//   -> 0, kErrBadHandle for a null handle, kErrCoreFailure if the core threw.
// `tenant` owns the __consumer_offsets whose bundle moved. From any thread
// (Pulsar's bundle ownership listener), never after nativeDestroyBroker
// (NativeBroker serialises it with close).
JNIEXPORT jint JNICALL
Java_io_kopnative_NativeBridge_nativeOffsetsPartitionOwnership(
    JNIEnv* env, jclass, jlong broker, jstring tenant, jint partition,
    jboolean owned) {
  return OnBroker(
      "nativeOffsetsPartitionOwnership", broker, [&](kop::core::Broker& core) {
        core.OffsetsPartitionOwnership(kop::jni::JavaString(env, tenant),
                                       partition, owned == JNI_TRUE);
        return kOk;
      });
}

// static native int nativePartitionLeft(long broker, byte[] topic,
//     int partition)
//   -> 0, kErrBadHandle for a null handle or topic, kErrCoreFailure if the
//   core threw. From any thread (Pulsar's bundle ownership listener), never
//   after nativeDestroyBroker (NativeBroker serialises it with close).
JNIEXPORT jint JNICALL Java_io_kopnative_NativeBridge_nativePartitionLeft(
    JNIEnv* env, jclass, jlong broker, jbyteArray topic, jint partition) {
  return OnBroker("nativePartitionLeft", broker, [&](kop::core::Broker& core) {
    if (topic == nullptr) return kErrBadHandle;
    auto name = kop::jni::BytesFromJava(env, topic, "nativePartitionLeft");
    if (!name) return kErrBadHandle;
    core.PartitionLeft(*name, partition);
    return kOk;
  });
}

// static native int nativeRunPosted(long conn)
//   -> 0, kErrBadHandle for a closed or unknown handle (nothing runs).
// On the connection's event loop, after KafkaFrameHandler.onNativePost: runs
// the tasks the core posted to this connection, in order.
JNIEXPORT jint JNICALL
Java_io_kopnative_NativeBridge_nativeRunPosted(JNIEnv*, jclass, jlong conn) {
  return OnConnection("nativeRunPosted", conn, [](ConnectionHandle& c) {
    c.RunPosted();
    return kOk;
  });
}

// static native void nativeCloseConnection(long conn)
// On the connection's event loop. Only an open handle is closed: 0, an
// unknown handle or a second close does nothing.
JNIEXPORT void JNICALL Java_io_kopnative_NativeBridge_nativeCloseConnection(
    JNIEnv* env, jclass, jlong conn) {
  kop::jni::GuardedVoid("nativeCloseConnection", [&] {
    auto* c = kop::jni::FromHandle<ConnectionHandle>(conn);
    if (c == nullptr || !kop::jni::g_live.Remove(c)) return;
    c->Release(env);
    delete c;
  });
}

}  // extern "C"
