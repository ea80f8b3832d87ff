// The SecurityPort's SCRAM credential calls and superuser check
// (ConnectionHandle), and their completions (NativeBridge.nativeOnScram*,
// nativeOnSuperUser). Java keeps the credentials in Pulsar's metadata store
// (ScramCredentialStore); only salts, iterations and keys cross, never a
// password. The scheme: jni-bridge/README.md ("Port calls").
#include <jni.h>

#include <optional>
#include <string>
#include <vector>

#include "connection_handle.h"
#include "entry_guard.h"
#include "jni_util.h"
#include "kop/core/log.h"
#include "port_upcall.h"

namespace kop::jni {
namespace {

using kop::core::ErrorCode;
using kop::core::ScramCredential;
using kop::core::ScramCredentialInfo;

constexpr PortCallSite kFetchSite{"SCRAM credential fetch", "names",
                                  "KafkaFrameHandler.onNativeScramFetch"};
constexpr PortCallSite kStoreSite{"SCRAM credential store",
                                  "names or credential",
                                  "KafkaFrameHandler.onNativeScramStore"};
constexpr PortCallSite kListSite{"SCRAM credential listing", "nothing",
                                 "KafkaFrameHandler.onNativeScramList"};
constexpr PortCallSite kSuperUserSite{"superuser check", "role",
                                      "KafkaFrameHandler.onNativeIsSuperUser"};

void FailFetch(ConnectionHandle::ScramFetchDone& done, UpcallFailure) {
  done(ErrorCode::UNKNOWN_SERVER_ERROR, std::nullopt);
}
void FailStore(ConnectionHandle::ScramStoreDone& done, UpcallFailure) {
  done(ErrorCode::UNKNOWN_SERVER_ERROR,
       "the broker could not reach its metadata store");
}
void FailList(ConnectionHandle::ScramListDone& done, UpcallFailure) {
  done(ErrorCode::UNKNOWN_SERVER_ERROR, {});
}
void FailSuperUser(ConnectionHandle::AuthorizeDone& done, UpcallFailure) {
  done(ErrorCode::UNKNOWN_SERVER_ERROR);
}

}  // namespace

// At most this many credentials in one listing.
inline constexpr jsize kMaxListed = 100000;
// A listed user name, and a store's message: Kafka's STRING (int16 length).
inline constexpr jsize kMaxScramTextBytes = 32767;

// One of a fetched credential's byte arrays, if at most `max` bytes.
inline std::optional<std::string> CredentialBytes(JNIEnv* env, jbyteArray a,
                                                  size_t max) {
  if (a == nullptr) return std::nullopt;
  return BoundedBytesFromJava(env, a, static_cast<jsize>(max),
                              "nativeOnScramFetched");
}

// Kafka's ScramMechanism numbers, as the listing crosses them.
inline const char* MechanismName(jint type) {
  if (type == 1) return "SCRAM-SHA-256";
  if (type == 2) return "SCRAM-SHA-512";
  return nullptr;
}

void ConnectionHandle::FetchScramCredential(std::string mechanism,
                                            std::string user,
                                            ScramFetchDone done) {
  PortUpcall(handler_, g_java.scram_fetch, kFetchSite, scram_fetches_,
             std::move(done), FailFetch, std::string_view(mechanism),
             std::string_view(user));
}

// Iterations 0 asks Java to delete.
void ConnectionHandle::StoreScramCredential(
    std::string mechanism, std::string user,
    std::optional<ScramCredential> credential, ScramStoreDone done) {
  const ScramCredential c = credential.value_or(ScramCredential{});
  PortUpcall(handler_, g_java.scram_store, kStoreSite, scram_stores_,
             std::move(done), FailStore, std::string_view(mechanism),
             std::string_view(user), std::string_view(c.salt),
             std::string_view(c.stored_key), std::string_view(c.server_key),
             credential ? c.iterations : int32_t{0});
}

void ConnectionHandle::ListScramCredentials(ScramListDone done) {
  PortUpcall(handler_, g_java.scram_list, kListSite, scram_lists_,
             std::move(done), FailList);
}

void ConnectionHandle::IsSuperUser(std::string role, AuthorizeDone done) {
  PortUpcall(handler_, g_java.super_user, kSuperUserSite, super_users_,
             std::move(done), FailSuperUser, std::string_view(role));
}

void ConnectionHandle::ScramFetchedFor(
    uint64_t id, ErrorCode error_code,
    std::optional<ScramCredential> credential) {
  if (auto done = scram_fetches_.TakeAnswered(id)) {
    (*done)(error_code, std::move(credential));
  }
}

void ConnectionHandle::ScramStoredFor(uint64_t id, ErrorCode error_code,
                                      std::string message) {
  if (auto done = scram_stores_.TakeAnswered(id)) {
    (*done)(error_code, std::move(message));
  }
}

void ConnectionHandle::ScramListedFor(uint64_t id, ErrorCode error_code,
                                      std::vector<ScramCredentialInfo> infos) {
  if (auto done = scram_lists_.TakeAnswered(id)) {
    (*done)(error_code, std::move(infos));
  }
}

void ConnectionHandle::SuperUserFor(uint64_t id, ErrorCode error_code) {
  if (auto done = super_users_.TakeAnswered(id)) (*done)(error_code);
}

}  // namespace kop::jni

