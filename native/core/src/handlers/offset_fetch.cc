// OffsetFetch (key 9): committed offsets of one group (v1-7) or several
// (v8+); topics null (v2+) means every committed partition. There are no
// transactional offsets, so require_stable has nothing to wait for.
// A named partition of a topic CheckClientTopic refuses answers its error
// and is not passed on; "every committed partition" leaves such topics out.
#include <memory>

#include "handlers/handler.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/offset_fetch_request.h"
#include "kop/protocol/messages/offset_fetch_response.h"

namespace kop::core {

using protocol::Code;
using protocol::OffsetFetchRequest;
using protocol::OffsetFetchResponse;

namespace {

constexpr int16_t kFirstTopLevelErrorVersion = 2;
constexpr int16_t kFirstMultiGroupVersion = 8;

using Partitions = std::optional<std::vector<groups::TopicPartition>>;

// A group's requested partitions: those passed on to the coordinator
// (nullopt: every committed one) and those CheckClientTopic refused.
struct Requested {
  Partitions passed;
  std::vector<std::pair<groups::TopicPartition, ErrorCode>> refused;
};

template <typename Topics>
Requested Split(const BrokerState& broker,
                const std::optional<Topics>& topics) {
  Requested out;
  if (!topics.has_value()) return out;
  out.passed.emplace();
  for (const auto& t : *topics) {
    const ErrorCode refused =
        CheckClientTopic(broker, t.name, ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
    for (int32_t p : t.partition_indexes) {
      if (refused == ErrorCode::NONE) {
        out.passed->emplace_back(t.name, p);
      } else {
        out.refused.push_back({{t.name, p}, refused});
      }
    }
  }
  return out;
}

template <typename TopicOut>
void Add(std::vector<TopicOut>& topics, const std::string& topic,
         int32_t partition, const groups::CommittedOffset& offset,
         ErrorCode error) {
  if (topics.empty() || topics.back().name != topic) {
    topics.emplace_back().name = topic;
  }
  auto& p = topics.back().partitions.emplace_back();
  p.partition_index = partition;
  p.committed_offset = offset.offset;
  p.committed_leader_epoch = offset.leader_epoch;
  p.metadata = offset.metadata;
  p.error_code = Code(error);
}

// Fills Kafka's per-topic layout from the coordinator's flat list, then the
// refused partitions. Offsets committed on internal topics (before they
// were refused) are never shown.
template <typename TopicOut>
void Fill(const BrokerState& broker, const groups::FetchResult& r,
          const Requested& requested, std::vector<TopicOut>& topics,
          ErrorCode partition_error) {
  for (const groups::FetchedOffset& f : r.offsets) {
    if (CheckClientTopic(broker, f.topic,
                         ErrorCode::UNKNOWN_TOPIC_OR_PARTITION) ==
        ErrorCode::TOPIC_AUTHORIZATION_FAILED) {
      continue;
    }
    Add(topics, f.topic, f.partition, f.offset, partition_error);
  }
  for (const auto& [tp, error] : requested.refused) {
    Add(topics, tp.first, tp.second, {}, error);
  }
}

}  // namespace

void HandleOffsetFetch(const RequestContext& ctx,
                       const protocol::Message& message, Reply reply) {
  const auto& request = static_cast<const OffsetFetchRequest&>(message);
  const int16_t version = ctx.api_version;
  const groups::Caller caller = MakeCaller(ctx);

  const BrokerState* broker = ctx.broker;
  if (version < kFirstMultiGroupVersion) {
    Requested wanted = Split(*broker, request.topics);
    ctx.groups->FetchOffsets(
        caller, request.group_id, wanted.passed,
        [reply = std::move(reply), version, broker,
         wanted](groups::FetchResult r) mutable {
          auto response = std::make_unique<OffsetFetchResponse>();
          if (r.error_code != ErrorCode::NONE && wanted.passed.has_value()) {
            // v1 has no top-level error: every partition carries it.
            for (const auto& tp : *wanted.passed) {
              r.offsets.push_back({tp.first, tp.second, {}});
            }
          }
          Fill(*broker, r, wanted, response->topics,
               version < kFirstTopLevelErrorVersion ? r.error_code
                                                    : ErrorCode::NONE);
          if (version >= kFirstTopLevelErrorVersion) {
            response->error_code = Code(r.error_code);
          }
          reply(std::move(response));
        });
    return;
  }

  // v8+: one coordinator call per group, answered together.
  auto pending = std::make_shared<PendingReply<OffsetFetchResponse>>();
  pending->reply = std::move(reply);
  pending->response->groups.resize(request.groups.size());
  for (size_t i = 0; i < request.groups.size(); ++i) {
    const auto& group = request.groups[i];
    pending->response->groups[i].group_id = group.group_id;
    ++pending->outstanding;
    Requested wanted = Split(*broker, group.topics);
    Partitions passed = wanted.passed;
    ctx.groups->FetchOffsets(
        caller, group.group_id, std::move(passed),
        [pending, i, broker,
         wanted = std::move(wanted)](groups::FetchResult r) {
          auto& out = pending->response->groups[i];
          out.error_code = Code(r.error_code);
          Fill(*broker, r, wanted, out.topics, ErrorCode::NONE);
          pending->Done();
        });
  }
  pending->Done();
}

}  // namespace kop::core
