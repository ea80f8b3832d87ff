#include "handlers/handler.h"

namespace kop::core {
namespace {

// Versions are those every client we test sends and our handlers implement in
// full; see docs/protocol.md.
using N = Handler::Needs;

// Produce v13 and Fetch v13+ name topics by ID only; they come once the
// topic registry keeps IDs.
constexpr Handler kHandlers[] = {
    {0, 3, 12, HandleProduce, 0, N::kAppend},
    {1, 4, 12, HandleFetch, 4, N::kRead},
    {2, 1, 10, HandleListOffsets, 1, N::kRead},
    {3, 0, 13, HandleMetadata, 0, N::kNothing},
    {18, 0, 4, HandleApiVersions, 0, N::kNothing},
    {19, 2, 7, HandleCreateTopics, 2, N::kAdmin},
    // v6 may name topics by ID only; those get UNKNOWN_TOPIC_ID.
    {20, 1, 6, HandleDeleteTopics, 1, N::kAdmin},
    // Non-transactional ids for idempotent producers (Java's default).
    {22, 0, 5, HandleInitProducerId, 0, N::kAppend},
    {37, 0, 3, HandleCreatePartitions, 0, N::kAdmin},
};

}  // namespace

std::span<const Handler> Handlers() { return kHandlers; }

bool Servable(const Handler& h, const TopicPort* topics, const LogPort* log) {
  switch (h.needs) {
    case Handler::Needs::kAdmin:
      return topics != nullptr && topics->SupportsAdmin();
    case Handler::Needs::kNothing:
      return true;
    case Handler::Needs::kAppend:
      return log != nullptr;
    case Handler::Needs::kRead:
      return log != nullptr && log->SupportsRead();
  }
  return false;
}

const Handler* FindHandler(int16_t api_key) {
  for (const Handler& h : kHandlers) {
    if (h.api_key == api_key) return &h;
  }
  return nullptr;
}

}  // namespace kop::core
