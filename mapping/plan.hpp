// A mapping file compiled to a plan: the fields in output order, each with
// its source (path, constant, table, expression, lookup or nested `each`),
// type and format. Applying the plan to a record writes the target JSON.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mapping/datetime.hpp"
#include "mapping/expression.hpp"
#include "mapping/json_writer.hpp"
#include "mapping/mapper.hpp"

namespace synchub::mapping {

enum class FieldType { Any, String, Int, Number, Decimal, Bool, Date, DateTime, Object, Array };

struct FieldPlan {
  // What mapping reads for every field of every record comes first, together:
  // a field then costs the CPU's cache two lines, not one per member.
  std::string json_name;  // the name as written in the output: "\"name\":"
  std::string name;
  ExprPtr source;              // from / value / expr / lookup key (null for `each` without from)
  const Table* map = nullptr;  // `map:` value table applied to the source value
  // Set when loaded: the source's value is the field's value (no table,
  // lookup, text change or type), so mapping skips those steps.
  bool as_is = false;
  bool each = false;
  bool object = false;  // `fields:` without `each`: an object of those fields
  bool required = false;
  bool trim = false, upper = false, lower = false;
  FieldType type = FieldType::Any;
  std::string xref_entity, xref_from, xref_to;  // `lookup: {xref: ...}` (the source value is the id)
  std::optional<Value> fallback;
  std::vector<FieldPlan> fields;                  // of `each`, or of the object
  std::string source_path;                        // the `from:` path, for error messages
  std::string miss_what;                          // "table 'status'", "xref customer crm -> erp"
  std::unique_ptr<std::string> fallback_storage;  // text the fallback value points into (stable address)
  int precision = 0, scale = 0;                   // decimal(p,s)
  std::optional<Rounding> rounding;               // decimals with more places: error unless set
  std::string format;                             // date/time pattern or number pattern
  std::string input_format;                       // how date strings are read
  std::optional<TimeZone> zone;                   // shown in (datetime) / read in (local times)
};

// A cross-reference a test case provides: (from, id) is (to, target).
struct XrefFixture {
  std::string entity, from, id, to, target;
};

struct MappingTestCase {
  std::string name;
  int line = 0;
  std::string input;                  // JSON text
  std::vector<XrefFixture> xref;      // answers the case's lookups
  std::optional<std::string> expect;  // JSON text
  std::optional<std::string> expect_error;
  bool expect_skip = false;
};

// A rule every record must meet (`checks:`): when `that` is not true the record is refused with
// the message, its {expressions} filled in (they see the record and `$out`, the mapped fields).
struct CheckPlan {
  ExprPtr that;
  std::vector<std::pair<std::string, ExprPtr>> message;  // text, then the expression after it (or null)
};

// "lines sum to {sum($out.lines[*].amount)}" -> ("lines sum to ", its expression), each {} compiled;
// throws ExpressionError ("in {a +}: ...").
std::vector<std::pair<std::string, ExprPtr>> compile_message(const std::string& text, const CompileEnv& env);

// "" when every `$out.x` (and `$out.x[*].y`) in `expression` names a field mapped `before` it at
// its level; otherwise the reason.
[[nodiscard]] std::string out_reference_error(const std::string& expression, const std::vector<FieldPlan>& before);

struct Plan {
  std::string file;
  std::string source, target, version;
  ExprPtr key;
  ExprPtr filter;
  std::map<std::string, std::shared_ptr<Table>, std::less<>> tables;
  std::vector<FieldPlan> fields;
  std::vector<CheckPlan> checks;
  std::vector<MappingTestCase> tests;
};

// Loads and checks a mapping file; throws config::ConfigError listing every
// problem with file:line:col.
std::shared_ptr<const Plan> load_mapping(const std::string& path);

// Applies a plan, reusing its parser and per-record memory (one per thread).
class PlanRunner {
 public:
  explicit PlanRunner(std::shared_ptr<const Plan> plan, XrefResolver* xref = nullptr);
  // Appends the target record to `out`; on failure `error` says why.
  // `readable_after`: see Document::parse.
  [[nodiscard]] MapStatus run(std::string_view record, std::string& out, std::string& key, std::string& error,
                              size_t readable_after = 0);
  const Plan& plan() const { return *plan_; }
  void set_xref(XrefResolver* xref) { xref_ = xref; }

 private:
  std::shared_ptr<const Plan> plan_;
  XrefResolver* xref_;
  Document doc_;
  Arena arena_;
  JsonWriter writer_;
};

// The flow's mapping step backed by a plan (the mapping version goes into
// the ledger and dead letters).
class PlanMapper final : public Mapper {
 public:
  PlanMapper(std::shared_ptr<const Plan> plan, XrefResolver* xref);
  MapResult map(std::string_view key, std::string_view record) const override;
  std::string version() const override;

 private:
  mutable PlanRunner runner_;
};

}  // namespace synchub::mapping
