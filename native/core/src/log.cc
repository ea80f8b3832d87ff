#include "kop/core/log.h"

#include <cstdio>

namespace kop::core {
namespace {

void StderrSink(LogLevel level, std::string_view message) {
  static constexpr const char* kNames[] = {"DEBUG", "INFO", "WARN", "ERROR"};
  std::fprintf(stderr, "kop-native %s %.*s\n", kNames[static_cast<int>(level)],
               static_cast<int>(message.size()), message.data());
}

LogSink g_sink = StderrSink;

}  // namespace

void SetLogSink(LogSink sink) { g_sink = sink ? sink : StderrSink; }
void Log(LogLevel level, std::string_view message) { g_sink(level, message); }

}  // namespace kop::core
