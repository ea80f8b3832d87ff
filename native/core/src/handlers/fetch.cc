// Fetch (key 1): read each partition through the LogPort and serve its
// entries as Kafka batches.
//
// Long polling in two rounds: every partition is first read without
// waiting; if that yields fewer than min_bytes and max_wait_ms > 0, every
// partition is read again with the wait, and the response goes out as soon
// as one of them has data (the port wakes on any append, Pulsar producers'
// included) or all have timed out.
//
// Incremental fetch sessions (KIP-227, v7+): epoch 0 opens a session with a
// full fetch, later epochs send only changes and get back only partitions
// with records, errors or moved offsets; epoch -1 fetches without one. See
// fetch_sessions.h.
#include <map>
#include <memory>
#include <tuple>

#include "handlers/handler.h"
#include "kop/core/log.h"
#include "kop/protocol/errors.h"
#include "kop/protocol/messages/fetch_request.h"
#include "kop/protocol/messages/fetch_response.h"
#include "kop/pulsar/entry.h"

namespace kop::core {
namespace {

using protocol::Code;
using protocol::ErrorCode;
using protocol::FetchRequest;
using protocol::FetchResponse;

struct Target {
  size_t topic;
  size_t partition;
  std::string name;
  int32_t index;
  int64_t offset;
  int32_t max_bytes;
};

// The partitions to read: name, index, offset, max bytes.
using Wanted = std::vector<std::tuple<std::string, int32_t, int64_t, int32_t>>;

struct PendingFetch {
  std::unique_ptr<FetchResponse> response = std::make_unique<FetchResponse>();
  std::vector<Target> targets;
  // Converted batches the response's records fields point into.
  std::vector<std::vector<uint8_t>> buffers;
  std::vector<uint8_t> scratch;
  int64_t bytes = 0;
  int64_t max_bytes = 0;
  int32_t min_bytes = 0;
  int32_t max_wait_ms = 0;
  int outstanding = 0;
  int round = 0;
  bool answered = false;
  LogPort* log = nullptr;
  Reply reply;
  // The session this fetch belongs to (nullptr: none), and whether the
  // response lists only partitions with news.
  FetchSessions* sessions = nullptr;
  int32_t session_id = 0;
  bool incremental = false;
};

// Fills one partition's result from a read; returns its record bytes.
int64_t Fill(PendingFetch& f, const Target& t, const ReadResult& r) {
  FetchResponse::PartitionData& out =
      f.response->responses[t.topic].partitions[t.partition];
  out.partition_index = t.index;
  out.error_code = Code(r.error_code);
  out.high_watermark = r.log_end_offset;
  out.last_stable_offset = r.log_end_offset;
  out.log_start_offset = r.log_start_offset;
  out.records = protocol::RecordsRef::Of({});
  if (r.error_code != ErrorCode::NONE) return 0;
  if (t.offset < r.log_start_offset || t.offset > r.log_end_offset) {
    // Below the log start (trimmed by retention) or past the end: the
    // client resets by its auto.offset.reset policy.
    out.error_code = Code(ErrorCode::OFFSET_OUT_OF_RANGE);
    return 0;
  }
  std::vector<uint8_t>& buf = f.buffers.emplace_back();
  for (std::span<const uint8_t> bytes : r.entries) {
    // KIP-74: the first batch is served even past max_bytes, so a large
    // batch never stalls a consumer.
    if (!buf.empty() &&
        (static_cast<int64_t>(buf.size()) + bytes.size() >
             static_cast<size_t>(t.max_bytes) ||
         f.bytes + static_cast<int64_t>(buf.size()) >= f.max_bytes)) {
      break;
    }
    absl::StatusOr<pulsar::EntryView> entry = pulsar::ParseEntry(bytes);
    if (!entry.ok() || !entry->index.has_value()) {
      Log(LogLevel::kError,
          "unreadable entry in " + t.name + "-" + std::to_string(t.index) +
              ": " +
              (entry.ok() ? std::string("no broker entry index")
                          : entry.status().ToString()));
      if (buf.empty()) out.error_code = Code(ErrorCode::CORRUPT_MESSAGE);
      break;
    }
    const int64_t last = static_cast<int64_t>(*entry->index);
    const int64_t base = last - entry->num_messages() + 1;
    if (last < t.offset) continue;  // entirely before the fetch offset
    if (absl::Status st =
            pulsar::AppendAsKafkaBatch(*entry, base, f.scratch, buf);
        !st.ok()) {
      Log(LogLevel::kError, "cannot convert entry at offset " +
                                std::to_string(base) + " of " + t.name + "-" +
                                std::to_string(t.index) + ": " + st.ToString());
      if (buf.empty()) out.error_code = Code(ErrorCode::CORRUPT_MESSAGE);
      break;
    }
  }
  out.records = protocol::RecordsRef::Of(buf);
  return static_cast<int64_t>(buf.size());
}

void Answer(const std::shared_ptr<PendingFetch>& f) {
  if (f->answered) return;
  f->answered = true;
  ApplySession(
      f->sessions == nullptr ? nullptr : f->sessions->Find(f->session_id),
      f->incremental, f->response->responses);
  f->reply(std::move(f->response));
}

void ReadAll(const std::shared_ptr<PendingFetch>& f, int32_t wait_ms) {
  const int round = ++f->round;
  f->outstanding = static_cast<int>(f->targets.size());
  f->bytes = 0;
  // The previous round's records views point into the buffers about to go.
  for (const Target& t : f->targets) {
    f->response->responses[t.topic].partitions[t.partition].records =
        protocol::RecordsRef::Of({});
  }
  f->buffers.clear();
  f->buffers.reserve(f->targets.size());  // records views must not move
  for (const Target& t : f->targets) {
    f->log->Read(
        t.name, t.index, t.offset, t.max_bytes, wait_ms,
        [f, t, round, wait_ms](const ReadResult& r) {
          if (f->answered || round != f->round) return;
          f->bytes += Fill(*f, t, r);
          const bool last = --f->outstanding == 0;
          if (wait_ms > 0 && f->bytes > 0) {
            Answer(f);  // woken by data: do not wait for the rest
          } else if (last) {
            if (wait_ms == 0 && f->bytes < f->min_bytes && f->max_wait_ms > 0) {
              ReadAll(f, f->max_wait_ms);
            } else {
              Answer(f);
            }
          }
        });
  }
}

// One response topic per name, in first-seen order; partitions the door
// (topic_access.h) refused carry its error, the others are read.
void Serve(const std::shared_ptr<PendingFetch>& f, const Wanted& wanted,
           const TopicDecisions& decisions) {
  FetchResponse& response = *f->response;
  std::map<std::string, size_t> topic_index;
  for (const auto& [name, index, offset, max] : wanted) {
    auto [it, added] = topic_index.emplace(name, response.responses.size());
    if (added) response.responses.emplace_back().topic = name;
    const size_t t = it->second;
    FetchResponse::FetchableTopicResponse& out = response.responses[t];
    const size_t p = out.partitions.size();
    FetchResponse::PartitionData& pd = out.partitions.emplace_back();
    pd.partition_index = index;
    const TopicDecision& access = decisions.find(name)->second;
    pd.error_code = Code(access.error);
    if (pd.error_code != 0) continue;
    f->targets.push_back(Target{t, p, access.resolved, index, offset,
                                max > 0 ? max : INT32_MAX});
  }
  if (f->targets.empty()) {
    Answer(f);
    return;
  }
  ReadAll(f, 0);
}

}  // namespace

void HandleFetch(const RequestContext& ctx, const protocol::Message& message,
                 Reply reply) {
  const auto& request = static_cast<const FetchRequest&>(message);
  auto f = std::make_shared<PendingFetch>();
  f->log = ctx.log;
  f->reply = std::move(reply);
  f->max_bytes = request.max_bytes > 0 ? request.max_bytes : INT32_MAX;
  f->min_bytes = request.min_bytes;
  f->max_wait_ms = request.max_wait_ms;
  FetchResponse& response = *f->response;
  auto refuse = [&f](ErrorCode e) {
    f->response->error_code = Code(e);
    f->reply(std::move(f->response));
  };

  // The partitions to read: the request's, or its session's.
  Wanted wanted;
  for (const FetchRequest::FetchTopic& topic : request.topics) {
    for (const FetchRequest::FetchPartition& part : topic.partitions) {
      wanted.emplace_back(topic.topic, part.partition, part.fetch_offset,
                          part.partition_max_bytes);
    }
  }
  constexpr int32_t kFinalEpoch = -1;
  constexpr int32_t kInitialEpoch = 0;
  FetchSessions* sessions = ctx.api_version >= 7 ? ctx.fetch_sessions : nullptr;
  if (sessions == nullptr) {
    if (ctx.api_version >= 7 && request.session_id != 0) {
      return refuse(ErrorCode::FETCH_SESSION_ID_NOT_FOUND);
    }
  } else if (request.session_epoch == kFinalEpoch ||
             request.session_epoch == kInitialEpoch) {
    // Closes the named session (if any); epoch 0 opens a new one.
    if (request.session_id != 0) sessions->Remove(request.session_id);
    if (request.session_epoch == kInitialEpoch &&
        wanted.size() <= FetchSessions::kMaxPartitions) {
      FetchSession& session = sessions->Create();
      for (const auto& [name, index, offset, max] : wanted) {
        session.partitions[{name, index}] = SessionPartition{offset, max};
      }
      f->sessions = sessions;
      f->session_id = session.id;
      response.session_id = session.id;
    }
  } else {
    FetchSession* session = sessions->Find(request.session_id);
    if (session == nullptr) {
      return refuse(ErrorCode::FETCH_SESSION_ID_NOT_FOUND);
    }
    if (request.session_epoch != session->next_epoch) {
      return refuse(ErrorCode::INVALID_FETCH_SESSION_EPOCH);
    }
    session->next_epoch =
        session->next_epoch == INT32_MAX ? 1 : session->next_epoch + 1;
    for (const auto& [name, index, offset, max] : wanted) {
      SessionPartition& sp = session->partitions[{name, index}];
      sp.fetch_offset = offset;
      sp.max_bytes = max;
    }
    for (const FetchRequest::ForgottenTopic& t :
         request.forgotten_topics_data) {
      for (int32_t index : t.partitions) {
        session->partitions.erase({t.topic, index});
      }
    }
    if (session->partitions.size() > FetchSessions::kMaxPartitions) {
      sessions->Remove(session->id);
      return refuse(ErrorCode::FETCH_SESSION_ID_NOT_FOUND);
    }
    wanted.clear();
    for (const auto& [key, sp] : session->partitions) {
      wanted.emplace_back(key.first, key.second, sp.fetch_offset, sp.max_bytes);
    }
    f->sessions = sessions;
    f->session_id = session->id;
    f->incremental = true;
    response.session_id = session->id;
  }

  TopicQuery q{
      {}, TopicAction::kConsume, ErrorCode::UNKNOWN_TOPIC_OR_PARTITION, ""};
  for (const auto& w : wanted) q.names.push_back(std::get<0>(w));
  Access(ctx).Check(std::move(q),
                    [f, wanted = std::move(wanted)](TopicDecisions decisions) {
                      Serve(f, wanted, decisions);
                    });
}

}  // namespace kop::core
