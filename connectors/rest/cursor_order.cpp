#include "connectors/rest/cursor_order.hpp"

#include <stdexcept>

#include "config/units.hpp"

namespace synchub::connectors::rest {

int compare_text_or_number(const std::string& a, const std::string& b) {
  auto x = config::parse_int(a), y = config::parse_int(b);
  if (x && y) return *x < *y ? -1 : *x > *y;
  return a < b ? -1 : a > b;
}

std::string CursorOrder::check_format(const std::string& format) {
  if (format.find('%') != std::string::npos) return mapping::check_pattern(format);
  if (format != "text" && format != "iso" && format != "epoch_ms" && format != "epoch_s")
    return "expected text, iso, epoch_ms, epoch_s or a date pattern with % fields, got '" + format + "'";
  return {};
}

std::string CursorOrder::check_time_zone(const std::string& time_zone) {
  return mapping::TimeZone::find(time_zone) ? ""
                                            : "unknown time zone '" + time_zone + "' (an IANA name, UTC or +08:00)";
}

CursorOrder::CursorOrder(const std::string& format, const std::string& time_zone) : format_(format) {
  if (std::string e = check_time_zone(time_zone); !e.empty()) throw std::runtime_error("cursor.time_zone: " + e);
  zone_ = *mapping::TimeZone::find(time_zone);
  if (std::string e = check_format(format_); !e.empty()) throw std::runtime_error("cursor.format: " + e);
}

std::optional<int64_t> CursorOrder::micros(const std::string& value) const {
  if (format_ == "epoch_ms" || format_ == "epoch_s") {
    auto n = config::parse_int(value);
    if (!n) return std::nullopt;
    return *n * (format_ == "epoch_ms" ? 1000 : 1000000);
  }
  auto t = mapping::parse_datetime(value, format_ == "iso" ? "" : format_, zone_);
  if (!t) return std::nullopt;
  return t->micros;
}

int CursorOrder::compare(const std::string& a, const std::string& b) const {
  if (format_ != "text") {
    auto x = micros(a), y = micros(b);
    if (x && y) return *x < *y ? -1 : *x > *y;
  }
  return compare_text_or_number(a, b);  // unreadable values: as text
}

std::string CursorOrder::minus(const std::string& value, std::chrono::milliseconds overlap) const {
  if (overlap.count() == 0) return value;
  auto at = micros(value);
  if (!at) return value;
  const int64_t earlier = *at - overlap.count() * 1000;
  if (format_ == "iso") {  // in the offset the value was written in
    mapping::DateTime t{earlier, zone_.offset_at(earlier)};
    if (auto parsed = mapping::parse_datetime(value, "", zone_)) t.offset_minutes = parsed->offset_minutes;
    std::string out;
    mapping::format_datetime(out, t, "");
    return out;
  }
  return format(earlier);
}

std::string CursorOrder::format(int64_t epoch_micros) const {
  if (format_ == "epoch_ms") return std::to_string(epoch_micros / 1000);
  if (format_ == "epoch_s") return std::to_string(epoch_micros / 1000000);
  std::string out;
  mapping::format_datetime(out, {epoch_micros, zone_.offset_at(epoch_micros)}, format_ == "iso" ? "" : format_);
  return out;
}

}  // namespace synchub::connectors::rest
