// Reads YAML nodes against FieldSpecs: substitution of ${VAR} / ${file:PATH},
// strict scalar types, unknown and duplicate keys, all with file:line:col.
#pragma once

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <optional>
#include <set>
#include <string>

#include "config/diagnostics.hpp"
#include "config/spec.hpp"

namespace synchub::config {

class YamlReader {
 public:
  YamlReader(std::string file, Diagnostics& diagnostics, ReferenceMode references = ReferenceMode::Resolve);

  // Parses the file; a syntax error is reported and yields a null node.
  YAML::Node load();

  Mark mark(const YAML::Node& node) const;
  const std::string& file() const { return file_; }
  const std::filesystem::path& base_dir() const { return base_dir_; }
  Diagnostics& diagnostics() { return diagnostics_; }
  // The values read with a reference left as written (see ReferenceMode), in file order.
  const std::vector<Reference>& kept_references() const { return kept_; }

  // Scalar text with ${...} substituted; `sensitive` is set when substitution happened.
  std::optional<std::string> scalar(const YAML::Node& node, const std::string& path, bool& sensitive);

  // Keys of a mapping in file order, reporting duplicates. Null when `node` is
  // not a mapping (reported with `what`).
  bool expect_map(const YAML::Node& node, const std::string& path, const Mark& where);
  struct Entry {
    std::string key;
    YAML::Node value;
    Mark key_mark;
  };
  std::vector<Entry> entries(const YAML::Node& map, const std::string& path);
  std::optional<std::string> key_text(const YAML::Node& key, const std::string& path);

  // Validates `map` against `fields` into `out`; keys in `handled` belong to
  // the caller and are neither checked nor reported.
  void read_fields(const YAML::Node& map, const std::vector<FieldSpec>& fields, const std::string& path,
                   const Mark& section_mark, Settings& out, const std::set<std::string>& handled = {},
                   const std::string& prefix = "");

 private:
  void read_value(const YAML::Node& node, const FieldSpec& field, const std::string& path, Settings& out,
                  const std::string& name);
  void read_items(const YAML::Node& list, const FieldSpec& field, const std::string& path, Settings& out,
                  const std::string& name);
  // `kept`: a reference was left as written (then the text is returned unsubstituted).
  std::optional<std::string> substitute(const std::string& text, const Mark& mark, const std::string& path,
                                        bool& sensitive, bool& kept);
  // A field's value whose text still holds a reference: its type cannot be checked.
  void read_kept(const FieldSpec& field, Value value, const std::string& text, Settings& out, const std::string& name);

  std::string file_;
  std::filesystem::path base_dir_;
  Diagnostics& diagnostics_;
  ReferenceMode references_;
  std::vector<Reference> kept_;
};

std::string join_path(const std::string& parent, const std::string& child);

}  // namespace synchub::config
