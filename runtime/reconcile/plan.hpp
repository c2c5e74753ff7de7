// A reconciliation compiled from its config: per side, the expressions that turn each record
// into one row (key, scope, time, fields). Compiled by `validate` and at start alike, so a
// mistake is found with its file:line:col before anything is read.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/hub_config.hpp"
#include "mapping/datetime.hpp"
#include "mapping/expression.hpp"

namespace synchub::mapping {
struct Plan;
}

namespace synchub::reconcile {

struct SidePlan {
  config::StreamRef stream;
  std::shared_ptr<const mapping::Plan> mapping;   // applied first, when set
  mapping::ExprPtr key, filter, time;             // filter, time: null when not set
  mapping::ExprPtr waiting_when, waiting_reason;  // null when not set
  std::vector<mapping::ExprPtr> fields;           // one per ReconcilePlan::fields
};

enum class MatchBy { Key, Xref, Ledger };

// group_by entries that are not fields.
inline constexpr int kGroupDay = -1, kGroupMonth = -2;

struct ReconcilePlan {
  std::string name, description;
  std::string flow;  // carries source records to the target ("" when none does)
  SidePlan source, target;
  // Every field a row carries: the measures first, then the compared fields, then fields that
  // only group. A name appears once.
  std::vector<std::string> fields;
  size_t measures = 0, compared = 0;  // fields[0, measures) are measures, the next `compared` are compared
  std::vector<std::string> group_by;
  std::vector<int> group_fields;  // per group_by entry: an index into fields, or kGroupDay / kGroupMonth
  mapping::TimeZone zone = mapping::TimeZone::utc();
  std::optional<std::chrono::milliseconds> window, every;
  std::optional<int64_t> since_ms, until_ms;  // a fixed date range of business time
  MatchBy match = MatchBy::Key;
  std::string match_entity, match_from, match_to;
  size_t max_documents = 10000;
};

// A date ("2024-03-01", in `zone`; as `until`, the whole day included) or an ISO-8601 time, as
// epoch milliseconds; nullopt when it is neither.
std::optional<int64_t> parse_business_time(const std::string& text, const mapping::TimeZone& zone, bool until);

// Throws config::ConfigError with each problem at its file:line:col.
ReconcilePlan compile_plan(const config::ReconciliationConfig& config);

// What is wrong with the config's reconciliations (mapping files included): empty when nothing.
std::vector<config::Diagnostic> check_reconciliations(const config::HubConfig& config);

}  // namespace synchub::reconcile
