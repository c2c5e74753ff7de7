// Structured logs: one JSON object a line (time, level, component, fields,
// msg), or a readable line when stdout is a terminal. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace synchub::runtime {

enum class LogLevel { Debug = 0, Info, Warn, Error };
using LogFields = std::vector<std::pair<std::string, std::string>>;

// format: "json", "text" or "auto" (text on a terminal).
void configure_log(LogLevel level, const std::string& format);
LogLevel parse_log_level(const std::string& name);
bool log_enabled(LogLevel level);

// ISO 8601 UTC with milliseconds, e.g. 2026-11-26T19:30:00.123Z
std::string iso_time(int64_t epoch_ms);

void log(LogLevel level, const std::string& component, const LogFields& fields, const std::string& message);
inline void log_debug(const std::string& c, const LogFields& f, const std::string& m) {
  log(LogLevel::Debug, c, f, m);
}
inline void log_info(const std::string& c, const LogFields& f, const std::string& m) {
  log(LogLevel::Info, c, f, m);
}
inline void log_warn(const std::string& c, const LogFields& f, const std::string& m) {
  log(LogLevel::Warn, c, f, m);
}
inline void log_error(const std::string& c, const LogFields& f, const std::string& m) {
  log(LogLevel::Error, c, f, m);
}

}  // namespace synchub::runtime
