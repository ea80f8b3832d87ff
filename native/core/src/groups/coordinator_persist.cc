// Writing group metadata and offsets to __consumer_offsets (Kafka's
// GroupMetadataManager.storeGroup/storeOffsets and its append-error mapping),
// and KoP's mirror of committed offsets onto Pulsar subscriptions, so Pulsar
// tools and retention see the consumer group's progress.
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "groups/coordinator.h"
#include "groups/coordinator_internal.h"
#include "groups/offsets_log.h"
#include "kop/core/log.h"
#include "kop/protocol/errors.h"

namespace kop::core::groups {

using protocol::ErrorCode;

namespace {

// Kafka's mapping of log-append errors for the coordinator
// (GroupMetadataManager): the client retries or rediscovers.
ErrorCode StoreError(ErrorCode append_error) {
  switch (append_error) {
    case ErrorCode::NONE:
      return ErrorCode::NONE;
    case ErrorCode::NOT_LEADER_OR_FOLLOWER:
      return ErrorCode::NOT_COORDINATOR;
    case ErrorCode::MESSAGE_TOO_LARGE:
    case ErrorCode::RECORD_LIST_TOO_LARGE:
    case ErrorCode::INVALID_FETCH_SIZE:
      return ErrorCode::INVALID_COMMIT_OFFSET_SIZE;
    default:
      return ErrorCode::COORDINATOR_NOT_AVAILABLE;
  }
}

}  // namespace

void GroupCoordinator::Persist(const Caller& caller, int32_t partition,
                               std::vector<LogRecord> records,
                               std::function<void(ErrorCode, Deferred&)> done,
                               Deferred& d) {
  if (caller.log == nullptr) {
    done(ErrorCode::COORDINATOR_NOT_AVAILABLE, d);
    return;
  }
  std::vector<EncodedRecord> encoded;
  encoded.reserve(records.size());
  for (const LogRecord& r : records) {
    if (const auto* o = std::get_if<OffsetRecord>(&r)) {
      encoded.push_back(EncodeOffsetRecord(*o));
    } else {
      encoded.push_back(EncodeGroupRecord(std::get<GroupRecord>(r)));
    }
  }
  auto entry = std::make_shared<std::vector<uint8_t>>();
  absl::Status st = EncodeLogEntry(encoded, clock_->NowMs(), *entry);
  if (!st.ok()) {
    Log(LogLevel::kError, "cannot encode a __consumer_offsets entry: " +
                              std::string(st.message()));
    done(ErrorCode::UNKNOWN_SERVER_ERROR, d);
    return;
  }
  LogPort* log = caller.log;
  const int32_t n = static_cast<int32_t>(encoded.size());
  auto cb = std::make_shared<std::function<void(ErrorCode, Deferred&)>>(
      std::move(done));
  d.Run([this, log, partition, entry, n, cb]() {
    log->Append(config_.offsets_topic, partition, *entry, n,
                [this, cb](const AppendResult& r) {
                  Deferred d;
                  std::lock_guard<std::mutex> lock(mu_);
                  if (r.error_code != ErrorCode::NONE) {
                    Log(LogLevel::kWarn, "writing to " + config_.offsets_topic +
                                             " failed with error " +
                                             protocol::ErrorName(r.error_code));
                  }
                  (*cb)(StoreError(r.error_code), d);
                });
  });
}

void GroupCoordinator::FlushDirty(const Caller& caller, Group& g, Deferred& d) {
  if (!g.metadata_dirty || caller.log == nullptr) return;
  g.metadata_dirty = false;
  Persist(
      caller, g.partition, {SnapshotGroup(g)}, [](ErrorCode, Deferred&) {}, d);
}

LogPort* GroupCoordinator::MirrorLog(const Caller& caller) const {
  LogPort* log = caller.log;
  if (!config_.subscription_mirror || log == nullptr ||
      !log->SupportsSubscriptions()) {
    return nullptr;
  }
  return log;
}

void GroupCoordinator::MirrorOffsets(
    const Caller& caller, const std::string& group_id,
    const std::vector<std::pair<TopicPartition, int64_t>>& offsets,
    Deferred& d) {
  LogPort* log = MirrorLog(caller);
  if (log == nullptr) return;
  for (const auto& entry : offsets) {
    // Named copies: clang 14 cannot capture structured bindings.
    const TopicPartition tp = entry.first;
    const int64_t offset = entry.second;
    if (offset < 0) continue;
    d.Run([log, group_id, tp, offset]() {
      log->CommitSubscription(
          tp.first, tp.second, group_id, offset, [group_id, tp](ErrorCode err) {
            if (err != ErrorCode::NONE) {
              Log(LogLevel::kDebug,
                  "mirroring group " + group_id + " on " + tp.first + "-" +
                      std::to_string(tp.second) + " failed with error " +
                      protocol::ErrorName(err));
            }
          });
    });
  }
}

void GroupCoordinator::DeleteMirror(const Caller& caller,
                                    const std::string& group_id,
                                    const std::vector<TopicPartition>& parts,
                                    Deferred& d) {
  LogPort* log = MirrorLog(caller);
  if (log == nullptr) return;
  for (const TopicPartition& tp : parts) {
    d.Run([log, group_id, tp]() {
      log->DeleteSubscription(tp.first, tp.second, group_id, [](ErrorCode) {});
    });
  }
}

}  // namespace kop::core::groups
