// One log sink for all native code. The JNI bridge points it at the broker's
// SLF4J logger; tests and tools leave the default (stderr).
#ifndef KOP_CORE_LOG_H_
#define KOP_CORE_LOG_H_

#include <string_view>

namespace kop::core {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

using LogSink = void (*)(LogLevel level, std::string_view message);

// Not thread-safe against concurrent Log calls: set it once at start-up.
void SetLogSink(LogSink sink);
void Log(LogLevel level, std::string_view message);

}  // namespace kop::core

#endif  // KOP_CORE_LOG_H_
