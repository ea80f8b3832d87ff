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
//   (open, frames, close); the broker handle from the protocol handler's
//   lifecycle calls. Upcalls happen on the calling thread, which is always a
//   JVM thread, so no AttachCurrentThread is needed.
// - Lifetime: every connection holds a shared reference to its broker, so
//   nativeDestroyBroker while connections are still open is safe; the core
//   broker goes away with its last connection.
#include <jni.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>

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
jclass g_bridge_class = nullptr;       // global ref
jmethodID g_log_method = nullptr;      // static void log(int, byte[])
jmethodID g_send_method = nullptr;     // void onNativeSend(long, int)
jmethodID g_close_method = nullptr;    // void onNativeClose()
std::atomic<int> g_min_log_level{static_cast<int>(LogLevel::kInfo)};

JNIEnv* CurrentEnv() {
  if (g_vm == nullptr) return nullptr;
  void* env = nullptr;
  if (g_vm->GetEnv(&env, kJniVersion) != JNI_OK) return nullptr;
  return static_cast<JNIEnv*>(env);
}

void StderrLog(LogLevel level, std::string_view message) {
  std::fprintf(stderr, "kop-native[%d] %.*s\n", static_cast<int>(level),
               static_cast<int>(message.size()), message.data());
}

// Logs a pending Java exception (raised by an upcall) and clears it, so it
// never propagates into the caller of a native method.
bool ClearPendingException(JNIEnv* env, const char* where);

