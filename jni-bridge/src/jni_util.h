// JNI utilities of the bridge: the JavaVM, classes and method ids cached at
// JNI_OnLoad, the calling thread's JNIEnv, exception logging, UTF-8 and
// byte-array conversion, handles and the registry of live ones.
// The boundary's rules: jni-bridge/README.md.
#ifndef KOP_JNI_BRIDGE_JNI_UTIL_H_
#define KOP_JNI_BRIDGE_JNI_UTIL_H_

#include <jni.h>

#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace kop::jni {

inline constexpr jint kJniVersion = JNI_VERSION_1_8;

// Cached at JNI_OnLoad; valid until JNI_OnUnload. The method ids are
// KafkaFrameHandler's upcalls (signatures in JNI_OnLoad).
struct JavaRefs {
  JavaVM* vm = nullptr;
  jclass bridge_class = nullptr;          // global ref
  jclass byte_array_class = nullptr;      // global ref to byte[]
  jmethodID log = nullptr;                // static void log(int, byte[])
  jmethodID send = nullptr;               // onNativeSend
  jmethodID close = nullptr;              // onNativeClose
  jmethodID lookup = nullptr;             // onNativeLookupTopics
  jmethodID list = nullptr;               // onNativeListTopics
  jmethodID owners = nullptr;             // onNativeLookupOffsetsOwners
  jmethodID append = nullptr;             // onNativeAppend
  jmethodID read = nullptr;               // onNativeRead
  jmethodID admin = nullptr;              // onNativeTopicAdmin
  jmethodID post = nullptr;               // onNativePost
  jmethodID subscription = nullptr;       // onNativeSubscription
  jmethodID authenticate = nullptr;       // onNativeAuthenticate
  jmethodID close_failed_auth = nullptr;  // onNativeCloseFailedAuth
  jmethodID authorize = nullptr;          // onNativeAuthorize
  jmethodID list_namespace = nullptr;     // onNativeListNamespace
  jmethodID permissions = nullptr;        // onNativePermissions
  jmethodID scram_fetch = nullptr;        // onNativeScramFetch
  jmethodID scram_store = nullptr;        // onNativeScramStore
  jmethodID scram_list = nullptr;         // onNativeScramList
  jmethodID super_user = nullptr;         // onNativeIsSuperUser
};
extern JavaRefs g_java;

// The core's log lines below this level are dropped before crossing JNI
// (nativeSetLogLevel: 0 debug .. 3 error).
void SetMinLogLevel(int level);

// The calling thread's JNIEnv, or nullptr if it is not attached.
JNIEnv* CurrentEnv();

// The JNIEnv of the calling thread for the scope of one call from a thread that
// may not be the event loop (ResponseSink::Post). Every such thread is a JVM
// thread today; one that is not is attached for the call and detached after.
class ScopedEnv {
 public:
  ScopedEnv();
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

  JNIEnv* env() const { return env_; }

 private:
  JNIEnv* env_ = nullptr;
  bool attached_ = false;
};

// Logs a pending Java exception (raised by an upcall) and clears it, so it
// never propagates into the caller of a native method. False if none.
bool ClearPendingException(JNIEnv* env, const char* where);

// Logs the C++ exception being handled (call only inside a catch block).
void LogCurrentException(const char* where);

// UTF-16 from Java to UTF-8 (standard, not JNI's modified UTF-8: NUL stays
// one byte, supplementary characters are 4 bytes; a lone surrogate becomes
// U+FFFD).
std::string Utf8FromJava(JNIEnv* env, jstring s);

// Utf8FromJava of a string of at most `max_chars` UTF-16 units; nullopt,
// with nothing copied, for a longer one. Null: "".
std::optional<std::string> BoundedUtf8FromJava(JNIEnv* env, jstring s,
                                               jsize max_chars);

// JNI's modified UTF-8 of `s` ("" for null): for configuration strings only.
std::string JavaString(JNIEnv* env, jstring s);

// The bytes of a non-null byte[]; nullopt (logged, cleared) if Java threw.
std::optional<std::string> BytesFromJava(JNIEnv* env, jbyteArray array,
                                         const char* where);

// BytesFromJava of an array of at most `max_bytes`; nullopt (logged, with
// nothing copied) for a longer one.
std::optional<std::string> BoundedBytesFromJava(JNIEnv* env, jbyteArray array,
                                                jsize max_bytes,
                                                const char* where);

// A new byte[] holding `bytes`, or nullptr (with a pending exception, unless
// `bytes` is too long for a Java array).
jbyteArray NewBytes(JNIEnv* env, std::string_view bytes);

// byte[][] of the names' bytes (topic names come from the wire: they go up
// as bytes, Java decodes them strictly), or nullptr.
jobjectArray NewNameArray(JNIEnv* env, const std::vector<std::string>& names);

// A new int[] holding `values`, or nullptr (with a pending exception, or
// more than INT32_MAX values).
jintArray NewIntArray(JNIEnv* env, const std::vector<int32_t>& values);

template <typename T>
T* FromHandle(jlong handle) {
  return reinterpret_cast<T*>(static_cast<uintptr_t>(handle));
}

template <typename T>
jlong ToHandle(T* ptr) {
  return static_cast<jlong>(reinterpret_cast<uintptr_t>(ptr));
}

// The open connection handles, shared by all event loops. Reads take a shared
// lock: every event loop checks its handles on each frame (see entry_guard.h),
// and readers never wait for each other; only open and close write.
class LiveHandles {
 public:
  void Add(const void* handle);
  // False if `handle` was not live.
  bool Remove(const void* handle);
  bool Contains(const void* handle) const;
  // Runs f() if `handle` is live, holding the registry's shared lock so that
  // the handle cannot be closed meanwhile; false if it is not live. f must not
  // re-enter the bridge.
  template <class F>
  bool WhileLive(const void* handle, F&& f) const {
    std::shared_lock lock(mu_);
    if (live_.count(handle) == 0) return false;
    f();
    return true;
  }

 private:
  mutable std::shared_mutex mu_;
  std::unordered_set<const void*> live_;
};
// Never destroyed: an entry point may still run while the library unloads.
extern LiveHandles& g_live;

}  // namespace kop::jni

#endif  // KOP_JNI_BRIDGE_JNI_UTIL_H_
