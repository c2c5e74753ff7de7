#include "config/yaml_reader.hpp"

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "config/units.hpp"

namespace synchub::config {

std::string join_path(const std::string& parent, const std::string& child) {
  return parent.empty() ? child : parent + "." + child;
}

YamlReader::YamlReader(std::string file, Diagnostics& diagnostics, ReferenceMode references)
    : file_(std::move(file)), diagnostics_(diagnostics), references_(references) {
  base_dir_ = std::filesystem::absolute(file_).parent_path();
}

YAML::Node YamlReader::load() {
  std::ifstream in(file_);
  if (!in) {
    diagnostics_.error({file_, 0, 0}, "", "cannot read file");
    return YAML::Node();
  }
  try {
    return YAML::Load(in);
  } catch (const YAML::ParserException& e) {
    diagnostics_.error({file_, e.mark.line + 1, e.mark.column + 1}, "", "YAML syntax error: " + e.msg);
  }
  return YAML::Node();
}

Mark YamlReader::mark(const YAML::Node& node) const {
  YAML::Mark m = node.Mark();
  if (m.is_null()) return {file_, 0, 0};
  return {file_, m.line + 1, m.column + 1};
}

std::optional<std::string> YamlReader::substitute(const std::string& text, const Mark& mark, const std::string& path,
                                                  bool& sensitive, bool& kept) {
  if (text.find('$') == std::string::npos) return text;
  const bool keep_unset = references_ != ReferenceMode::Resolve, read_env = references_ != ReferenceMode::KeepAll;
  std::string out, unresolved;
  const auto keep = [&](const std::string& ref) {
    kept = true;
    unresolved += (unresolved.empty() ? "${" : ", ${") + ref + "}";
  };
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$') {
      out += text[i];
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '$') {  // "$$" is a literal "$"
      out += '$';
      ++i;
      continue;
    }
    if (i + 1 >= text.size() || text[i + 1] != '{') {
      out += '$';
      continue;
    }
    size_t close = text.find('}', i + 2);
    if (close == std::string::npos) {
      diagnostics_.error(mark, path, "unterminated '${' (write '$$' for a literal '$')");
      return std::nullopt;
    }
    std::string ref = text.substr(i + 2, close - i - 2);
    sensitive = true;
    i = close;
    if (ref.rfind("file:", 0) == 0) {
      std::filesystem::path secret_path = ref.substr(5);
      if (secret_path.is_relative()) secret_path = base_dir_ / secret_path;
      std::ifstream in;
      if (read_env) in.open(secret_path, std::ios::binary);
      if (!read_env || !in) {
        if (keep_unset) {
          keep(ref);
          continue;
        }
        diagnostics_.error(mark, path, "cannot read secret file '" + ref.substr(5) + "'");
        return std::nullopt;
      }
      std::stringstream buffer;
      buffer << in.rdbuf();
      std::string content = buffer.str();
      while (!content.empty() && (content.back() == '\n' || content.back() == '\r')) content.pop_back();
      out += content;
      continue;
    }
    // ${NAME:-default}: the default when NAME is unset or empty, as in the shell.
    const size_t dash = ref.find(":-");
    const std::string name = ref.substr(0, dash);
    const char* env = read_env ? std::getenv(name.c_str()) : nullptr;
    if (dash != std::string::npos && (!env || !*env)) {
      out += ref.substr(dash + 2);
    } else if (env) {
      out += env;
    } else if (keep_unset) {
      keep(ref);
    } else {
      diagnostics_.error(mark, path, "environment variable '" + name + "' is not set");
      return std::nullopt;
    }
  }
  if (!kept) return out;
  kept_.push_back({path, mark, unresolved});
  return text;
}

std::optional<std::string> YamlReader::scalar(const YAML::Node& node, const std::string& path, bool& sensitive) {
  bool kept = false;
  return substitute(node.Scalar(), mark(node), path, sensitive, kept);
}

bool YamlReader::expect_map(const YAML::Node& node, const std::string& path, const Mark& where) {
  if (node.IsMap()) return true;
  std::string got = node.IsSequence() ? "a list" : node.IsNull() ? "nothing" : "a scalar";
  diagnostics_.error(node.IsNull() ? where : mark(node), path, "expected a mapping, got " + got);
  return false;
}

