#include "connectors/tryton/values.hpp"

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <vector>

#include "mapping/decimal.hpp"

namespace synchub::connectors::tryton {
namespace {

int field(const Json& object, const char* name) {
  return object.value(name, 0);
}

std::string two(int n) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "%02d", n);
  return buffer;
}

// nlohmann's SAX interface building a DOM, floats kept as their literal text.
class ExactBuilder {
 public:
  Json root;
  bool null() { return add(Json()); }
  bool boolean(bool v) { return add(Json(v)); }
  bool number_integer(Json::number_integer_t v) { return add(Json(v)); }
  bool number_unsigned(Json::number_unsigned_t v) { return add(Json(v)); }
  bool number_float(Json::number_float_t, const std::string& literal) { return add(Json(literal)); }
  bool string(std::string& v) { return add(Json(std::move(v))); }
  bool binary(Json::binary_t&) { return false; }
  bool start_object(std::size_t) {
    Json* made = place(Json::object());
    stack_.push_back(made);
    return true;
  }
  bool key(std::string& name) {
    key_ = std::move(name);
    return true;
  }
  bool end_object() {
    stack_.pop_back();
    return true;
  }
  bool start_array(std::size_t) {
    Json* made = place(Json::array());
    stack_.push_back(made);
    return true;
  }
  bool end_array() {
    stack_.pop_back();
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return false; }

 private:
  bool add(Json value) {
    place(std::move(value));
    return true;
  }
  Json* place(Json value) {
    if (stack_.empty()) {
      root = std::move(value);
      return &root;
    }
    Json& parent = *stack_.back();
    if (parent.is_array()) {
      parent.push_back(std::move(value));
      return &parent.back();
    }
    Json& slot = parent[key_];
    slot = std::move(value);
    return &slot;
  }
  std::vector<Json*> stack_;
  std::string key_;
};

bool plain_decimal(std::string_view text) {
  size_t i = 0;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
  bool digits = false, point = false;
  for (; i < text.size(); ++i) {
    if (text[i] >= '0' && text[i] <= '9') {
      digits = true;
    } else if (text[i] == '.' && !point) {
      point = true;
    } else {
      return false;
    }
  }
  return digits;
}

}  // namespace

std::string scalar_text(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "";
  return value.dump();
}

Json to_record(const Json& value) {
  if (value.is_array()) {
    Json out = Json::array();
    for (const Json& item : value) out.push_back(to_record(item));
    return out;
  }
  if (!value.is_object()) return value;
  const std::string kind = value.contains("__class__") ? scalar_text(value["__class__"]) : "";
  if (kind == "Decimal") return scalar_text(value["decimal"]);
  if (kind == "date")
    return std::to_string(field(value, "year")) + "-" + two(field(value, "month")) + "-" + two(field(value, "day"));
  if (kind == "datetime") {
    char fraction[8];
    std::snprintf(fraction, sizeof fraction, "%06d", field(value, "microsecond"));
    return std::to_string(field(value, "year")) + "-" + two(field(value, "month")) + "-" + two(field(value, "day")) +
           "T" + two(field(value, "hour")) + ":" + two(field(value, "minute")) + ":" + two(field(value, "second")) +
           "." + fraction + "Z";
  }
  if (kind == "time")
    return two(field(value, "hour")) + ":" + two(field(value, "minute")) + ":" + two(field(value, "second"));
  if (kind == "timedelta") return value.value("seconds", Json(0));
  Json out = Json::object();
  for (const auto& [name, member] : value.items()) out[name] = to_record(member);
  return out;
}

Json tryton_datetime(std::string_view iso) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  char separator = 0;
  int used = 0;
  const std::string text(iso);
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%c%2d:%2d:%2d%n", &year, &month, &day, &separator, &hour, &minute, &second,
                  &used) != 7 ||
      (separator != 'T' && separator != ' '))
    throw std::invalid_argument("not a datetime: \"" + text + "\"");
  int microsecond = 0;
  size_t at = static_cast<size_t>(used);
  if (at < text.size() && text[at] == '.') {
    std::string digits;
    for (++at; at < text.size() && text[at] >= '0' && text[at] <= '9'; ++at) digits += text[at];
    digits = (digits + "000000").substr(0, 6);
    microsecond = std::stoi(digits);
  }
  if (at < text.size() && text[at] == 'Z') ++at;
  if (at != text.size()) throw std::invalid_argument("not a UTC datetime: \"" + text + "\"");
  return {{"__class__", "datetime"},
          {"year", year},
          {"month", month},
          {"day", day},
          {"hour", hour},
          {"minute", minute},
          {"second", second},
          {"microsecond", microsecond}};
}

int64_t iso_micros(std::string_view iso) {
  const Json t = tryton_datetime(iso);
  const auto days =
      std::chrono::sys_days(std::chrono::year(t["year"].get<int>()) / t["month"].get<int>() / t["day"].get<int>());
  const int64_t seconds = std::chrono::duration_cast<std::chrono::seconds>(days.time_since_epoch()).count() +
                          (t["hour"].get<int64_t>() * 60 + t["minute"].get<int64_t>()) * 60 +
                          t["second"].get<int64_t>();
  return seconds * 1000000 + t["microsecond"].get<int64_t>();
}

std::string iso_from_micros(int64_t micros) {
  const auto at = std::chrono::sys_time<std::chrono::microseconds>(std::chrono::microseconds(micros));
  const auto days = std::chrono::floor<std::chrono::days>(at);
  const std::chrono::year_month_day date(days);
  const std::chrono::hh_mm_ss time(at - days);
  char text[40];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d.%06dZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                static_cast<int>(time.seconds().count()), static_cast<int>(time.subseconds().count()));
  return text;
}

Json tryton_date(std::string_view iso_date) {
  int year = 0, month = 0, day = 0;
  const std::string text(iso_date);
  int used = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%n", &year, &month, &day, &used) != 3 ||
      static_cast<size_t>(used) != text.size())
    throw std::invalid_argument("not a date (YYYY-MM-DD): \"" + text + "\"");
  return {{"__class__", "date"}, {"year", year}, {"month", month}, {"day", day}};
}

Json tryton_decimal(const Json& value) {
  const std::string text = scalar_text(value);
  if (!plain_decimal(text))
    throw std::invalid_argument("not a decimal: " + (value.is_string() ? "\"" + text + "\"" : text));
  return {{"__class__", "Decimal"}, {"decimal", text}};
}

bool same_decimal(const Json& a, const Json& b) {
  const auto x = mapping::Decimal::parse(scalar_text(a)), y = mapping::Decimal::parse(scalar_text(b));
  return x && y && *x == *y;
}

Json parse_exact(std::string_view json) {
  ExactBuilder builder;
  if (!Json::sax_parse(json, &builder)) return Json(Json::value_t::discarded);
  return std::move(builder.root);
}

}  // namespace synchub::connectors::tryton
