// What a reconciliation found: per group, counts and exact totals on each side; then every
// document that differs, in its class. Nothing that agrees is listed.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace synchub::reconcile {

enum class DiffClass {
  Missing,     // in scope in the source, no partner in the target
  Extra,       // in the target, no partner in scope in the source
  Different,   // partners whose measures or compared fields differ
  Duplicated,  // more than one partner for one document
  InFlight,    // on its way (on the bus, in a retry, dead-lettered, waiting): not a difference
  Unreadable,  // a record whose key, time or fields could not be read
};
inline constexpr std::array<DiffClass, 6> kAllClasses = {DiffClass::Missing,   DiffClass::Extra,
                                                         DiffClass::Different, DiffClass::Duplicated,
                                                         DiffClass::InFlight,  DiffClass::Unreadable};
const char* class_name(DiffClass c);
std::optional<DiffClass> parse_class(const std::string& name);

struct FieldDifference {
  std::string field;
  std::optional<std::string> source, target;  // nullopt: no value
};

struct DocumentDifference {
  DiffClass kind = DiffClass::Missing;
  std::string key;
  std::vector<std::string> source_docs, target_docs;  // the records' own ids in their systems
  std::string group;                                  // the group it is counted in, as shown
  std::vector<FieldDifference> fields;
  std::string reason;  // in flight: why; others: what else is known (a partner out of scope)
};

struct GroupTotals {
  std::vector<std::string> group;                // per group_by
  std::array<int64_t, 2> count{0, 0};            // source, target
  std::array<std::vector<std::string>, 2> sums;  // per measure, exact decimal text (normalized)
  bool agrees() const { return count[0] == count[1] && sums[0] == sums[1]; }
};

struct Report {
  int64_t id = 0;  // in the state store, once kept
  std::string name, description;
  std::string source_stream, target_stream, flow;
  int64_t started_ms = 0, finished_ms = 0;
  std::optional<int64_t> since_ms, until_ms;  // the window of business time
  std::vector<std::string> group_by, measures;
  std::vector<GroupTotals> groups;                    // in group order
  std::vector<DocumentDifference> documents;          // the first max_documents, by key
  std::map<DiffClass, int64_t> counts;                // exact, however many were kept
  std::array<int64_t, 2> read{0, 0}, in_scope{0, 0};  // documents, each once however often read
  int64_t matched = 0;                                // pairs that agree
  std::vector<std::string> notes;  // what was not checked (a bus whose pending events cannot be read)
  std::string error;               // the run failed (a side could not be read): nothing else holds

  int64_t count(DiffClass c) const {
    auto it = counts.find(c);
    return it == counts.end() ? 0 : it->second;
  }
  // Differences, in-flight documents excepted.
  int64_t differences() const;
  bool agrees() const { return error.empty() && differences() == 0; }
};

// JSON (the CLI's --json, the API, the state store) and back.
std::string report_json(const Report& report, bool pretty = false);
Report parse_report_json(const std::string& json);  // throws std::runtime_error
// A short line: "orders_in_erp: 1,234 matched, 2 missing, 1 in flight".
std::string summary_line(const Report& report);

}  // namespace synchub::reconcile
