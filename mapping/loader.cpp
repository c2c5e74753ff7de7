// Mapping file (YAML) -> Plan, reporting every mistake with file:line:col.
#include <fstream>
#include <map>
#include <regex>
#include <set>

#include "config/yaml_reader.hpp"
#include "mapping/plan.hpp"
#include "mapping/record.hpp"
#include "mapping/yaml_constants.hpp"
#include "mapping/yaml_json.hpp"

namespace synchub::mapping {
namespace {

using config::Diagnostics;
using config::join_path;
using config::Mark;
using config::YamlReader;

class Loader {
 public:
  Loader(const std::string& path, Diagnostics& diags)
      : reader_(path, diags), diags_(diags), constants_(reader_, diags) {
    plan_ = std::make_shared<Plan>();
    plan_->file = path;
  }

  std::shared_ptr<Plan> load() {
    YAML::Node root = reader_.load();
    if (!diags_.empty()) return plan_;
    if (!reader_.expect_map(root, "", {reader_.file(), 1, 1})) return plan_;
    auto entries = reader_.entries(root, "");
    // Tables first: expressions refer to them by name.
    for (const auto& e : entries) {
      if (e.key == "tables") read_tables(e.value, "tables", e.key_mark);
      if (e.key == "table_files") read_table_files(e.value);
    }
    static const std::vector<std::string> kTop = {"description", "source",      "target", "version", "key",  "filter",
                                                  "tables",      "table_files", "fields", "checks",  "tests"};
    bool has_fields = false;
    for (const auto& e : entries) {
      if (e.key == "source" || e.key == "target" || e.key == "version" || e.key == "description") {
        std::string* into = e.key == "source"    ? &plan_->source
                            : e.key == "target"  ? &plan_->target
                            : e.key == "version" ? &plan_->version
                                                 : nullptr;
        if (!e.value.IsScalar()) {
          error(e.value, e.key, "expected text");
        } else if (into) {
          *into = e.value.Scalar();
        }
      } else if (e.key == "key") {
        plan_->key = expression(e.value, "key");
      } else if (e.key == "filter") {
        plan_->filter = expression(e.value, "filter");
      } else if (e.key == "fields") {
        has_fields = true;
        plan_->fields = read_fields(e.value, "fields", e.key_mark);
      } else if (e.key == "checks") {
        read_checks(e.value);
      } else if (e.key == "tests") {
        read_tests(e.value);
      } else if (e.key != "tables" && e.key != "table_files") {
        diags_.error(e.key_mark, e.key, "unknown key; " + config::suggest(e.key, kTop));
      }
    }
    if (!has_fields) diags_.error({reader_.file(), 1, 1}, "fields", "missing required key 'fields'");
    // Checks run after every field: their $out names are any top-level field's.
    for (const auto& [node, path] : check_texts_)
      if (std::string why = out_reference_error(node.Scalar(), plan_->fields); !why.empty()) error(node, path, why);
    return plan_;
  }

 private:
  void error(const YAML::Node& n, const std::string& path, const std::string& message) {
    diags_.error(reader_.mark(n), path, message);
  }

  CompileEnv env() const { return CompileEnv{&plan_->tables}; }

  // checks: [{that: EXPRESSION, message: "text with {expressions}"}]
  void read_checks(const YAML::Node& list) {
    if (!list.IsSequence()) return error(list, "checks", "expected a list of {that, message}");
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string path = "checks[" + std::to_string(i) + "]";
      if (!reader_.expect_map(list[i], path, reader_.mark(list[i]))) continue;
      CheckPlan check;
      YAML::Node message;
      bool has_message = false;
      for (const auto& e : reader_.entries(list[i], path)) {
        if (e.key == "that") {
          check.that = expression(e.value, path + ".that");
          if (e.value.IsScalar()) check_texts_.emplace_back(e.value, path + ".that");
        } else if (e.key == "message") {
          message = e.value;
          has_message = true;
        } else {
          diags_.error(e.key_mark, path + "." + e.key, "unknown key; " + config::suggest(e.key, {"that", "message"}));
        }
      }
      if (!check.that) {
        if (!has_message) diags_.error(reader_.mark(list[i]), path, "a check needs that: (an expression)");
        continue;
      }
      if (!has_message || !message.IsScalar() || message.Scalar().empty()) {
        error(has_message ? message : list[i], has_message ? path + ".message" : path,
              "a check needs message: (text, {expressions} in it)");
        continue;
      }
      check_texts_.emplace_back(message, path + ".message");
      try {
        check.message = compile_message(message.Scalar(), env());
      } catch (const ExpressionError& e) {
        error(message, path + ".message", e.what());
        continue;
      }
      plan_->checks.push_back(std::move(check));
    }
  }

