// JNI utilities of the bridge (see jni_util.h), the Java log sink, and
// JNI_OnLoad/JNI_OnUnload, which cache and drop the classes and method ids.
// The boundary's rules: jni-bridge/README.md.
#include "jni_util.h"

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdio>
#include <exception>
#include <mutex>

#include "kop/core/log.h"

namespace kop::jni {

using kop::core::LogLevel;

JavaRefs g_java;
LiveHandles& g_live = *new LiveHandles();

namespace {

constexpr const char* kBridgeClass = "io/kopnative/NativeBridge";
constexpr const char* kHandlerClass = "io/kopnative/KafkaFrameHandler";

std::atomic<int> g_min_log_level{static_cast<int>(LogLevel::kInfo)};

void StderrLog(LogLevel level, std::string_view message) {
  std::fprintf(stderr, "kop-native[%d] %.*s\n", static_cast<int>(level),
               static_cast<int>(message.size()), message.data());
}

// The core's log sink: one upcall to NativeBridge.log(level, utf8Bytes). The
// message goes as bytes, not NewStringUTF, because JNI's "modified UTF-8"
// would mis-handle NUL and supplementary characters from the wire.
void JavaLogSink(LogLevel level, std::string_view message) {
  if (static_cast<int>(level) <
      g_min_log_level.load(std::memory_order_relaxed)) {
    return;
  }
  JNIEnv* env = CurrentEnv();
  if (env == nullptr || g_java.log == nullptr || env->ExceptionCheck()) {
    StderrLog(level, message);
    return;
  }
  jbyteArray bytes =
      NewBytes(env, message.substr(0, 64 * 1024));  // keep log lines sane
  if (bytes == nullptr) {
    env->ExceptionClear();
    StderrLog(level, message);
    return;
  }
  env->CallStaticVoidMethod(g_java.bridge_class, g_java.log,
                            static_cast<jint>(level), bytes);
  env->DeleteLocalRef(bytes);
  if (env->ExceptionCheck()) {
    env->ExceptionClear();
    StderrLog(level, message);
  }
}

// A global reference to class `name`, or nullptr.
jclass GlobalClass(JNIEnv* env, const char* name) {
  jclass local = env->FindClass(name);
  if (local == nullptr) return nullptr;
  auto global = static_cast<jclass>(env->NewGlobalRef(local));
  env->DeleteLocalRef(local);
  return global;
}

}  // namespace

void SetMinLogLevel(int level) {
  g_min_log_level.store(level, std::memory_order_relaxed);
}

JNIEnv* CurrentEnv() {
  if (g_java.vm == nullptr) return nullptr;
  void* env = nullptr;
  if (g_java.vm->GetEnv(&env, kJniVersion) != JNI_OK) return nullptr;
  return static_cast<JNIEnv*>(env);
}

ScopedEnv::ScopedEnv() {
  JavaVM* vm = g_java.vm;
  if (vm == nullptr) return;
  void* env = nullptr;
  const jint rc = vm->GetEnv(&env, kJniVersion);
  if (rc == JNI_OK) {
    env_ = static_cast<JNIEnv*>(env);
  } else if (rc == JNI_EDETACHED) {
    JavaVMAttachArgs args{kJniVersion, const_cast<char*>("kop-native-post"),
                          nullptr};
    if (vm->AttachCurrentThreadAsDaemon(&env, &args) == JNI_OK) {
      env_ = static_cast<JNIEnv*>(env);
      attached_ = true;
    }
  }
}

ScopedEnv::~ScopedEnv() {
  if (attached_) g_java.vm->DetachCurrentThread();
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

std::optional<std::string> BytesFromJava(JNIEnv* env, jbyteArray array,
                                         const char* where) {
  std::string out(static_cast<size_t>(env->GetArrayLength(array)), '\0');
  if (!out.empty()) {
    env->GetByteArrayRegion(array, 0, static_cast<jsize>(out.size()),
                            reinterpret_cast<jbyte*>(out.data()));
  }
  if (ClearPendingException(env, where)) return std::nullopt;
  return out;
}

std::optional<std::string> BoundedUtf8FromJava(JNIEnv* env, jstring s,
                                               jsize max_chars) {
  if (s != nullptr && env->GetStringLength(s) > max_chars) return std::nullopt;
  return Utf8FromJava(env, s);
}

std::optional<std::string> BoundedBytesFromJava(JNIEnv* env, jbyteArray array,
                                                jsize max_bytes,
                                                const char* where) {
  const jsize n = env->GetArrayLength(array);
  if (n > max_bytes) {
    kop::core::Log(kop::core::LogLevel::kError,
                   std::string(where) + ": " + std::to_string(n) +
                       " bytes, more than " + std::to_string(max_bytes));
    return std::nullopt;
  }
  return BytesFromJava(env, array, where);
}

jbyteArray NewBytes(JNIEnv* env, std::string_view bytes) {
  if (bytes.size() > static_cast<size_t>(INT32_MAX)) return nullptr;
  jbyteArray array = env->NewByteArray(static_cast<jsize>(bytes.size()));
  if (array == nullptr) return nullptr;
  env->SetByteArrayRegion(array, 0, static_cast<jsize>(bytes.size()),
                          reinterpret_cast<const jbyte*>(bytes.data()));
  return array;
}

jobjectArray NewNameArray(JNIEnv* env, const std::vector<std::string>& names) {
  if (names.size() > static_cast<size_t>(INT32_MAX)) return nullptr;
  jobjectArray array = env->NewObjectArray(static_cast<jsize>(names.size()),
                                           g_java.byte_array_class, nullptr);
  if (array == nullptr) return nullptr;
  for (size_t i = 0; i < names.size(); ++i) {
    jbyteArray b = NewBytes(env, names[i]);
    if (b == nullptr) {
      env->DeleteLocalRef(array);
      return nullptr;
    }
    env->SetObjectArrayElement(array, static_cast<jsize>(i), b);
    env->DeleteLocalRef(b);
    if (env->ExceptionCheck()) {
      env->DeleteLocalRef(array);
      return nullptr;
    }
  }
  return array;
}

jintArray NewIntArray(JNIEnv* env, const std::vector<int32_t>& values) {
  if (values.size() > static_cast<size_t>(INT32_MAX)) return nullptr;
  const auto n = static_cast<jsize>(values.size());
  jintArray array = env->NewIntArray(n);
  if (array == nullptr) return nullptr;
  static_assert(sizeof(jint) == sizeof(int32_t));
  env->SetIntArrayRegion(array, 0, n,
                         reinterpret_cast<const jint*>(values.data()));
  return array;
}

void LiveHandles::Add(const void* handle) {
  std::unique_lock lock(mu_);
  live_.insert(handle);
}

bool LiveHandles::Remove(const void* handle) {
  std::unique_lock lock(mu_);
  return live_.erase(handle) != 0;
}

bool LiveHandles::Contains(const void* handle) const {
  std::shared_lock lock(mu_);
  return live_.count(handle) != 0;
}

}  // namespace kop::jni

using kop::jni::g_java;
using kop::jni::GlobalClass;
using kop::jni::kBridgeClass;
using kop::jni::kHandlerClass;
using kop::jni::kJniVersion;

extern "C" {

JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM* vm, void*) {
  g_java.vm = vm;
  JNIEnv* env = kop::jni::CurrentEnv();
  if (env == nullptr) return JNI_ERR;
  // FindClass here resolves through the loader that loaded this library
  // (the NAR's class loader), which is why it is done once, here.
  g_java.bridge_class = GlobalClass(env, kBridgeClass);
  if (g_java.bridge_class == nullptr) return JNI_ERR;
  g_java.log = env->GetStaticMethodID(g_java.bridge_class, "log", "(I[B)V");
  if (g_java.log == nullptr) return JNI_ERR;
  jclass handler = env->FindClass(kHandlerClass);
  if (handler == nullptr) return JNI_ERR;
  const struct {
    jmethodID* id;
    const char* name;
    const char* signature;
  } upcalls[] = {
      {&g_java.send, "onNativeSend", "(JI)V"},
      {&g_java.close, "onNativeClose", "()V"},
      {&g_java.lookup, "onNativeLookupTopics", "(J[[BZ)V"},
      {&g_java.list, "onNativeListTopics", "(J)V"},
      {&g_java.owners, "onNativeLookupOffsetsOwners", "(J[B[I)V"},
      {&g_java.append, "onNativeAppend", "(J[BIJIIJI)V"},
      {&g_java.read, "onNativeRead", "(J[BIJII)V"},
      {&g_java.admin, "onNativeTopicAdmin", "(JI[BI)V"},
      {&g_java.post, "onNativePost", "()V"},
      {&g_java.subscription, "onNativeSubscription", "(JI[BI[BJ)V"},
      {&g_java.authenticate, "onNativeAuthenticate", "(J[B[B)V"},
      {&g_java.close_failed_auth, "onNativeCloseFailedAuth", "()V"},
      {&g_java.authorize, "onNativeAuthorize", "(J[B[BI[B)V"},
      {&g_java.list_namespace, "onNativeListNamespace", "(J[B)V"},
      {&g_java.permissions, "onNativePermissions", "(JI[B[BI[B[BI)V"},
      {&g_java.scram_fetch, "onNativeScramFetch", "(J[B[B)V"},
      {&g_java.scram_store, "onNativeScramStore", "(J[B[B[B[B[BI)V"},
      {&g_java.scram_list, "onNativeScramList", "(J)V"},
      {&g_java.super_user, "onNativeIsSuperUser", "(J[B)V"},
  };
  bool found = true;
  for (const auto& u : upcalls) {
    *u.id = env->GetMethodID(handler, u.name, u.signature);
    if (*u.id == nullptr) {
      found = false;
      break;
    }
  }
  env->DeleteLocalRef(handler);
  if (!found) return JNI_ERR;
  g_java.byte_array_class = GlobalClass(env, "[B");
  if (g_java.byte_array_class == nullptr) return JNI_ERR;
  kop::core::SetLogSink(kop::jni::JavaLogSink);
  return kJniVersion;
}

JNIEXPORT void JNICALL JNI_OnUnload(JavaVM* vm, void*) {
  kop::core::SetLogSink(nullptr);
  void* env = nullptr;
  if (vm->GetEnv(&env, kJniVersion) == JNI_OK) {
    for (jclass cls : {g_java.bridge_class, g_java.byte_array_class}) {
      if (cls != nullptr) static_cast<JNIEnv*>(env)->DeleteGlobalRef(cls);
    }
  }
  g_java = {};
}

}  // extern "C"
