// Decoding of nativeOnTopicsResolved's arrays into the core's TopicInfo and
// BrokerNode (see topic_answer.h). The boundary's rules: jni-bridge/README.md.
#include "topic_answer.h"

#include <algorithm>
#include <cstdint>

#include "jni_util.h"
#include "kop/core/log.h"
#include "pending_calls.h"

namespace kop::jni {

using kop::core::ErrorCode;
using kop::core::LogLevel;

void TopicsCall::Fail() {
  done(is_lookup ? AllFailed(names) : std::vector<kop::core::TopicInfo>{});
}

std::vector<kop::core::TopicInfo> AllFailed(
    const std::vector<std::string>& names) {
  std::vector<kop::core::TopicInfo> out(names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    out[i].name = names[i];
    out[i].partitions = 0;
    out[i].error_code = ErrorCode::UNKNOWN_SERVER_ERROR;
  }
  return out;
}

bool DecodeNodes(JNIEnv* env, const Owners& o,
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
    auto s = static_cast<jstring>(env->GetObjectArrayElement(o.node_hosts, i));
    if (env->ExceptionCheck() || s == nullptr) {
      ClearPendingException(env, "nativeOnTopicsResolved (node host)");
      kop::core::Log(LogLevel::kError, "nativeOnTopicsResolved: null host");
      return false;
    }
    auto host = BoundedUtf8FromJava(env, s, kMaxHostChars);
    env->DeleteLocalRef(s);
    if (!host) {
      kop::core::Log(LogLevel::kError,
                     "nativeOnTopicsResolved: host name of "
                     "more than " +
                         std::to_string(kMaxHostChars) + " characters");
      return false;
    }
    node.host = std::move(*host);
    node.node_id = ids[static_cast<size_t>(i)];
    node.port = ports[static_cast<size_t>(i)];
    if (node.node_id < 0 || node.port < 0 || node.port > 65535 ||
        node.host.empty()) {
      kop::core::Log(LogLevel::kError, "nativeOnTopicsResolved: invalid node " +
                                           node.host + ":" +
                                           std::to_string(node.port));
      return false;
    }
  }
  return true;
}

bool DecodeOwners(JNIEnv* env, const Owners& o,
                  const std::vector<kop::core::BrokerNode>& table,
                  std::vector<kop::core::TopicInfo>& out) {
  if (o.leaders == nullptr) return true;
  const jsize nodes = static_cast<jsize>(table.size());
  int64_t expected = 0;
  for (const auto& t : out) {
    if (t.error_code == ErrorCode::NONE) {
      expected += std::max<int64_t>(t.partitions, 1);
    }
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
    if (t.error_code != ErrorCode::NONE) continue;
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

bool Decode(JNIEnv* env, const TopicsCall& call, jobjectArray names,
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
  if (n > kMaxTopics) {
    kop::core::Log(LogLevel::kError,
                   "nativeOnTopicsResolved: " + std::to_string(n) +
                       " topics, more than " + std::to_string(kMaxTopics));
    return false;
  }
  if (call.is_lookup && static_cast<size_t>(n) != call.names.size()) {
    kop::core::Log(LogLevel::kError,
                   "nativeOnTopicsResolved: " + std::to_string(n) +
                       " answers for " + std::to_string(call.names.size()) +
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
    if (parts[static_cast<size_t>(i)] < 0 ||
        parts[static_cast<size_t>(i)] > kMaxPartitions) {
      kop::core::Log(LogLevel::kError,
                     "nativeOnTopicsResolved: partition count " +
                         std::to_string(parts[static_cast<size_t>(i)]) +
                         " out of [0, " + std::to_string(kMaxPartitions) + "]");
      return false;
    }
    t.partitions = parts[static_cast<size_t>(i)];
    t.error_code = static_cast<ErrorCode>(errs[static_cast<size_t>(i)]);
    if (call.is_lookup) {
      t.name = call.names[static_cast<size_t>(i)];
    } else {
      auto s = static_cast<jstring>(env->GetObjectArrayElement(names, i));
      if (env->ExceptionCheck() || s == nullptr) {
        ClearPendingException(env, "nativeOnTopicsResolved");
        kop::core::Log(LogLevel::kError,
                       "nativeOnTopicsResolved: null topic name");
        return false;
      }
      auto name = BoundedUtf8FromJava(env, s, kMaxNameChars);
      env->DeleteLocalRef(s);
      if (!name) {
        kop::core::Log(LogLevel::kError,
                       "nativeOnTopicsResolved: topic name too long");
        return false;
      }
      t.name = std::move(*name);
    }
  }
  return true;
}

bool DecodePermissions(JNIEnv* env, jintArray scopes_and_actions,
                       jobjectArray names_and_roles,
                       std::vector<kop::core::Permission>& out) {
  const jsize ints = scopes_and_actions == nullptr
                         ? 0
                         : env->GetArrayLength(scopes_and_actions);
  const jsize strings =
      names_and_roles == nullptr ? 0 : env->GetArrayLength(names_and_roles);
  if (ints != strings || ints % 2 != 0) {
    kop::core::Log(LogLevel::kError,
                   "nativeOnPermissions: arrays that do not pair up");
    return false;
  }
  if (ints / 2 > kMaxPermissions) {
    kop::core::Log(LogLevel::kError,
                   "nativeOnPermissions: " + std::to_string(ints / 2) +
                       " permissions, more than " +
                       std::to_string(kMaxPermissions));
    return false;
  }
  std::vector<jint> values(static_cast<size_t>(ints));
  if (ints > 0) {
    env->GetIntArrayRegion(scopes_and_actions, 0, ints, values.data());
  }
  if (ClearPendingException(env, "nativeOnPermissions")) return false;
  for (jsize i = 0; i < ints; i += 2) {
    const jint scope = values[static_cast<size_t>(i)];
    if (scope < 0 || scope > 2) {
      kop::core::Log(LogLevel::kError, "nativeOnPermissions: unknown scope");
      return false;
    }
    kop::core::Permission p;
    p.scope = static_cast<kop::core::Permission::Scope>(scope);
    p.actions = static_cast<uint32_t>(values[static_cast<size_t>(i) + 1]);
    for (jsize k = 0; k < 2; ++k) {
      auto s = static_cast<jstring>(
          env->GetObjectArrayElement(names_and_roles, i + k));
      if (env->ExceptionCheck() || s == nullptr) {
        ClearPendingException(env, "nativeOnPermissions");
        kop::core::Log(LogLevel::kError, "nativeOnPermissions: null name");
        return false;
      }
      auto text = BoundedUtf8FromJava(env, s, kMaxNameChars);
      env->DeleteLocalRef(s);
      if (!text) {
        kop::core::Log(LogLevel::kError,
                       "nativeOnPermissions: name or role too long");
        return false;
      }
      (k == 0 ? p.name : p.role) = std::move(*text);
    }
    out.push_back(std::move(p));
  }
  return true;
}

}  // namespace kop::jni