  // Compiles an expression (or a path), pointing errors at the column inside it.
  ExprPtr expression(const YAML::Node& n, const std::string& path, bool path_only = false) {
    if (!n.IsScalar() || n.Scalar().empty()) {
      error(n, path, path_only ? "expected a path like customer.id" : "expected an expression");
      return nullptr;
    }
    try {
      return path_only ? compile_path(n.Scalar(), env()) : compile_expression(n.Scalar(), env());
    } catch (const ExpressionError& e) {
      Mark m = reader_.mark(n);
      if (m.line > 0 && n.Scalar().find('\n') == std::string::npos) m.column += (plain(n) ? 0 : 1) + e.column - 1;
      diags_.error(m, path, std::string(path_only ? "in path: " : "in expression: ") + e.what());
      return nullptr;
    }
  }

  // A constant from YAML, lists and maps at any depth included.
  ExprPtr constant_expr(const YAML::Node& n, const std::string& path) {
    if (n.IsSequence() && n.size() > 0) {
      std::vector<ExprPtr> items;
      for (size_t i = 0; i < n.size(); ++i) items.push_back(constant_expr(n[i], path + "[" + std::to_string(i) + "]"));
      return make_list(std::move(items));
    }
    if (n.IsMap() && n.size() > 0) {
      std::vector<std::pair<std::string, ExprPtr>> members;
      for (const auto& e : reader_.entries(n, path))
        members.emplace_back(e.key, constant_expr(e.value, path + "." + e.key));
      return make_object(std::move(members));
    }
    std::string storage;
    auto c = constants_.constant(n, path, storage);
    return c ? make_constant(*c, std::move(storage)) : nullptr;
  }

  std::shared_ptr<Table> table_from_file(const std::string& file, const YAML::Node& where, const std::string& path,
                                         const std::string& name) {
    auto resolved = std::filesystem::path(file).is_absolute() ? std::filesystem::path(file) : reader_.base_dir() / file;
    YAML::Node data;
    try {
      data = YAML::LoadFile(resolved.string());
    } catch (const std::exception& e) {
      error(where, path, "cannot read table file " + resolved.string() + ": " + e.what());
      return nullptr;
    }
    if (!data.IsMap()) {
      error(where, path, "table file " + resolved.string() + " must hold a mapping of keys to values");
      return nullptr;
    }
    auto table = std::make_shared<Table>();
    table->name = name;
    constants_.fill_table(*table, data, path);
    return table;
  }

  void add_table(const std::string& name, std::shared_ptr<Table> table, const YAML::Node& where) {
    if (!table) return;
    if (!plan_->tables.emplace(name, std::move(table)).second) error(where, "tables." + name, "table defined twice");
  }

  void read_tables(const YAML::Node& n, const std::string& path, const Mark& mark) {
    if (!reader_.expect_map(n, path, mark)) return;
    for (const auto& e : reader_.entries(n, path)) {
      std::string p = join_path(path, e.key);
      if (e.value.IsScalar()) {  // a file holding the table
        add_table(e.key, table_from_file(e.value.Scalar(), e.value, p, e.key), e.value);
      } else if (e.value.IsMap()) {
        auto table = std::make_shared<Table>();
        table->name = e.key;
        constants_.fill_table(*table, e.value, p);
        add_table(e.key, table, e.value);
      } else {
        error(e.value, p, "expected a mapping of values or a file name");
      }
    }
  }