extern "C" {

using kop::core::ErrorCode;
using kop::jni::ConnectionHandle;
using kop::jni::kOk;
using kop::jni::OnConnection;

// static native int nativeOnScramFetched(long conn, long requestId,
//     short errorCode, int iterations, byte[] salt, byte[] storedKey,
//     byte[] serverKey)
//   -> 0 (also for an unknown request id), kErrBadHandle for a closed handle.
// On the connection's event loop. errorCode 0 with a null salt: the user has
// no credential for the mechanism. A salt over 1024 bytes or a key over 64
// (broker.h's bounds) answers error -1.
JNIEXPORT jint JNICALL Java_io_kopnative_NativeBridge_nativeOnScramFetched(
    JNIEnv* env, jclass, jlong conn, jlong request_id, jshort error_code,
    jint iterations, jbyteArray salt, jbyteArray stored_key,
    jbyteArray server_key) {
  return OnConnection("nativeOnScramFetched", conn, [&](ConnectionHandle& c) {
    auto code = static_cast<ErrorCode>(error_code);
    std::optional<kop::core::ScramCredential> credential;
    if (code == ErrorCode::NONE && salt != nullptr) {
      // Bounded by what a credential can hold (broker.h); the core checks
      // the iterations and the keys' digest length (ScramServer).
      using kop::jni::CredentialBytes;
      auto s = CredentialBytes(env, salt, kop::core::kScramMaxSaltBytes);
      auto st = CredentialBytes(env, stored_key, kop::core::kScramMaxKeyBytes);
      auto sv = CredentialBytes(env, server_key, kop::core::kScramMaxKeyBytes);
      if (s && st && sv) {
        credential = kop::core::ScramCredential{*s, *st, *sv, iterations};
      } else {
        code = ErrorCode::UNKNOWN_SERVER_ERROR;
      }
    }
    c.ScramFetchedFor(static_cast<uint64_t>(request_id), code,
                      std::move(credential));
    return kOk;
  });
}

// static native int nativeOnScramStored(long conn, long requestId,
//     short errorCode, String message)
//   -> 0 (also for an unknown request id), kErrBadHandle for a closed handle.
// errorCode 91 (RESOURCE_NOT_FOUND): a deletion found nothing to delete.
JNIEXPORT jint JNICALL Java_io_kopnative_NativeBridge_nativeOnScramStored(
    JNIEnv* env, jclass, jlong conn, jlong request_id, jshort error_code,
    jstring message) {
  return OnConnection("nativeOnScramStored", conn, [&](ConnectionHandle& c) {
    auto text = kop::jni::BoundedUtf8FromJava(env, message,
                                              kop::jni::kMaxScramTextBytes);
    c.ScramStoredFor(static_cast<uint64_t>(request_id),
                     static_cast<ErrorCode>(error_code),
                     text ? std::move(*text)
                          : std::string("the broker could not store the "
                                        "credential"));
    return kOk;
  });
}

// static native int nativeOnScramListed(long conn, long requestId,
//     short errorCode, byte[][] users, int[] mechanisms, int[] iterations)
//   -> 0 (also for an unknown request id), kErrBadHandle for a closed handle.
// One entry per stored credential: the user (UTF-8), Kafka's mechanism
// number (1 SCRAM-SHA-256, 2 SCRAM-SHA-512) and the iterations. Arrays of
// different lengths, more than 100,000 entries or a user name over 32767
// bytes answer error -1.
JNIEXPORT jint JNICALL Java_io_kopnative_NativeBridge_nativeOnScramListed(
    JNIEnv* env, jclass, jlong conn, jlong request_id, jshort error_code,
    jobjectArray users, jintArray mechanisms, jintArray iterations) {
  return OnConnection("nativeOnScramListed", conn, [&](ConnectionHandle& c) {
    auto code = static_cast<ErrorCode>(error_code);
    std::vector<kop::core::ScramCredentialInfo> infos;
    if (code == ErrorCode::NONE) {
      const jsize n = users == nullptr ? 0 : env->GetArrayLength(users);
      const bool shaped = n <= kop::jni::kMaxListed && mechanisms != nullptr &&
                          iterations != nullptr &&
                          env->GetArrayLength(mechanisms) == n &&
                          env->GetArrayLength(iterations) == n;
      std::vector<jint> mech(shaped ? n : 0), iter(shaped ? n : 0);
      if (shaped && n > 0) {
        env->GetIntArrayRegion(mechanisms, 0, n, mech.data());
        env->GetIntArrayRegion(iterations, 0, n, iter.data());
      }
      for (jsize i = 0; shaped && i < n && code == ErrorCode::NONE; ++i) {
        auto user =
            static_cast<jbyteArray>(env->GetObjectArrayElement(users, i));
        auto name = user == nullptr
                        ? std::nullopt
                        : kop::jni::BoundedBytesFromJava(
                              env, user, kop::jni::kMaxScramTextBytes,
                              "nativeOnScramListed");
        if (user != nullptr) env->DeleteLocalRef(user);
        const char* mechanism = kop::jni::MechanismName(mech[i]);
        if (!name || mechanism == nullptr) {
          code = ErrorCode::UNKNOWN_SERVER_ERROR;
          break;
        }
        infos.push_back({std::move(*name), mechanism, iter[i]});
      }
      if (!shaped) code = ErrorCode::UNKNOWN_SERVER_ERROR;
      if (code != ErrorCode::NONE) infos.clear();
    }
    c.ScramListedFor(static_cast<uint64_t>(request_id), code, std::move(infos));
    return kOk;
  });
}

// static native int nativeOnSuperUser(long conn, long requestId,
//     short errorCode)
//   -> 0 (also for an unknown request id), kErrBadHandle for a closed handle.
// errorCode 0: a Pulsar superuser; 31 (CLUSTER_AUTHORIZATION_FAILED): not;
// anything else: the check failed.
JNIEXPORT jint JNICALL Java_io_kopnative_NativeBridge_nativeOnSuperUser(
    JNIEnv*, jclass, jlong conn, jlong request_id, jshort error_code) {
  return OnConnection("nativeOnSuperUser", conn, [&](ConnectionHandle& c) {
    c.SuperUserFor(static_cast<uint64_t>(request_id),
                   static_cast<ErrorCode>(error_code));
    return kOk;
  });
}

}  // extern "C"
