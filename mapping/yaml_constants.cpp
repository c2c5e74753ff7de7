#include "mapping/yaml_constants.hpp"

#include <yaml-cpp/yaml.h>

#include "mapping/json_writer.hpp"
#include "mapping/yaml_json.hpp"

namespace synchub::mapping {

using config::join_path;

void ConstantReader::error(const YAML::Node& n, const std::string& path, const std::string& message) {
  diags_.error(reader_.mark(n), path, message);
}

// A constant from YAML: scalars, [] and {}.
std::optional<Value> ConstantReader::constant(const YAML::Node& n, const std::string& path, std::string& storage) {
  if (!n.IsDefined() || n.IsNull()) return Value::null();
  if (n.IsSequence() && n.size() == 0) return Value::of_list(nullptr, 0);
  if (n.IsMap() && n.size() == 0) return Value::of_object(nullptr, 0);
  if (!n.IsScalar()) {
    error(n, path, "expected a single value ([] and {} are allowed; build others with expr:)");
    return std::nullopt;
  }
  storage = n.Scalar();
  if (plain(n)) {
    if (storage == "true" || storage == "false") return Value::of_bool(storage == "true");
    if (storage == "null" || storage == "~") return Value::null();
    if (is_number_text(storage)) {
      auto d = Decimal::parse(storage);
      if (!d) {
        error(n, path, "number has more than 38 digits");
        return std::nullopt;
      }
      return Value::of_number(*d, storage);
    }
  }
  return Value::of_string(storage, is_plain_json_text(storage));
}

// A table's value: a scalar, or a list or object of them at any depth ({FNumber: tai}), kept in
// the table's own storage.
std::optional<Value> ConstantReader::table_value(const YAML::Node& n, const std::string& path, Table& table) {
  if (n.IsSequence() && n.size() > 0) {
    std::vector<Value>& items = table.lists.emplace_back();
    items.reserve(n.size());  // no reallocation: the values point into it
    for (size_t i = 0; i < n.size(); ++i) {
      auto v = table_value(n[i], path + "[" + std::to_string(i) + "]", table);
      if (!v) return std::nullopt;
      items.push_back(*v);
    }
    return Value::of_list(items.data(), static_cast<uint32_t>(items.size()));
  }
  if (n.IsMap() && n.size() > 0) {
    std::vector<Member>& members = table.objects.emplace_back();
    members.reserve(n.size());
    for (const auto& e : reader_.entries(n, path)) {
      const std::string& name = table.storage.emplace_back(e.key);
      auto v = table_value(e.value, path + "." + e.key, table);
      if (!v) return std::nullopt;
      members.push_back({name, *v});
    }
    return Value::of_object(members.data(), static_cast<uint32_t>(members.size()));
  }
  std::string& text = table.storage.emplace_back();
  auto v = constant(n, path, text);
  if (v && (v->kind == ValueKind::String || (v->kind == ValueKind::Number && !v->text.empty()))) v->text = text;
  return v;
}

void ConstantReader::fill_table(Table& table, const YAML::Node& map, const std::string& path) {
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (!it->first.IsScalar()) {
      error(it->first, path, "table keys must be single values");
      continue;
    }
    auto v = table_value(it->second, join_path(path, it->first.Scalar()), table);
    if (!v) continue;
    if (!table.insert(it->first.Scalar(), *v))
      error(it->first, join_path(path, it->first.Scalar()), "duplicate key in table");
  }
}

}  // namespace synchub::mapping