  // table_files: [shared/tables.yaml]: each file holds named tables.
  void read_table_files(const YAML::Node& n) {
    if (!n.IsSequence()) {
      error(n, "table_files", "expected a list of files");
      return;
    }
    for (size_t i = 0; i < n.size(); ++i) {
      std::string p = "table_files[" + std::to_string(i) + "]";
      if (!n[i].IsScalar()) {
        error(n[i], p, "expected a file name");
        continue;
      }
      auto resolved = reader_.base_dir() / n[i].Scalar();
      Diagnostics inner;
      YamlReader shared(resolved.string(), diags_);
      YAML::Node data = shared.load();
      if (!data.IsMap()) {
        error(n[i], p, "expected " + resolved.string() + " to hold named tables");
        continue;
      }
      for (auto it = data.begin(); it != data.end(); ++it) {
        if (!it->second.IsMap()) {
          diags_.error(shared.mark(it->second), it->first.Scalar(), "expected a mapping of values");
          continue;
        }
        auto table = std::make_shared<Table>();
        table->name = it->first.Scalar();
        constants_.fill_table(*table, it->second, it->first.Scalar());
        add_table(table->name, table, n[i]);
      }
    }
  }

  bool flag(const YAML::Node& n, const std::string& path) {
    if (n.IsScalar() && (n.Scalar() == "true" || n.Scalar() == "false")) return n.Scalar() == "true";
    error(n, path, "expected true or false");
    return false;
  }

  void read_type(const YAML::Node& n, const std::string& path, FieldPlan& f) {
    static const std::regex decimal(R"(decimal\(\s*([0-9]+)\s*,\s*([0-9]+)\s*\))");
    static const std::vector<std::pair<std::string, FieldType>> kTypes = {
        {"string", FieldType::String}, {"int", FieldType::Int},    {"number", FieldType::Number},
        {"bool", FieldType::Bool},     {"date", FieldType::Date},  {"datetime", FieldType::DateTime},
        {"object", FieldType::Object}, {"array", FieldType::Array}};
    std::string t = n.IsScalar() ? n.Scalar() : "";
    std::smatch m;
    if (std::regex_match(t, m, decimal)) {
      f.type = FieldType::Decimal;
      f.precision = std::stoi(m[1]);
      f.scale = std::stoi(m[2]);
      if (f.precision < 1 || f.precision > Decimal::kMaxDigits || f.scale > f.precision)
        error(n, path, "decimal(p,s) needs 1 <= p <= 38 and s <= p");
      return;
    }
    for (const auto& [name, type] : kTypes)
      if (name == t) {
        f.type = type;
        return;
      }
    std::vector<std::string> names{"decimal(p,s)"};
    for (const auto& [name, type] : kTypes) names.push_back(name);
    error(n, path, "unknown type '" + t + "'; " + config::suggest(t, names));
  }

  std::vector<FieldPlan> read_fields(const YAML::Node& n, const std::string& path, const Mark& mark) {
    std::vector<FieldPlan> fields;
    if (!reader_.expect_map(n, path, mark)) return fields;
    for (const auto& e : reader_.entries(n, path)) {
      FieldPlan f;
      f.name = e.key;
      append_json_string(f.json_name, f.name);
      f.json_name += ':';
      if (e.value.IsMap() && e.value["expr"] && e.value["expr"].IsScalar())
        if (std::string why = out_reference_error(e.value["expr"].Scalar(), fields); !why.empty())
          error(e.value["expr"], join_path(path, e.key) + ".expr", why);
      read_field(e.value, join_path(path, e.key), e.key_mark, f);
      f.as_is = f.source && !f.each && !f.object && !f.map && f.xref_entity.empty() && !f.trim && !f.upper &&
                !f.lower && f.type == FieldType::Any;
      fields.push_back(std::move(f));
    }
    return fields;
  }

