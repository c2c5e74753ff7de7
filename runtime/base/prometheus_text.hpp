// Prometheus text exposition format: the one writer /metrics is written with (the admin API's
// families, the sources', the Kafka bus's, the process's). Numbers are exact: integers print as
// integers (a cursor time 1704074231, not 1.70407e+09), other values with the fewest digits that
// read back as the same double.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace synchub::runtime::prometheus {

// An integer as its digits.
inline std::string number(int64_t value) {
  char text[24];
  return std::string(text, std::to_chars(text, text + sizeof text, value).ptr);
}

// A whole double below 2^63 as an integer; otherwise the shortest text that round-trips
// (std::to_chars); NaN and infinities as the format spells them.
inline std::string number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::trunc(value) && std::fabs(value) < 9.2e18) return number(static_cast<int64_t>(value));
  char text[32];
  return std::string(text, std::to_chars(text, text + sizeof text, value).ptr);
}

template <class T>
requires std::is_arithmetic_v<T> std::string number(T value) {
  if constexpr (std::is_floating_point_v<T>)
    return number(static_cast<double>(value));
  else
    return number(static_cast<int64_t>(value));
}

// A label value with backslashes, quotes and newlines escaped.
inline std::string label(std::string_view value) {
  std::string escaped;
  escaped.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == '"') escaped += '\\';
    if (c == '\n') {
      escaped += "\\n";
      continue;
    }
    escaped += c;
  }
  return escaped;
}

// {name, value} pairs, in order; values are escaped when written.
using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

// Appends families and their samples to `out`.
class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  // The "# HELP" and "# TYPE" lines of a family.
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_.append("# HELP ").append(name).append(" ").append(help).append("\n# TYPE ");
    out_.append(name).append(" ").append(type).append("\n");
  }

  template <class T>
  requires std::is_arithmetic_v<T>
  void sample(std::string_view name, Labels labels, T value) {
    out_.append(name);
    const char* separator = "{";
    for (const auto& [key, text] : labels) {
      out_.append(separator).append(key).append("=\"").append(label(text)).append("\"");
      separator = ",";
    }
    if (labels.size() > 0) out_.append("}");
    out_.append(" ").append(number(value)).append("\n");
  }

  // A family of one unlabelled sample.
  template <class T>
  requires std::is_arithmetic_v<T>
  void single(std::string_view name, std::string_view type, std::string_view help, T value) {
    family(name, type, help);
    sample(name, {}, value);
  }

 private:
  std::string& out_;
};

}  // namespace synchub::runtime::prometheus
