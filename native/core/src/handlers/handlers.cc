#include "handlers/handler.h"

namespace kop::core {
namespace {

// Versions are those every client we test sends and our handlers implement in
// full; see docs/protocol.md.
constexpr Handler kHandlers[] = {
    {3, 0, 13, HandleMetadata},
    {18, 0, 4, HandleApiVersions},
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