  void read_field(const YAML::Node& n, const std::string& path, const Mark& mark, FieldPlan& f) {
    if (n.IsScalar()) {  // shorthand: `bill_no: order_no` is `from: order_no`
      f.source = expression(n, path, true);
      f.source_path = n.Scalar();
      return;
    }
    if (!reader_.expect_map(n, path, mark)) return;
    static const std::vector<std::string> kKeys = {
        "from",     "value",        "map",     "expr",     "lookup", "each",  "fields", "type",     "format",
        "timezone", "input_format", "default", "required", "trim",   "upper", "lower",  "rounding", "description"};
    auto entries = reader_.entries(n, path);
    std::vector<std::string> sources;
    YAML::Node fields_node, map_node, lookup_node;
    bool has_fields = false, has_map = false, has_lookup = false;
    Mark fields_mark, lower_mark;
    for (const auto& e : entries) {
      std::string p = join_path(path, e.key);
      const YAML::Node& v = e.value;
      if (e.key == "from") {
        sources.push_back("from");
        f.source = expression(v, p, true);
        f.source_path = v.IsScalar() ? v.Scalar() : "";
      } else if (e.key == "value") {
        sources.push_back("value");
        f.source = constant_expr(v, p);
      } else if (e.key == "expr") {
        sources.push_back("expr");
        f.source = expression(v, p);
      } else if (e.key == "each") {
        sources.push_back("each");
        f.each = true;
        f.source = expression(v, p, true);
        f.source_path = v.IsScalar() ? v.Scalar() : "";
      } else if (e.key == "map") {
        map_node = v;
        has_map = true;
      } else if (e.key == "lookup") {
        lookup_node = v;
        has_lookup = true;
      } else if (e.key == "fields") {
        fields_node = v;
        has_fields = true;
        fields_mark = e.key_mark;
      } else if (e.key == "type") {
        read_type(v, p, f);
      } else if (e.key == "format" || e.key == "input_format") {
        std::string text = v.IsScalar() ? v.Scalar() : "";
        if (!v.IsScalar()) error(v, p, "expected a pattern");
        (e.key == "format" ? f.format : f.input_format) = text;
      } else if (e.key == "timezone") {
        if (v.IsScalar()) f.zone = TimeZone::find(v.Scalar());
        if (!f.zone)
          error(v, p,
                "unknown time zone '" + (v.IsScalar() ? v.Scalar() : "") +
                    "' (IANA name like Asia/Shanghai, or UTC, or +08:00)");
      } else if (e.key == "default") {
        f.fallback_storage = std::make_unique<std::string>();
        if (auto c = constants_.constant(v, p, *f.fallback_storage)) {
          f.fallback = c;
          if (f.fallback->kind == ValueKind::String || !f.fallback->text.empty())
            f.fallback->text = *f.fallback_storage;
        }
      } else if (e.key == "required" || e.key == "trim" || e.key == "upper" || e.key == "lower") {
        bool b = flag(v, p);
        (e.key == "required" ? f.required : e.key == "trim" ? f.trim : e.key == "upper" ? f.upper : f.lower) = b;
        if (e.key == "lower") lower_mark = e.key_mark;
      } else if (e.key == "rounding") {
        static const std::map<std::string, Rounding> kModes = {{"half_up", Rounding::HalfUp},
                                                               {"half_even", Rounding::HalfEven},
                                                               {"floor", Rounding::Floor},
                                                               {"ceil", Rounding::Ceil},
                                                               {"down", Rounding::Down}};
        const std::string m = v.IsScalar() ? v.Scalar() : "";
        if (auto mode = kModes.find(m); mode != kModes.end())
          f.rounding = mode->second;
        else
          error(v, p, "unknown rounding '" + m + "' (expected half_up, half_even, floor, ceil or down)");
      } else if (e.key != "description") {
        diags_.error(e.key_mark, p, "unknown key; " + config::suggest(e.key, kKeys));
      }
    }
    if (f.upper && f.lower) diags_.error(lower_mark, join_path(path, "lower"), "upper and lower contradict; keep one");
    if (sources.size() > 1) {
      diags_.error(mark, path, "use one of from, value, expr, each (found " + sources[0] + " and " + sources[1] + ")");
    }
    if (has_map) read_map(map_node, join_path(path, "map"), f);
    if (has_lookup) read_lookup(lookup_node, join_path(path, "lookup"), f);
    if (sources.empty() && (has_map || has_lookup)) diags_.error(mark, path, "map and lookup need a from: or expr:");
    if (sources.empty() && !has_map && !has_lookup && !has_fields)
      diags_.error(mark, path, "a field needs one of from, value, expr, map, lookup, each or fields");
    if (f.each) {
      if (!has_fields)
        diags_.error(mark, path, "each needs fields: for the elements");
      else
        f.fields = read_fields(fields_node, join_path(path, "fields"), fields_mark);
    } else if (has_fields) {
      // An object of these fields, read from the record (or from the `from:`/`expr:` value).
      if (has_map || has_lookup || (sources.size() == 1 && sources[0] == "value"))
        diags_.error(fields_mark, join_path(path, "fields"), "fields: reads from the record, from: or expr:");
      f.object = true;
      f.fields = read_fields(fields_node, join_path(path, "fields"), fields_mark);
    }
    if (!f.format.empty() && f.type != FieldType::String && f.type != FieldType::Date && f.type != FieldType::DateTime)
      diags_.error(mark, join_path(path, "format"), "format needs type string, date or datetime");
    if ((f.type == FieldType::Date || f.type == FieldType::DateTime) && !f.format.empty())
      if (auto e = check_pattern(f.format); !e.empty()) diags_.error(mark, join_path(path, "format"), e);
    if (!f.input_format.empty())
      if (auto e = check_pattern(f.input_format); !e.empty()) diags_.error(mark, join_path(path, "input_format"), e);
  }

