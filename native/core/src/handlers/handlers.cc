#include "handlers/handler.h"

namespace kop::core {
namespace {

// Versions are those every client we test sends and our handlers implement in
// full; see docs/protocol.md.
constexpr Handler kHandlers[] = {
    // Produce v13 names topics by ID only; IDs resolve once the topic
    // registry keeps them.
    {0, 3, 12, HandleProduce, 0, true},
    {3, 0, 13, HandleMetadata, 0, false},
    {18, 0, 4, HandleApiVersions, 0, false},
};

}  // namespace

std::span<const Handler> Handlers() { return kHandlers; }

const Handler* FindHandler(int16_t api_key) {
  for (const Handler& h : kHandlers) {
    if (h.api_key == api_key) return &h;
  }
  return nullptr;
}

}  // namespace kop::core
