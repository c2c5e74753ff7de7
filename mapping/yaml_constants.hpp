// The constants of a mapping file as Values: scalars (with [] and {}) for
// `value:` and expressions, and the values of tables, lists and objects at any
// depth ({FNumber: tai}), kept in the table's own storage.
#pragma once

#include <optional>
#include <string>

#include "config/yaml_reader.hpp"
#include "mapping/expression.hpp"

namespace synchub::mapping {

class ConstantReader {
 public:
  ConstantReader(config::YamlReader& reader, config::Diagnostics& diags) : reader_(reader), diags_(diags) {}
  // A scalar, [] or {} (the text of strings and numbers in `storage`); nullopt after reporting why not.
  std::optional<Value> constant(const YAML::Node& n, const std::string& path, std::string& storage);
  // The entries of a table's YAML mapping into `table`, each mistake reported.
  void fill_table(Table& table, const YAML::Node& map, const std::string& path);

 private:
  std::optional<Value> table_value(const YAML::Node& n, const std::string& path, Table& table);
  void error(const YAML::Node& n, const std::string& path, const std::string& message);

  config::YamlReader& reader_;
  config::Diagnostics& diags_;
};

}  // namespace synchub::mapping