  void read_map(const YAML::Node& n, const std::string& path, FieldPlan& f) {
    if (n.IsScalar()) {
      auto it = plan_->tables.find(n.Scalar());
      if (it == plan_->tables.end()) {
        std::vector<std::string> names;
        for (const auto& [name, t] : plan_->tables) names.push_back(name);
        error(n, path, "unknown table '" + n.Scalar() + "'; " + config::suggest(n.Scalar(), names));
        return;
      }
      f.map = it->second.get();
      f.miss_what = "table '" + n.Scalar() + "'";
      return;
    }
    if (!n.IsMap()) {
      error(n, path, "expected a table name or an inline mapping of values");
      return;
    }
    auto table = std::make_shared<Table>();
    table->name = path;
    constants_.fill_table(*table, n, path);
    f.map = table.get();
    f.miss_what = "the map of " + path.substr(0, path.size() - 4);
    inline_tables_.push_back(table);
    plan_->tables.emplace("(inline) " + path, table);
  }

  // lookup: {xref: customer, from: crm, to: erp}  or  lookup: {table: customers}
  void read_lookup(const YAML::Node& n, const std::string& path, FieldPlan& f) {
    if (!reader_.expect_map(n, path, reader_.mark(n))) return;
    std::string xref, from, to, table;
    YAML::Node table_node;
    for (const auto& e : reader_.entries(n, path)) {
      std::string p = join_path(path, e.key);
      std::string* into = e.key == "xref"    ? &xref
                          : e.key == "from"  ? &from
                          : e.key == "to"    ? &to
                          : e.key == "table" ? &table
                                             : nullptr;
      if (!into) {
        diags_.error(e.key_mark, p, "unknown key; " + config::suggest(e.key, {"xref", "from", "to", "table"}));
        continue;
      }
      if (!e.value.IsScalar()) {
        error(e.value, p, "expected a name");
        continue;
      }
      *into = e.value.Scalar();
      if (e.key == "table") table_node = e.value;
    }
    if (!table.empty()) {
      read_map(table_node, join_path(path, "table"), f);
      return;
    }
    if (xref.empty() || from.empty() || to.empty()) {
      error(n, path, "expected {xref: ENTITY, from: SYSTEM, to: SYSTEM} or {table: NAME}");
      return;
    }
    f.xref_entity = xref;
    f.xref_from = from;
    f.xref_to = to;
    f.miss_what = "xref " + xref + " " + from + " -> " + to;
  }

