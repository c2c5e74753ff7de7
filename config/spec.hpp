// Config specs declared as data in code. One declaration drives validation,
// defaults, typed access and the JSON Schema (`synchub schema`).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/diagnostics.hpp"

namespace synchub::config {

enum class FieldType { String, Int, Bool, Duration, Size, Enum, Path, StringList, StringMap, Section };

struct FieldSpec {
  std::string name;
  FieldType type = FieldType::String;
  std::string description;
  bool required = false;
  std::optional<std::string> default_value;  // as it would be written in YAML
  bool secret = false;                       // never printed
  std::vector<std::string> options;          // Enum
  std::optional<int64_t> min, max;           // Int: value; String: length
  // Section: may instead be a list of mappings of these fields (ordered
  // rules); item i's fields are read as "name.i.field", the count at "name.count".
  std::vector<FieldSpec> items;
  std::vector<FieldSpec> fields;  // Section
  std::string example;
  // A check of the value's meaning beyond its type (a pattern that must compile, a zone that must
  // exist): "" when fine, else the message, reported at the value's file:line:col by `validate`
  // and at start alike.
  std::function<std::string(const std::string& value)> check;
};

// A connector type's declared configuration: fields of the connector itself
// and of each of its streams.
struct StreamRoles {
  bool source = false;
  bool sink = false;
  // Can be read whole (reconciliation) though it is not a source: a file sink's outbox.
  bool readable = false;
};
class Settings;
// A rule across the fields of one section (auth type hmac needs a secret): what is wrong, and
// which field it is reported at (file:line:col of that field, or of the section when absent).
struct SettingsProblem {
  std::string field;  // dotted, inside the section: "auth.secret"
  std::string message;
};
using SettingsCheck = std::function<std::vector<SettingsProblem>(const Settings&)>;

struct ConnectorSpec {
  std::string type;
  std::string description;
  std::string status = "stable";  // stable | beta | experimental
  std::string since = "0.1.0";
  std::vector<FieldSpec> fields;
  std::vector<FieldSpec> stream_fields;
  // Which roles a stream with these (validated) settings can play; a flow's
  // `from` must name a source stream and its `to` a sink stream.
  std::function<StreamRoles(const Settings&)> stream_roles;
  // Rules across fields, run by the loader (so `validate` and `run` say the same, with
  // positions) on a connector's settings and on each stream's.
  SettingsCheck check, stream_check;
};

// How ${VAR} and ${file:PATH} references are resolved while a config is read.
enum class ReferenceMode {
  Resolve,    // each must resolve, or it is an error (run, validate)
  KeepUnset,  // an unset variable or unreadable file stays as written (commands that only read the state)
  KeepAll,    // none is resolved, the environment is not read: ${VAR:-default} gives its default (validate --no-env)
};

// A value that kept its references (a mode other than Resolve): its text is as written.
struct Reference {
  std::string path;  // key path of the value
  Mark mark;
  // The references left, e.g. "${TRYTON_PASSWORD}" (not the rest of the value: it may be secret).
  std::string unresolved;
};

// One validated value; `sensitive` values (secret fields, or produced by
// ${...} substitution) are never echoed in errors or output.
struct Value {
  std::string text;
  std::vector<std::string> list;                         // StringList
  std::vector<std::pair<std::string, std::string>> map;  // StringMap, in file order
  Mark mark;
  bool sensitive = false;
  bool from_default = false;
  bool quoted = false;  // written in quotes: its text begins one column after `mark`
};

// A validated section: every declared field has a value (or is absent and
// optional), keyed by dotted name ("retry.max_backoff").
class Settings {
 public:
  bool has(const std::string& name) const { return values_.count(name) > 0; }
  const std::string& str(const std::string& name) const;
  std::string str_or(const std::string& name, const std::string& fallback) const;
  int64_t integer(const std::string& name) const;
  bool boolean(const std::string& name) const;
  std::chrono::milliseconds duration(const std::string& name) const;
  uint64_t size(const std::string& name) const;
  const std::vector<std::string>& list(const std::string& name) const;  // empty when absent
  // StringMap entries; empty when the field is absent.
  const std::vector<std::pair<std::string, std::string>>& map(const std::string& name) const;
  const Value& value(const std::string& name) const;
  // Items of a Section given as a list (FieldSpec::items); 0 when it was a mapping or absent.
  size_t count(const std::string& name) const;
  Mark mark() const { return mark_; }
  const std::map<std::string, Value>& values() const { return values_; }

  void set(const std::string& name, Value value) { values_[name] = std::move(value); }
  // A default that depends on another value (the field's description says which: bus.path is
  // <data_dir>/bus.db), set by the loader when the field is absent.
  void derive_default(const std::string& name, std::string text);
  void set_mark(Mark mark) { mark_ = std::move(mark); }

 private:
  std::map<std::string, Value> values_;
  Mark mark_;
};

const char* type_name(FieldType type);

}  // namespace synchub::config
