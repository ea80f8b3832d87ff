// OffsetFetch (key 9): committed offsets of one group (v1-7) or several
// (v8+); topics null (v2+) means every committed partition. There are no
// transactional offsets, so require_stable has nothing to wait for.
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

template <typename Topics>
Partitions Requested(const std::optional<Topics>& topics) {
  if (!topics.has_value()) return std::nullopt;
  std::vector<groups::TopicPartition> out;
  for (const auto& t : *topics) {
    for (int32_t p : t.partition_indexes) out.emplace_back(t.name, p);
  }
  return out;
}

// Fills Kafka's per-topic layout from the coordinator's flat list.
template <typename TopicOut>
void Fill(const groups::FetchResult& r, std::vector<TopicOut>& topics,
          ErrorCode partition_error) {
  for (const groups::FetchedOffset& f : r.offsets) {
    if (topics.empty() || topics.back().name != f.topic) {
      topics.emplace_back().name = f.topic;
    }
    auto& p = topics.back().partitions.emplace_back();
    p.partition_index = f.partition;
    p.committed_offset = f.offset.offset;
    p.committed_leader_epoch = f.offset.leader_epoch;
    p.metadata = f.offset.metadata;
    p.error_code = Code(partition_error);
  }
}

}  // namespace

void HandleOffsetFetch(const RequestContext& ctx,
                       const protocol::Message& message, Reply reply) {
  const auto& request = static_cast<const OffsetFetchRequest&>(message);
  const int16_t version = ctx.api_version;
  const groups::Caller caller = MakeCaller(ctx);

  if (version < kFirstMultiGroupVersion) {
    Partitions wanted = Requested(request.topics);
    ctx.groups->FetchOffsets(
        caller, request.group_id, wanted,
        [reply = std::move(reply), version,
         wanted](groups::FetchResult r) mutable {
          auto response = std::make_unique<OffsetFetchResponse>();
          if (r.error_code != ErrorCode::NONE && wanted.has_value()) {
            // v1 has no top-level error: every partition carries it.
            for (const auto& tp : *wanted) {
              r.offsets.push_back({tp.first, tp.second, {}});
            }
          }
          Fill(r, response->topics,
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
    ctx.groups->FetchOffsets(caller, group.group_id, Requested(group.topics),
                             [pending, i](groups::FetchResult r) {
                               auto& out = pending->response->groups[i];
                               out.error_code = Code(r.error_code);
                               Fill(r, out.topics, ErrorCode::NONE);
                               pending->Done();
                             });
  }
  pending->Done();
}

}  // namespace kop::core
