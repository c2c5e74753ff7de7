// Field tables and stream roles of the generated reference docs (config/docs.hpp).
#include <cctype>

#include "config/docs.hpp"

namespace synchub::config {

// A value shown as code in a table cell. Pipes are escaped (GitHub tables split cells on them even
// inside code), a value holding a backtick gets a longer fence, an empty one is shown as "".
std::string md_code(const std::string& text) {
  if (text.empty()) return "`\"\"`";
  std::string escaped;
  for (char c : text) escaped += c == '|' ? std::string("\\|") : std::string(1, c);
  if (text.find('`') != std::string::npos) return "`` " + escaped + " ``";
  return "`" + escaped + "`";
}

// A spec's prose in a table cell: `code` spans kept as written; outside them the characters
// GitHub would read as HTML, emphasis or a cell border are escaped (an underscore is only read
// as emphasis at a word's edge, which snake_case names are not); line breaks become spaces.
std::string md_prose(const std::string& text) {
  std::string out;
  bool in_code = false;
  for (char c : text) {
    if (c == '`') in_code = !in_code;
    if (c == '\n') c = ' ';
    if (c == '|') {
      out += "\\|";
    } else if (!in_code && c == '<') {
      out += "&lt;";
    } else if (!in_code && c == '>') {
      out += "&gt;";
    } else if (!in_code && (c == '*' || c == '\\')) {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
  return out;
}

namespace {

std::string join(const std::vector<std::string>& items, const std::string& last_separator) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += i + 1 == items.size() ? last_separator : ", ";
    out += items[i];
  }
  return out;
}

std::string bounds(const FieldSpec& f) {
  if (!f.min && !f.max) return "";
  if (f.min && f.max)
    return f.min == f.max ? std::to_string(*f.min) : std::to_string(*f.min) + "–" + std::to_string(*f.max);
  return f.min ? "≥ " + std::to_string(*f.min) : "≤ " + std::to_string(*f.max);
}

std::string type_text(const FieldSpec& f) {
  std::string text;
  switch (f.type) {
    case FieldType::String: text = "string"; break;
    case FieldType::Int: text = "integer"; break;
    case FieldType::Bool: text = "boolean"; break;
    case FieldType::Duration: text = "duration"; break;
    case FieldType::Size: text = "size"; break;
    case FieldType::Path: text = "path"; break;
    case FieldType::StringList: text = "list of strings"; break;
    case FieldType::StringMap: text = "mapping of strings"; break;
    case FieldType::Section: text = f.items.empty() ? "mapping" : "mapping, or a list of mappings"; break;
    case FieldType::Enum: {
      std::vector<std::string> options;
      for (const auto& o : f.options) options.push_back(md_code(o));
      text = "one of " + join(options, ", ");
      break;
    }
  }
  const std::string range = bounds(f);
  if (!range.empty()) text += f.type == FieldType::String ? " (length " + range + ")" : " (" + range + ")";
  if (f.secret) text += ", secret";
  return text;
}

void add_rows(const std::vector<FieldSpec>& fields, const std::string& prefix, std::string& out) {
  for (const auto& f : fields) {
    std::string description = md_prose(f.description);
    if (!f.items.empty()) description += " As a list: the `" + prefix + f.name + "[]` fields.";
    if (!f.example.empty()) description += " Example: " + md_code(f.example) + ".";
    out += "| " + md_code(prefix + f.name) + " | " + type_text(f) + " | " + (f.required ? "yes" : "") + " | " +
           (f.default_value ? md_code(*f.default_value) : "") + " | " + description + " |\n";
    if (f.type != FieldType::Section) continue;
    add_rows(f.fields, prefix + f.name + ".", out);
    add_rows(f.items, prefix + f.name + "[].", out);
  }
}

// Settings as the loader gives a stream that sets nothing: every default.
void set_defaults(const std::vector<FieldSpec>& fields, const std::string& prefix, Settings& out) {
  for (const auto& f : fields) {
    if (f.type == FieldType::Section) set_defaults(f.fields, prefix + f.name + ".", out);
    if (!f.default_value) continue;
    Value value;
    value.text = *f.default_value;
    value.from_default = true;
    out.set(prefix + f.name, value);
  }
}

StreamRoles roles_of(const ConnectorSpec& spec, const Settings& settings) {
  try {
    return spec.stream_roles(settings);
  } catch (const std::exception&) {
    return {};  // settings the spec's rules never see: no role
  }
}

// Which settings of one text field turn a role on that the defaults leave off.
struct Trigger {
  std::string field;
  std::vector<std::string> source_values, sink_values;
};

void probe(const ConnectorSpec& spec, const std::vector<FieldSpec>& fields, const std::string& prefix,
           const Settings& defaults, const StreamRoles& base, std::vector<Trigger>& out) {
  for (const auto& f : fields) {
    if (f.type == FieldType::Section) probe(spec, f.fields, prefix + f.name + ".", defaults, base, out);
    if (f.type != FieldType::String && f.type != FieldType::Path && f.type != FieldType::Enum) continue;
    Trigger trigger{prefix + f.name, {}, {}};
    const std::vector<std::string> values =
        f.type == FieldType::Enum ? f.options : std::vector<std::string>{f.example.empty() ? "x" : f.example};
    for (const auto& v : values) {
      Settings settings = defaults;
      Value value;
      value.text = v;
      settings.set(trigger.field, value);
      const StreamRoles roles = roles_of(spec, settings);
      if (roles.source && !base.source) trigger.source_values.push_back(v);
      if (roles.sink && !base.sink) trigger.sink_values.push_back(v);
    }
    if (!trigger.source_values.empty() || !trigger.sink_values.empty()) out.push_back(std::move(trigger));
  }
}

// "it sets `inbox`", "it sets `write.path` or `write.batch.path`", "`entity` is `credit` or
// `customers`", joined with "or".
std::string condition(const std::vector<Trigger>& triggers, const std::vector<FieldSpec>& fields, bool sink) {
  std::vector<std::string> set_fields, parts;
  for (const auto& t : triggers) {
    const auto& values = sink ? t.sink_values : t.source_values;
    if (values.empty()) continue;
    const FieldSpec* enum_field = nullptr;
    for (const auto& f : fields)
      if (f.name == t.field && f.type == FieldType::Enum) enum_field = &f;
    if (!enum_field || values.size() == enum_field->options.size()) {
      set_fields.push_back(md_code(t.field));
      continue;
    }
    std::vector<std::string> shown;
    for (const auto& v : values) shown.push_back(md_code(v));
    parts.push_back(md_code(t.field) + " is " + join(shown, " or "));
  }
  if (!set_fields.empty()) parts.insert(parts.begin(), "it sets " + join(set_fields, " or "));
  return join(parts, " or ");
}

}  // namespace

std::string field_table(const std::vector<FieldSpec>& fields) {
  std::string out = "| Field | Type | Required | Default | Description |\n|---|---|---|---|---|\n";
  add_rows(fields, "", out);
  return out;
}

std::string stream_roles_text(const ConnectorSpec& spec) {
  if (!spec.stream_roles) return "";
  Settings defaults;
  set_defaults(spec.stream_fields, "", defaults);
  const StreamRoles base = roles_of(spec, defaults);
  std::vector<Trigger> triggers;
  probe(spec, spec.stream_fields, "", defaults, base, triggers);
  auto clause = [&](bool always, bool sink) -> std::string {
    const std::string role = sink ? "a sink (a flow's `to`)" : "a source (a flow's `from`)";
    if (always) return "every stream of this type is " + role;
    const std::string when = condition(triggers, spec.stream_fields, sink);
    return when.empty() ? "no stream of this type is " + role : "a stream is " + role + " when " + when;
  };
  std::string text = clause(base.source, false) + "; " + clause(base.sink, true) + ".";
  text[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
  return text;
}

}  // namespace synchub::config
