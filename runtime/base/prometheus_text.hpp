// Prometheus text exposition format: the pieces /metrics is written with
// (the admin API's families and the Kafka bus's).
#pragma once

#include <cstdio>
#include <string>

namespace synchub::runtime::prometheus {

// The "# HELP" and "# TYPE" lines of a family.
inline void family(std::string& out, const char* name, const char* type, const char* help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n# TYPE ");
  out.append(name).append(" ").append(type).append("\n");
}

// One sample; `labels` is `name="value",...` (values escaped by label()) or empty.
inline void sample(std::string& out, const char* name, const std::string& labels, const std::string& value) {
  out.append(name).append(labels.empty() ? "" : "{" + labels + "}").append(" ").append(value).append("\n");
}

// A label value with backslashes, quotes and newlines escaped.
inline std::string label(const std::string& value) {
  std::string escaped;
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

inline std::string real(double value) {
  char text[40];
  std::snprintf(text, sizeof text, "%.6g", value);
  return std::string(text);
}

}  // namespace synchub::runtime::prometheus
