// Test-only JNI entry points (nativeDebug*): they let the Java tests drive
// ResponseSink::Post across threads and the subscription port directly,
// without a consumer group to make the core do it. Production code never
// calls them. The boundary's rules: jni-bridge/README.md.
#include <jni.h>

#include <cstdint>
#include <optional>
#include <string>

#include "connection_handle.h"
#include "entry_guard.h"
#include "jni_util.h"
#include "kop/protocol/errors.h"

namespace {

using kop::jni::ConnectionHandle;
using kop::jni::kErrBadArgument;
using kop::jni::kErrBadHandle;
using kop::jni::kOk;

// Sends the 8-byte frame [length 4][value, big-endian] on `c`.
void SendInt32Frame(ConnectionHandle& c, uint32_t value) {
  const uint8_t frame[8] = {0,
                            0,
                            0,
                            4,
                            static_cast<uint8_t>(value >> 24),
                            static_cast<uint8_t>(value >> 16),
                            static_cast<uint8_t>(value >> 8),
                            static_cast<uint8_t>(value)};
  c.Send(frame);
}

}  // namespace

extern "C" {

// static native int nativeDebugPost(long conn, int value)
//   -> 0, kErrBadHandle for a closed or unknown handle.
// From any thread: posts a task that sends the 8-byte frame [length 4][value]
// on the connection, as the group coordinator posts its answers, so Java
// tests can drive ResponseSink::Post across threads. Unlike the event-loop
// entry points, this one holds the live-handle registry's lock across the
// Post, so the handle cannot be closed meanwhile on its event loop.
JNIEXPORT jint JNICALL Java_io_kopnative_NativeBridge_nativeDebugPost(
    JNIEnv*, jclass, jlong conn, jint value) {
  return kop::jni::Guarded("nativeDebugPost", kop::jni::kErrCoreFailure, [&] {
    auto* c = kop::jni::FromHandle<ConnectionHandle>(conn);
    const bool live = c != nullptr && kop::jni::g_live.WhileLive(c, [&] {
      c->Post([c, value] { SendInt32Frame(*c, static_cast<uint32_t>(value)); });
    });
    return live ? kOk : kErrBadHandle;
  });
}

// static native int nativeDebugSubscription(long conn, int op, byte[] topic,
//     int partition, byte[] name, long offset)
//   -> 0, kErrBadHandle for a closed or unknown handle, kErrBadArgument if the
//   connection does not support subscriptions (kafkaGroupSubscriptionMirror
//   is false) or `op` is unknown.
// On the connection's event loop: calls LogPort::CommitSubscription (op 0) or
// DeleteSubscription (op 1) as the group coordinator does, so Java tests can
// drive the subscription port without a group; the completion sends the
// frame [length 4][error code as int16, sign not extended].
JNIEXPORT jint JNICALL Java_io_kopnative_NativeBridge_nativeDebugSubscription(
    JNIEnv* env, jclass, jlong conn, jint op, jbyteArray topic, jint partition,
    jbyteArray name, jlong offset) {
  return kop::jni::OnConnection(
      "nativeDebugSubscription", conn, [&](ConnectionHandle& c) {
        if (!c.SupportsSubscriptions() || topic == nullptr || name == nullptr ||
            (op != kop::jni::kSubscriptionCommit &&
             op != kop::jni::kSubscriptionDelete)) {
          return kErrBadArgument;
        }
        const char* where = "nativeDebugSubscription";
        const auto t = kop::jni::BytesFromJava(env, topic, where);
        const auto n =
            t ? kop::jni::BytesFromJava(env, name, where) : std::nullopt;
        if (!n) return kErrBadArgument;
        auto done = [conn = &c](kop::core::ErrorCode code) {
          SendInt32Frame(*conn,
                         static_cast<uint16_t>(kop::protocol::Code(code)));
        };
        if (op == kop::jni::kSubscriptionCommit) {
          c.CommitSubscription(*t, partition, *n, offset, done);
        } else {
          c.DeleteSubscription(*t, partition, *n, done);
        }
        return kOk;
      });
}

}  // extern "C"
