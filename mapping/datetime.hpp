// Dates and times for mappings: ISO-8601 and strftime-style patterns, IANA
// time zones (from the system's tz database), exact microseconds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace date {
class time_zone;
}

namespace synchub::mapping {

struct DateTime {
  int64_t micros = 0;      // since 1970-01-01T00:00:00Z
  int offset_minutes = 0;  // the UTC offset it is shown in
};

// An IANA zone ("Asia/Shanghai") or a fixed one ("UTC", "+08:00").
class TimeZone {
 public:
  static std::optional<TimeZone> find(std::string_view name);  // nullopt when unknown
  static TimeZone utc() { return TimeZone{}; }
  int offset_at(int64_t utc_micros) const;     // minutes east of UTC
  int64_t to_utc(int64_t local_micros) const;  // earliest match across DST changes
  const std::string& name() const { return name_; }

 private:
  const date::time_zone* zone_ = nullptr;
  int fixed_minutes_ = 0;
  std::string name_ = "UTC";
};

int64_t days_from_civil(int64_t y, unsigned m, unsigned d);
void civil_from_days(int64_t days, int64_t& y, unsigned& m, unsigned& d);

// Without a pattern: ISO-8601 ("2024-03-01", "2024-03-01T10:00:00+08:00",
// space instead of T, fractional seconds, Z). Text without an offset is read
// in `zone`. With a pattern: %Y %m %d %H %M %S %f (fraction) %z (+0800 or
// +08:00) %% and literal characters.
std::optional<DateTime> parse_datetime(std::string_view text, std::string_view pattern, const TimeZone& zone);
std::optional<int64_t> parse_date(std::string_view text, std::string_view pattern);  // days since epoch

// Patterns: %Y %y %m %d %H %M %S %L (milliseconds) %f (microseconds) %z
// (+0800) %:z (+08:00) %F (%Y-%m-%d) %T (%H:%M:%S) %j %%.
// Default pattern: ISO-8601 with offset ("2024-03-01T10:00:00+08:00").
void format_datetime(std::string& out, const DateTime& t, std::string_view pattern);
void format_date(std::string& out, int64_t days, std::string_view pattern);  // default %Y-%m-%d

// Epoch times: the patterns "epoch_s" and "epoch_ms" read and write seconds or milliseconds
// since 1970-01-01T00:00:00Z (integers; a fraction down to the microsecond). An instant is
// shown in the zone it is read in; its date is the date there.
inline constexpr std::string_view kEpochSeconds = "epoch_s", kEpochMillis = "epoch_ms";
inline bool is_epoch(std::string_view pattern) {
  return pattern == kEpochSeconds || pattern == kEpochMillis;
}
std::optional<int64_t> parse_epoch(std::string_view text, std::string_view unit);  // micros

// Checks a pattern at load time: "" or the reason it is not usable.
[[nodiscard]] std::string check_pattern(std::string_view pattern);

}  // namespace synchub::mapping
