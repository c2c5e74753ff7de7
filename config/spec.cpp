#include "config/spec.hpp"

#include "config/units.hpp"

namespace synchub::config {

const Value& Settings::value(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw std::logic_error("config field '" + name + "' is not set");
  return it->second;
}

const std::string& Settings::str(const std::string& name) const {
  return value(name).text;
}

std::string Settings::str_or(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second.text;
}

void Settings::derive_default(const std::string& name, std::string text) {
  if (has(name)) return;
  Value v;
  v.text = std::move(text);
  v.from_default = true;
  set(name, std::move(v));
}

// Values were checked at validation; a failure here is a programming error.
int64_t Settings::integer(const std::string& name) const {
  return parse_int(str(name)).value();
}
bool Settings::boolean(const std::string& name) const {
  return parse_bool(str(name)).value();
}
std::chrono::milliseconds Settings::duration(const std::string& name) const {
  return parse_duration(str(name)).value();
}
uint64_t Settings::size(const std::string& name) const {
  return parse_size(str(name)).value();
}
const std::vector<std::string>& Settings::list(const std::string& name) const {
  static const std::vector<std::string> none;
  return has(name) ? value(name).list : none;
}

const std::vector<std::pair<std::string, std::string>>& Settings::map(const std::string& name) const {
  static const std::vector<std::pair<std::string, std::string>> none;
  return has(name) ? value(name).map : none;
}

size_t Settings::count(const std::string& name) const {
  auto it = values_.find(name + ".count");
  return it == values_.end() ? 0 : static_cast<size_t>(parse_int(it->second.text).value_or(0));
}

const char* type_name(FieldType type) {
  switch (type) {
    case FieldType::String: return "string";
    case FieldType::Int: return "integer";
    case FieldType::Bool: return "boolean (true/false)";
    case FieldType::Duration: return "duration like \"30s\", \"5m\", \"250ms\"";
    case FieldType::Size: return "size like \"64MiB\", \"1GB\"";
    case FieldType::Enum: return "one of the listed values";
    case FieldType::Path: return "path";
    case FieldType::StringList: return "list of strings";
    case FieldType::StringMap: return "mapping of strings";
    case FieldType::Section: return "mapping";
  }
  return "value";
}

}  // namespace synchub::config