std::optional<std::string> YamlReader::key_text(const YAML::Node& key, const std::string& path) {
  if (!key.IsScalar()) {
    diagnostics_.error(mark(key), path, "expected a plain key");
    return std::nullopt;
  }
  return key.Scalar();
}

std::vector<YamlReader::Entry> YamlReader::entries(const YAML::Node& map, const std::string& path) {
  std::vector<Entry> out;
  std::set<std::string> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    auto key = key_text(it->first, path);
    if (!key) continue;
    if (!seen.insert(*key).second) {
      diagnostics_.error(mark(it->first), join_path(path, *key), "duplicate key");
      continue;
    }
    out.push_back({*key, it->second, mark(it->first)});
  }
  return out;
}

void YamlReader::read_fields(const YAML::Node& map, const std::vector<FieldSpec>& fields, const std::string& path,
                             const Mark& section_mark, Settings& out, const std::set<std::string>& handled,
                             const std::string& prefix) {
  if (prefix.empty()) out.set_mark(section_mark);
  std::vector<std::string> valid;
  for (const auto& f : fields) valid.push_back(f.name);
  for (const auto& h : handled) valid.push_back(h);

  std::set<std::string> present;
  if (map.IsMap()) {
    for (auto& [key, node, key_mark] : entries(map, path)) {
      if (handled.count(key)) continue;
      const FieldSpec* field = nullptr;
      for (const auto& f : fields)
        if (f.name == key) field = &f;
      if (!field) {
        diagnostics_.error(key_mark, join_path(path, key), "unknown key '" + key + "'; " + suggest(key, valid));
        continue;
      }
      present.insert(key);
      read_value(node, *field, join_path(path, key), out, prefix + key);
    }
  }
  for (const auto& f : fields) {
    if (present.count(f.name)) continue;
    if (f.type == FieldType::Section) {  // defaults of nested fields apply
      read_fields(YAML::Node(), f.fields, join_path(path, f.name), section_mark, out, {}, prefix + f.name + ".");
      continue;
    }
    if (f.required) {
      diagnostics_.error(section_mark, path, "missing required field '" + f.name + "'");
    } else if (f.default_value) {
      Value v;
      v.text = *f.default_value;
      v.mark = section_mark;
      v.from_default = true;
      if (f.type == FieldType::Path && !v.text.empty() && std::filesystem::path(v.text).is_relative())
        v.text = (base_dir_ / v.text).lexically_normal().string();
      out.set(prefix + f.name, std::move(v));
    }
  }
}

// A Section written as a list of mappings (ordered rules): item i at "name.i.*".
void YamlReader::read_items(const YAML::Node& list, const FieldSpec& field, const std::string& path, Settings& out,
                            const std::string& name) {
  size_t i = 0;
  for (const auto& item : list) {
    const std::string item_path = path + "[" + std::to_string(i) + "]";
    if (expect_map(item, item_path, mark(item)))
      read_fields(item, field.items, item_path, mark(item), out, {}, name + "." + std::to_string(i) + ".");
    ++i;
  }
  Value count;
  count.text = std::to_string(i);
  count.mark = mark(list);
  out.set(name + ".count", std::move(count));
  // The mapping form's fields keep their defaults, so readers need not care which form was written.
  read_fields(YAML::Node(), field.fields, path, mark(list), out, {}, name + ".");
}

