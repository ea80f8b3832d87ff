// A pending topic request (TopicPort::Lookup/ListAll) and the decoding of
// Java's answer to it, nativeOnTopicsResolved's arrays: every length is
// checked before it is used. The boundary's rules: jni-bridge/README.md.
#ifndef KOP_JNI_BRIDGE_TOPIC_ANSWER_H_
#define KOP_JNI_BRIDGE_TOPIC_ANSWER_H_

#include <jni.h>

#include <functional>
#include <string>
#include <vector>

#include "kop/core/broker.h"

namespace kop::jni {

using TopicsDone = std::function<void(std::vector<kop::core::TopicInfo>)>;

// A lookup or listing waiting for Java's answer.
struct TopicsCall {
  TopicsDone done;
  std::vector<std::string> names;  // a lookup's names, as the core sent them
  bool is_lookup = false;

  // Completes the call with errors: a lookup's every name fails with -1, a
  // listing (no names to fail) is answered empty.
  void Fail();
};

// Bounds on what Java hands down: an answer past one is refused (logged)
// as malformed, so a bug or a corrupt metadata store cannot make the core
// allocate without limit.
// More brokers than any cluster has: a larger node table is refused.
inline constexpr jsize kMaxNodes = 10000;
// A host name (DNS allows 253 characters).
inline constexpr jsize kMaxHostChars = 255;
// A topic name, permission name or role: Kafka's STRING has an int16
// length, so nothing longer could be answered anyway.
inline constexpr jsize kMaxNameChars = 32767;
// Topics in one answer (a listing of the whole cluster).
inline constexpr jsize kMaxTopics = 1000000;
// Partitions of one topic: more than any Pulsar topic has.
inline constexpr jint kMaxPartitions = 100000;
// Permissions in one namespace's listing.
inline constexpr jsize kMaxPermissions = 100000;

// The partition owners Java sends with topic metadata (see DecodeOwners).
struct Owners {
  jintArray leaders;
  jintArray node_ids;
  jobjectArray node_hosts;
  jintArray node_ports;
};

// Every name with UNKNOWN_SERVER_ERROR.
std::vector<kop::core::TopicInfo> AllFailed(
    const std::vector<std::string>& names);

// Checks and converts Java's arrays; false (logged) if malformed or past a
// bound above. A lookup keeps the names exactly as the core sent them.
bool Decode(JNIEnv* env, const TopicsCall& call, jobjectArray names,
            jintArray partitions, jshortArray errors,
            std::vector<kop::core::TopicInfo>& out);

// The node table Java sends with topic metadata: every other broker of the
// cluster with a Kafka listener, plus any other leader. Absent (null ids):
// an empty table. False (logged) if malformed.
bool DecodeNodes(JNIEnv* env, const Owners& o,
                 std::vector<kop::core::BrokerNode>& table);

// Partition owners: for each topic of `out` without error, max(partitions, 1)
// entries of `leaders`, each an index into `table`, -1 for "no owner now" or
// -2 for this broker. Null `leaders`: this broker owns everything. False
// (logged) if malformed.
bool DecodeOwners(JNIEnv* env, const Owners& o,
                  const std::vector<kop::core::BrokerNode>& table,
                  std::vector<kop::core::TopicInfo>& out);

// nativeOnPermissions's listing: permission i is (scopes_and_actions[2i],
// [2i+1]) and (names_and_roles[2i], [2i+1]). Null arrays: none. False
// (logged) if they do not pair up, a scope is unknown, a string is null, or
// past kMaxPermissions or kMaxNameChars.
bool DecodePermissions(JNIEnv* env, jintArray scopes_and_actions,
                       jobjectArray names_and_roles,
                       std::vector<kop::core::Permission>& out);

}  // namespace kop::jni

#endif  // KOP_JNI_BRIDGE_TOPIC_ANSWER_H_