  // xref: [{entity: customer, from: crm, id: C1, to: erp, target: CUS-7}]
  void read_xref_fixtures(const YAML::Node& n, const std::string& path, std::vector<XrefFixture>& out) {
    if (!n.IsSequence()) {
      error(n, path, "expected a list of {entity, from, id, to, target}");
      return;
    }
    for (size_t i = 0; i < n.size(); ++i) {
      const std::string p = path + "[" + std::to_string(i) + "]";
      if (!reader_.expect_map(n[i], p, reader_.mark(n[i]))) continue;
      XrefFixture x;
      for (const auto& e : reader_.entries(n[i], p)) {
        std::string* into = e.key == "entity"   ? &x.entity
                            : e.key == "from"   ? &x.from
                            : e.key == "id"     ? &x.id
                            : e.key == "to"     ? &x.to
                            : e.key == "target" ? &x.target
                                                : nullptr;
        if (!into) {
          diags_.error(e.key_mark, join_path(p, e.key),
                       "unknown key; " + config::suggest(e.key, {"entity", "from", "id", "to", "target"}));
        } else if (!e.value.IsScalar()) {
          error(e.value, join_path(p, e.key), "expected a value");
        } else {
          *into = e.value.Scalar();
        }
      }
      if (x.entity.empty() || x.from.empty() || x.id.empty() || x.to.empty() || x.target.empty())
        error(n[i], p, "expected {entity, from, id, to, target}");
      out.push_back(std::move(x));
    }
  }

  void read_tests(const YAML::Node& n) {
    if (!n.IsSequence()) {
      error(n, "tests", "expected a list of cases");
      return;
    }
    for (size_t i = 0; i < n.size(); ++i) {
      std::string p = "tests[" + std::to_string(i) + "]";
      const YAML::Node& c = n[i];
      if (!reader_.expect_map(c, p, reader_.mark(c))) continue;
      MappingTestCase t;
      t.line = reader_.mark(c).line;
      t.name = "case " + std::to_string(i + 1);
      bool has_input = false;
      for (const auto& e : reader_.entries(c, p)) {
        if (e.key == "name") {
          t.name = e.value.Scalar();
        } else if (e.key == "input") {
          has_input = true;
          yaml_to_json(e.value, t.input);
        } else if (e.key == "expect") {
          t.expect.emplace();
          yaml_to_json(e.value, *t.expect);
        } else if (e.key == "expect_error") {
          t.expect_error = e.value.Scalar();
        } else if (e.key == "expect_skip") {
          t.expect_skip = flag(e.value, join_path(p, e.key));
        } else if (e.key == "xref") {
          read_xref_fixtures(e.value, join_path(p, e.key), t.xref);
        } else {
          diags_.error(e.key_mark, join_path(p, e.key),
                       "unknown key; " +
                           config::suggest(e.key, {"name", "input", "expect", "expect_error", "expect_skip", "xref"}));
        }
      }
      if (!has_input) error(c, p, "a test case needs input:");
      if (!t.expect && !t.expect_error && !t.expect_skip)
        error(c, p, "a test case needs expect:, expect_error: or expect_skip: true");
      plan_->tests.push_back(std::move(t));
    }
  }

  YamlReader reader_;
  Diagnostics& diags_;
  ConstantReader constants_;  // scalars, [] {} and table values from YAML
  std::shared_ptr<Plan> plan_;
  std::vector<std::shared_ptr<Table>> inline_tables_;
  std::vector<std::pair<YAML::Node, std::string>> check_texts_;  // `that` and `message` texts, for their $out names
};

}  // namespace

std::shared_ptr<const Plan> load_mapping(const std::string& path) {
  Diagnostics diags;
  Loader loader(path, diags);
  auto plan = loader.load();
  diags.throw_if_any();
  return plan;
}

}  // namespace synchub::mapping
