#include "mapping/yaml_json.hpp"

#include <yaml-cpp/yaml.h>

#include <regex>

#include "mapping/record.hpp"

namespace synchub::mapping {

bool is_number_text(const std::string& s) {
  static const std::regex number(R"(-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?)");
  return std::regex_match(s, number);
}

bool plain(const YAML::Node& n) {
  return n.Tag() != "!";
}

void yaml_to_json(const YAML::Node& n, std::string& out) {
  if (n.IsMap()) {
    out += '{';
    bool first = true;
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (!first) out += ',';
      first = false;
      append_json_string(out, it->first.Scalar());
      out += ':';
      yaml_to_json(it->second, out);
    }
    out += '}';
  } else if (n.IsSequence()) {
    out += '[';
    for (size_t i = 0; i < n.size(); ++i) {
      if (i) out += ',';
      yaml_to_json(n[i], out);
    }
    out += ']';
  } else if (!n.IsDefined() || n.IsNull()) {
    out += "null";
  } else {
    const std::string& s = n.Scalar();
    if (plain(n) && (s == "true" || s == "false" || is_number_text(s)))
      out += s;
    else if (plain(n) && (s == "null" || s == "~"))
      out += "null";
    else
      append_json_string(out, s);
  }
}

}  // namespace synchub::mapping