void YamlReader::read_value(const YAML::Node& node, const FieldSpec& field, const std::string& path, Settings& out,
                            const std::string& name) {
  const Mark where = mark(node);
  if (field.type == FieldType::Section) {
    if (node.IsSequence() && !field.items.empty()) return read_items(node, field, path, out, name);
    if (!node.IsNull() && !expect_map(node, path, where)) return;
    read_fields(node, field.fields, path, where, out, {}, name + ".");
    return;
  }
  Value value;
  value.mark = where;
  value.sensitive = field.secret;
  value.quoted = node.IsScalar() && node.Tag() == "!";
  if (field.type == FieldType::StringMap) {
    if (!node.IsMap()) {
      diagnostics_.error(where, path, "expected a mapping of names to values");
      return;
    }
    for (const auto& e : entries(node, path)) {
      if (!e.value.IsScalar()) {
        diagnostics_.error(mark(e.value), join_path(path, e.key), "expected a single value");
        continue;
      }
      auto text = scalar(e.value, join_path(path, e.key), value.sensitive);
      if (!text) continue;
      value.map.emplace_back(e.key, *text);
    }
    out.set(name, std::move(value));
    return;
  }
  if (field.type == FieldType::StringList) {
    if (!node.IsSequence()) {
      diagnostics_.error(where, path, "expected a list of strings");
      return;
    }
    for (const auto& item : node) {
      if (!item.IsScalar()) {
        diagnostics_.error(mark(item), path, "expected a string list item");
        return;
      }
      auto text = scalar(item, path, value.sensitive);
      if (!text) return;
      value.list.push_back(*text);
    }
    out.set(name, std::move(value));
    return;
  }
  if (!node.IsScalar()) {
    diagnostics_.error(where, path,
                       std::string("expected ") + type_name(field.type) + ", got " +
                           (node.IsMap()        ? "a mapping"
                            : node.IsSequence() ? "a list"
                                                : "nothing"));
    return;
  }
  bool kept = false;
  auto text = substitute(node.Scalar(), where, path, value.sensitive, kept);
  if (!text) return;
  if (kept) return read_kept(field, std::move(value), *text, out, name);
  // Echo the offending value only when it is safe to print.
  const std::string shown = value.sensitive ? "<hidden>" : "\"" + *text + "\"";
  auto wrong = [&](const std::string& expected) {
    diagnostics_.error(where, path, "expected " + expected + ", got " + shown);
  };
  switch (field.type) {
    case FieldType::Int: {
      std::string expected = "integer";
      if (field.min) expected += " >= " + std::to_string(*field.min);
      if (field.max) expected += std::string(field.min ? " and" : "") + " <= " + std::to_string(*field.max);
      auto n = parse_int(*text);
      if (!n || (field.min && *n < *field.min) || (field.max && *n > *field.max)) return wrong(expected);
      break;
    }
    case FieldType::Bool:
      if (!parse_bool(*text)) return wrong("boolean (true/false)");
      if (*text != "true" && *text != "false") *text = *parse_bool(*text) ? "true" : "false";
      break;
    case FieldType::Duration:
      if (!parse_duration(*text)) return wrong(type_name(field.type));
      break;
    case FieldType::Size:
      if (!parse_size(*text)) return wrong(type_name(field.type));
      break;
    case FieldType::Enum: {
      bool ok = false;
      for (const auto& o : field.options) ok = ok || o == *text;
      if (!ok) {
        diagnostics_.error(where, path, "unknown value " + shown + "; " + suggest(*text, field.options));
        return;
      }
      break;
    }
    case FieldType::Path:
      if (text->empty()) return wrong("a non-empty path");
      if (std::filesystem::path(*text).is_relative()) *text = (base_dir_ / *text).lexically_normal().string();
      break;
    default:
      if (field.required && text->empty()) return wrong("a non-empty string");
      // For strings, min and max bound the length.
      if ((field.min && static_cast<int64_t>(text->size()) < *field.min) ||
          (field.max && static_cast<int64_t>(text->size()) > *field.max)) {
        if (field.min && field.max && *field.min == *field.max)
          return wrong("exactly " + std::to_string(*field.min) + " character(s)");
        return wrong("a string of " + std::to_string(field.min.value_or(0)) + " to " +
                     std::to_string(field.max.value_or(INT64_MAX)) + " characters");
      }
      break;
  }
  if (field.check)
    if (std::string problem = field.check(*text); !problem.empty()) {
      diagnostics_.error(where, path, problem);
      return;
    }
  value.text = std::move(*text);
  out.set(name, std::move(value));
}

void YamlReader::read_kept(const FieldSpec& field, Value value, const std::string& text, Settings& out,
                           const std::string& name) {
  switch (field.type) {
    case FieldType::String:
    case FieldType::Path:
      value.text = text;  // as written: nothing reads it in this mode but to say it is a reference
      break;
    default:
      // A number, flag, duration, size or choice: its default keeps every reader of the field
      // working; a command that needs the value itself finds it among kept_references().
      if (!field.default_value) return;
      value.text = *field.default_value;
      break;
  }
  out.set(name, std::move(value));
}

}  // namespace synchub::config
