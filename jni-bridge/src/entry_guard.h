// The guard around every JNI entry point: it resolves the handle, checks it,
// runs the call and turns any C++ exception into a logged error value, the
// same way everywhere. The boundary's rules: jni-bridge/README.md.
#ifndef KOP_JNI_BRIDGE_ENTRY_GUARD_H_
#define KOP_JNI_BRIDGE_ENTRY_GUARD_H_

#include <jni.h>

#include <utility>

#include "connection_handle.h"
#include "jni_util.h"

namespace kop::jni {

// Error codes returned to Java (NativeBridge.java has the same constants).
inline constexpr jint kOk = 0;
inline constexpr jint kErrBadHandle = -1;
inline constexpr jint kErrBadArgument = -2;
inline constexpr jint kErrCoreFailure = -3;

// Runs f() and returns its result; if it throws, logs the exception as
// `where` failing and returns `on_throw`. Nothing is thrown across JNI.
template <class R, class F>
R Guarded(const char* where, R on_throw, F&& f) {
  try {
    return std::forward<F>(f)();
  } catch (...) {
    LogCurrentException(where);
    return on_throw;
  }
}

// The same for entry points that return nothing.
template <class F>
void GuardedVoid(const char* where, F&& f) {
  Guarded(where, 0, [&] {
    std::forward<F>(f)();
    return 0;
  });
}

// An open connection handle, or nullptr for 0, a closed or an unknown one.
//
// Safe: a handle is freed only by nativeCloseConnection, which Java calls on
// the channel's event loop, the thread every connection entry point runs on;
// so a handle found live here stays valid until the entry point returns,
// though the registry's lock is released at once (an upcall made during the
// call may re-enter the bridge, and the lock is not recursive). Cheap: one
// uncontended shared lock and a hash lookup; event loops checking their own
// handles at the same time never wait for each other, only for an open or
// close in progress. That is what keeps it affordable on nativeOnFrame, the
// produce/fetch hot path.
inline ConnectionHandle* OpenConnection(jlong conn) {
  auto* c = FromHandle<ConnectionHandle>(conn);
  if (c == nullptr || !g_live.Contains(c) || c->connection() == nullptr) {
    return nullptr;
  }
  return c;
}

// A connection entry point on the channel's event loop: kErrBadHandle for a
// closed or unknown handle (nothing runs), else f(handle), kErrCoreFailure if
// it throws.
template <class F>
jint OnConnection(const char* where, jlong conn, F&& f) {
  return Guarded(where, kErrCoreFailure, [&]() -> jint {
    ConnectionHandle* c = OpenConnection(conn);
    if (c == nullptr) return kErrBadHandle;
    return f(*c);
  });
}

// A broker entry point (lifecycle, tick or ownership listener threads, never
// after nativeDestroyBroker: Java guarantees it, there is no registry):
// kErrBadHandle for a null handle, else f(core broker), kErrCoreFailure if it
// throws.
template <class F>
jint OnBroker(const char* where, jlong broker, F&& f) {
  return Guarded(where, kErrCoreFailure, [&]() -> jint {
    auto* b = FromHandle<BrokerHandle>(broker);
    if (b == nullptr || b->core == nullptr) return kErrBadHandle;
    return f(*b->core);
  });
}

}  // namespace kop::jni

#endif  // KOP_JNI_BRIDGE_ENTRY_GUARD_H_
