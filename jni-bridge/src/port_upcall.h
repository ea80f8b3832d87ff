// PortUpcall: the one shape of every port call that Java answers later
// (Lookup, ListAll, topic administration, Append, Read, subscriptions).
// The scheme and the table of calls: jni-bridge/README.md ("Port calls").
#ifndef KOP_JNI_BRIDGE_PORT_UPCALL_H_
#define KOP_JNI_BRIDGE_PORT_UPCALL_H_

#include <jni.h>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "jni_util.h"
#include "kop/core/log.h"
#include "pending_calls.h"

namespace kop::jni {

// Why a port call failed before Java took it; a port's failure may depend on
// it (topic administration answers with a message saying why).
enum class UpcallFailure { kNoEnvironment, kArguments, kThrew };

// How a port call shows in log lines.
struct PortCallSite {
  const char* what;         // "append": "append failed: ..."
  const char* arguments;    // what may not pass to Java: "topic name"
  const char* java_method;  // "KafkaFrameHandler.onNativeAppend"
};

// A byte count that crosses as a Java int (refused above INT32_MAX).
struct JavaLength {
  size_t value;
};

// Memory that crosses as its address (a Java long); Java copies it during
// the upcall.
inline int64_t AddressOf(const void* p) {
  return static_cast<int64_t>(reinterpret_cast<uintptr_t>(p));
}

// The local references made for one upcall's arguments, deleted after it.
class LocalRefs {
 public:
  static constexpr size_t kCapacity = 7;
  explicit LocalRefs(JNIEnv* env) : env_(env) {}
  ~LocalRefs() {
    for (size_t i = 0; i < size_; ++i) env_->DeleteLocalRef(refs_[i]);
  }
  LocalRefs(const LocalRefs&) = delete;
  LocalRefs& operator=(const LocalRefs&) = delete;

  // Keeps `ref` for deletion; false if it is null (not made).
  bool Keep(jobject ref, jvalue& out) {
    out.l = ref;
    if (ref == nullptr) return false;
    refs_[size_++] = ref;
    return true;
  }

 private:
  JNIEnv* env_;
  jobject refs_[kCapacity] = {};
  size_t size_ = 0;
};

// One argument of a port upcall as a jvalue; false if it cannot pass.
inline bool ToJavaArg(JNIEnv*, LocalRefs&, int32_t v, jvalue& out) {
  out.i = static_cast<jint>(v);
  return true;
}
inline bool ToJavaArg(JNIEnv*, LocalRefs&, int64_t v, jvalue& out) {
  out.j = static_cast<jlong>(v);
  return true;
}
inline bool ToJavaArg(JNIEnv*, LocalRefs&, bool v, jvalue& out) {
  out.z = v ? JNI_TRUE : JNI_FALSE;
  return true;
}
inline bool ToJavaArg(JNIEnv*, LocalRefs&, JavaLength v, jvalue& out) {
  out.i = static_cast<jint>(v.value);
  return v.value <= static_cast<size_t>(INT32_MAX);
}
// Partition numbers go up as an int[].
inline bool ToJavaArg(JNIEnv* env, LocalRefs& refs,
                      const std::vector<int32_t>& v, jvalue& out) {
  return refs.Keep(NewIntArray(env, v), out);
}
// Names from the wire go up as bytes (Java decodes them strictly).
inline bool ToJavaArg(JNIEnv* env, LocalRefs& refs, std::string_view v,
                      jvalue& out) {
  return refs.Keep(NewBytes(env, v), out);
}
inline bool ToJavaArg(JNIEnv* env, LocalRefs& refs,
                      const std::vector<std::string>& v, jvalue& out) {
  return refs.Keep(NewNameArray(env, v), out);
}

// Makes the port call `site`: stores `done` in `calls` under a fresh request
// id and calls `method` on `handler` with (id, args...), one JNI upcall. If
// that cannot be done, or the upcall throws, `fail(done, why)` answers the
// call at once (the Java exception is logged and cleared). `args` may refer
// into `done`: it is moved into `calls` only after they are converted.
template <class Done, class Fail, class... Args>
void PortUpcall(jobject handler, jmethodID method, const PortCallSite& site,
                PendingCalls<Done>& calls, std::type_identity_t<Done>&& done,
                Fail&& fail, const Args&... args) {
  static_assert(sizeof...(Args) <= LocalRefs::kCapacity);
  JNIEnv* env = CurrentEnv();
  if (env == nullptr || handler == nullptr || method == nullptr) {
    kop::core::Log(
        kop::core::LogLevel::kError,
        std::string(site.what) + " failed: no JNI environment or handler");
    fail(done, UpcallFailure::kNoEnvironment);
    return;
  }
  uint64_t id = 0;
  {
    LocalRefs refs(env);
    jvalue values[1 + sizeof...(Args)];
    [[maybe_unused]] size_t next = 1;
    if (!(ToJavaArg(env, refs, args, values[next++]) && ...)) {
      ClearPendingException(
          env, (std::string(site.what) + " (" + site.arguments + ")").c_str());
      kop::core::Log(kop::core::LogLevel::kError,
                     std::string(site.what) + " failed: cannot pass the " +
                         site.arguments + " to Java");
      fail(done, UpcallFailure::kArguments);
      return;
    }
    id = calls.Add(std::move(done));
    values[0].j = static_cast<jlong>(id);
    env->CallVoidMethodA(handler, method, values);
  }  // the arguments' local references go here
  if (ClearPendingException(env, site.java_method)) {
    if (auto taken = calls.Take(id)) fail(*taken, UpcallFailure::kThrew);
  }
}

}  // namespace kop::jni

#endif  // KOP_JNI_BRIDGE_PORT_UPCALL_H_
