// OffsetFetch (key 9): committed offsets of one group (v1-7) or several
// (v8+); topics null (v2+) means every committed partition. There are no
// transactional offsets, so require_stable has nothing to wait for.
// A named partition of a topic the door (topic_access.h; consume, the group
// id as subscription) refuses answers its error and is not passed on;
// "every committed partition" leaves such topics out.
#include <functional>
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
// One group's request: topic -> partitions (nullopt: every committed one).
using Wanted =
    std::optional<std::vector<std::pair<std::string, std::vector<int32_t>>>>;

template <typename Topics>
Wanted Copy(const std::optional<Topics>& topics) {
  if (!topics.has_value()) return std::nullopt;
  Wanted out;
  out.emplace();
  for (const auto& t : *topics) out->emplace_back(t.name, t.partition_indexes);
  return out;
}

// A group's requested partitions: those passed on to the coordinator
// (nullopt: every committed one, by resolved name) and those the door
// refused (by client name).
struct Requested {
  Partitions passed;
  std::vector<groups::TopicPartition> passed_by_client_name;
  std::vector<std::pair<groups::TopicPartition, ErrorCode>> refused;
};

Requested Split(const Wanted& wanted, const TopicDecisions& decisions) {
  Requested out;
  if (!wanted.has_value()) return out;
  out.passed.emplace();
  for (const auto& [name, partitions] : *wanted) {
    const TopicDecision& d = decisions.find(name)->second;
    for (int32_t p : partitions) {
      if (d.error == ErrorCode::NONE) {
        out.passed->emplace_back(d.resolved, p);
        out.passed_by_client_name.emplace_back(name, p);
      } else {
        out.refused.push_back({{name, p}, d.error});
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

// The coordinator's answer for one group, its offsets by client name, and
// the door's decisions on those names: offsets of topics the client may not
// consume (internal ones committed before they were refused, or ones the
// role lacks) are never shown.
struct Fetched {
  groups::FetchResult result;
  Requested requested;
  TopicDecisions shown;
};

// Checks the named topics (consume, the group id as subscription), asks the
// coordinator, then checks the names it answered with.
void FetchGroup(const RequestContext& ctx, const std::string& group_id,
                Wanted wanted, std::function<void(Fetched)> done) {
  TopicQuery q{{},
               TopicAction::kConsume,
               ErrorCode::UNKNOWN_TOPIC_OR_PARTITION,
               group_id};
  if (wanted.has_value()) {
    for (const auto& t : *wanted) q.names.push_back(t.first);
  }
  Access(ctx).Check(std::move(q), [ctx, group_id, wanted = std::move(wanted),
                                   done = std::move(done)](
                                      TopicDecisions decisions) mutable {
    Requested requested = Split(wanted, decisions);
    Partitions passed = requested.passed;
    ctx.groups->FetchOffsets(
        MakeCaller(ctx), group_id, std::move(passed),
        [ctx, group_id, requested = std::move(requested),
         done = std::move(done)](groups::FetchResult r) mutable {
          const Access access(ctx);
          TopicQuery shown{{},
                           TopicAction::kConsume,
                           ErrorCode::UNKNOWN_TOPIC_OR_PARTITION,
                           group_id};
          // Named partitions come back one each, in order: answered by the
          // client's own name (short or full). Every committed one: by the
          // connection's name for it.
          const auto& named = requested.passed_by_client_name;
          const bool by_position =
              requested.passed.has_value() && r.offsets.size() == named.size();
          for (size_t i = 0; i < r.offsets.size(); ++i) {
            groups::FetchedOffset& f = r.offsets[i];
            f.topic = by_position ? named[i].first : access.ClientName(f.topic);
            shown.names.push_back(f.topic);
          }
          access.Check(
              std::move(shown),
              [r = std::move(r), requested = std::move(requested),
               done = std::move(done)](TopicDecisions d) mutable {
                done(Fetched{std::move(r), std::move(requested), std::move(d)});
              });
        });
  });
}

// Fills Kafka's per-topic layout from the coordinator's flat list, then the
// refused partitions.
template <typename TopicOut>
void Fill(const Fetched& f, std::vector<TopicOut>& topics,
          ErrorCode partition_error) {
  for (const groups::FetchedOffset& o : f.result.offsets) {
    auto d = f.shown.find(o.topic);
    if (d != f.shown.end() &&
        d->second.error == ErrorCode::TOPIC_AUTHORIZATION_FAILED) {
      continue;
    }
    Add(topics, o.topic, o.partition, o.offset, partition_error);
  }
  for (const auto& [tp, error] : f.requested.refused) {
    Add(topics, tp.first, tp.second, {}, error);
  }
}

}  // namespace

void HandleOffsetFetch(const RequestContext& ctx,
                       const protocol::Message& message, Reply reply) {
  const auto& request = static_cast<const OffsetFetchRequest&>(message);
  const int16_t version = ctx.api_version;
  if (version < kFirstMultiGroupVersion) {
    FetchGroup(
        ctx, request.group_id, Copy(request.topics),
        [reply = std::move(reply), version](Fetched f) {
          auto response = std::make_unique<OffsetFetchResponse>();
          const ErrorCode error = f.result.error_code;
          if (error != ErrorCode::NONE && f.requested.passed.has_value()) {
            // v1 has no top-level error: every partition carries it.
            for (const auto& tp : f.requested.passed_by_client_name) {
              f.result.offsets.push_back({tp.first, tp.second, {}});
            }
          }
          Fill(f, response->topics,
               version < kFirstTopLevelErrorVersion ? error : ErrorCode::NONE);
          if (version >= kFirstTopLevelErrorVersion) {
            response->error_code = Code(error);
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
    FetchGroup(ctx, group.group_id, Copy(group.topics),
               [pending, i](Fetched f) {
                 auto& out = pending->response->groups[i];
                 out.error_code = Code(f.result.error_code);
                 Fill(f, out.topics, ErrorCode::NONE);
                 pending->Done();
               });
  }
  pending->Done();
}

}  // namespace kop::core
