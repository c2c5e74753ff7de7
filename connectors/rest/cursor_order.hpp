// How the values of an incremental cursor field compare and step back:
// text, numbers, epoch seconds or milliseconds, ISO-8601 instants, or local
// times in a pattern and time zone ("2024-03-01 10:00:00" in Asia/Shanghai).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "mapping/datetime.hpp"

namespace synchub::connectors::rest {

// Numbers compare as numbers when both are integers, else as text.
int compare_text_or_number(const std::string& a, const std::string& b);

class CursorOrder {
 public:
  // format: text, iso, epoch_ms, epoch_s or a pattern with % fields; throws when unusable.
  CursorOrder(const std::string& format, const std::string& time_zone);
  // What is wrong with a `cursor.format` / `cursor.time_zone` ("" when fine): the spec's checks.
  [[nodiscard]] static std::string check_format(const std::string& format);
  [[nodiscard]] static std::string check_time_zone(const std::string& time_zone);
  bool is_time() const { return format_ != "text"; }
  int compare(const std::string& a, const std::string& b) const;  // <0, 0, >0
  // The value `overlap` earlier, written the way the field writes it.
  std::string minus(const std::string& value, std::chrono::milliseconds overlap) const;
  // A point in time written the way the field writes it (a time format only).
  std::string format(int64_t epoch_micros) const;
  std::optional<int64_t> micros(const std::string& value) const;  // since the epoch, UTC

 private:
  std::string format_;
  mapping::TimeZone zone_ = mapping::TimeZone::utc();
};

}  // namespace synchub::connectors::rest