// The core's log sink: one upcall to NativeBridge.log(level, utf8Bytes). The
// message goes as bytes, not NewStringUTF, because JNI's "modified UTF-8"
// would mis-handle NUL and supplementary characters from the wire.
void JavaLogSink(LogLevel level, std::string_view message) {
  if (static_cast<int>(level) < g_min_log_level.load(std::memory_order_relaxed)) {
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
  kop::core::Log(LogLevel::kError, std::string("Java exception in ") + where + ": " + what);
  return true;
}

struct BrokerHandle {
  std::shared_ptr<kop::core::Broker> core;
};

// One Kafka connection: the ResponseSink the core writes to, bound to the
// Java KafkaFrameHandler that owns the channel.
class ConnectionHandle final : public kop::core::ResponseSink {
 public:
  ConnectionHandle(std::shared_ptr<kop::core::Broker> broker, jobject handler)
      : broker_(std::move(broker)), handler_(handler) {}

  // Called with the JNIEnv of the channel's event loop.
  void Release(JNIEnv* env) {
    conn_.reset();  // the core connection goes before its sink
    if (handler_ != nullptr) {
      env->DeleteGlobalRef(handler_);
      handler_ = nullptr;
    }
  }

  void Attach(std::unique_ptr<kop::core::Connection> conn) {
    conn_ = std::move(conn);
  }
  kop::core::Connection* connection() { return conn_.get(); }

  void Send(std::span<const uint8_t> frame) override {
    JNIEnv* env = CurrentEnv();
    if (env == nullptr || handler_ == nullptr) {
      kop::core::Log(LogLevel::kError, "response dropped: no JNI environment or handler");
      return;
    }
    // Java copies [address, address+length) before returning.
    env->CallVoidMethod(handler_, g_send_method,
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

 private:
  std::shared_ptr<kop::core::Broker> broker_;  // keeps the core alive
  jobject handler_;                            // global ref
  std::unique_ptr<kop::core::Connection> conn_;
};

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
    kop::core::Log(LogLevel::kError, std::string(where) + " failed: " + e.what());
  } catch (...) {
    kop::core::Log(LogLevel::kError, std::string(where) + " failed: unknown C++ exception");
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
  env->DeleteLocalRef(handler);
  if (g_send_method == nullptr || g_close_method == nullptr) return JNI_ERR;
  kop::core::SetLogSink(JavaLogSink);
  return kJniVersion;
}

JNIEXPORT void JNICALL JNI_OnUnload(JavaVM* vm, void*) {
  kop::core::SetLogSink(nullptr);
  void* env = nullptr;
  if (vm->GetEnv(&env, kJniVersion) == JNI_OK && g_bridge_class != nullptr) {
    static_cast<JNIEnv*>(env)->DeleteGlobalRef(g_bridge_class);
  }
  g_bridge_class = nullptr;
  g_log_method = g_send_method = g_close_method = nullptr;
  g_vm = nullptr;
}

// static native String nativeVersion()
JNIEXPORT jstring JNICALL Java_io_kopnative_NativeBridge_nativeVersion(JNIEnv* env,
                                                                      jclass) {
  return env->NewStringUTF(kBridgeVersion);
}

// static native void nativeSetLogLevel(int minLevel)  (0 debug .. 3 error)
JNIEXPORT void JNICALL Java_io_kopnative_NativeBridge_nativeSetLogLevel(JNIEnv*, jclass,
                                                                       jint level) {
  g_min_log_level.store(level, std::memory_order_relaxed);
}

// static native long nativeCreateBroker(String[] keysAndValues)  -> 0 on error
JNIEXPORT jlong JNICALL Java_io_kopnative_NativeBridge_nativeCreateBroker(
    JNIEnv* env, jclass, jobjectArray keys_and_values) {
  try {
    if (keys_and_values == nullptr) {
      kop::core::Log(LogLevel::kError, "nativeCreateBroker: null configuration");
      return 0;
    }
    const jsize n = env->GetArrayLength(keys_and_values);
    if (n % 2 != 0) {
      kop::core::Log(LogLevel::kError, "nativeCreateBroker: odd number of key/value strings");
      return 0;
    }
    kop::core::Config config;
    for (jsize i = 0; i < n; i += 2) {
      auto k = static_cast<jstring>(env->GetObjectArrayElement(keys_and_values, i));
      auto v = static_cast<jstring>(env->GetObjectArrayElement(keys_and_values, i + 1));
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
      kop::core::Log(LogLevel::kError, "nativeCreateBroker: the core refused the configuration");
      return 0;
    }
    auto* handle = new BrokerHandle{std::shared_ptr<kop::core::Broker>(std::move(core))};
    return ToHandle(handle);
  } catch (...) {
    LogCurrentException("nativeCreateBroker");
    return 0;
  }
}

// static native void nativeDestroyBroker(long broker)
JNIEXPORT void JNICALL Java_io_kopnative_NativeBridge_nativeDestroyBroker(JNIEnv*, jclass,
                                                                         jlong broker) {
  try {
    delete FromHandle<BrokerHandle>(broker);
  } catch (...) {
    LogCurrentException("nativeDestroyBroker");
  }
}

// static native long nativeOpenConnection(long broker, KafkaFrameHandler handler)
//   -> 0 on error
JNIEXPORT jlong JNICALL Java_io_kopnative_NativeBridge_nativeOpenConnection(
    JNIEnv* env, jclass, jlong broker, jobject handler) {
  try {
    auto* b = FromHandle<BrokerHandle>(broker);
    if (b == nullptr || handler == nullptr) {
      kop::core::Log(LogLevel::kError, "nativeOpenConnection: null broker or handler");
      return 0;
    }
    jobject ref = env->NewGlobalRef(handler);
    if (ref == nullptr) {
      ClearPendingException(env, "nativeOpenConnection");
      return 0;
    }
    auto conn = std::make_unique<ConnectionHandle>(b->core, ref);
    std::unique_ptr<kop::core::Connection> core_conn;
    try {
      core_conn = b->core->Accept(conn.get());
    } catch (...) {
      conn->Release(env);
      throw;
    }
    if (core_conn == nullptr) {
      conn->Release(env);
      kop::core::Log(LogLevel::kError, "nativeOpenConnection: the core refused the connection");
      return 0;
    }
    conn->Attach(std::move(core_conn));
    return ToHandle(conn.release());
  } catch (...) {
    LogCurrentException("nativeOpenConnection");
    return 0;
  }
}

// static native int nativeOnFrame(long conn, long address, int length)
//   -> 0, or a negative error code (Java closes the connection).
JNIEXPORT jint JNICALL Java_io_kopnative_NativeBridge_nativeOnFrame(JNIEnv*, jclass,
                                                                   jlong conn,
                                                                   jlong address,
                                                                   jint length) {
  try {
    auto* c = FromHandle<ConnectionHandle>(conn);
    if (c == nullptr || c->connection() == nullptr) return kErrBadHandle;
    if (length < 0 || (length > 0 && address == 0)) return kErrBadArgument;
    const auto* data = length == 0 ? nullptr
                                   : reinterpret_cast<const uint8_t*>(
                                         static_cast<uintptr_t>(address));
    c->connection()->OnFrame(
        std::span<const uint8_t>(data, static_cast<size_t>(length)));
    return kOk;
  } catch (...) {
    LogCurrentException("nativeOnFrame");
    return kErrCoreFailure;
  }
}

// static native void nativeCloseConnection(long conn)
JNIEXPORT void JNICALL Java_io_kopnative_NativeBridge_nativeCloseConnection(JNIEnv* env,
                                                                           jclass,
                                                                           jlong conn) {
  try {
    auto* c = FromHandle<ConnectionHandle>(conn);
    if (c == nullptr) return;
    c->Release(env);
    delete c;
  } catch (...) {
    LogCurrentException("nativeCloseConnection");
  }
}

}  // extern "C"
