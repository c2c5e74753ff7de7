#include "runtime/base/log.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

#include "mapping/record.hpp"

namespace synchub::runtime {

namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::Info)};
std::atomic<bool> g_text{false};
std::mutex g_mutex;

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::Debug: return "debug";
    case LogLevel::Info: return "info";
    case LogLevel::Warn: return "warn";
    case LogLevel::Error: return "error";
  }
  return "info";
}

}  // namespace

std::string iso_time(int64_t epoch_ms) {
  std::time_t seconds = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(epoch_ms % 1000));
  return buf;
}

static std::string timestamp() {
  return iso_time(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

void configure_log(LogLevel level, const std::string& format) {
  g_level = static_cast<int>(level);
  g_text = format == "text" || (format == "auto" && ::isatty(STDOUT_FILENO));
}

LogLevel parse_log_level(const std::string& name) {
  if (name == "debug") return LogLevel::Debug;
  if (name == "warn") return LogLevel::Warn;
  if (name == "error") return LogLevel::Error;
  return LogLevel::Info;
}

bool log_enabled(LogLevel level) {
  return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed);
}

void log(LogLevel level, const std::string& component, const LogFields& fields, const std::string& message) {
  if (!log_enabled(level)) return;
  std::string line;
  if (g_text) {
    static const char* colours[] = {"\033[2m", "", "\033[33m", "\033[31m"};
    line = timestamp().substr(11, 12) + " " + colours[static_cast<int>(level)] + level_name(level) + "\033[0m " +
           component + ": " + message;
    for (const auto& [k, v] : fields) line += " " + k + "=" + v;
  } else {
    line = "{\"time\":\"" + timestamp() + "\",\"level\":\"" + level_name(level) + "\",\"component\":";
    mapping::append_json_string(line, component);
    for (const auto& [k, v] : fields) {
      line += ',';
      mapping::append_json_string(line, k);
      line += ':';
      mapping::append_json_string(line, v);
    }
    line += ",\"msg\":";
    mapping::append_json_string(line, message);
    line += '}';
  }
  line += '\n';
  std::lock_guard lock(g_mutex);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

}  // namespace synchub::runtime
