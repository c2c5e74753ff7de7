#include "runtime/reconcile/plan.hpp"

#include <algorithm>
#include <filesystem>

#include "mapping/plan.hpp"

namespace synchub::reconcile {

namespace {

class Compiler {
 public:
  Compiler(const config::ReconciliationConfig& config) : config_(config), path_("reconciliations." + config.name) {}

  ReconcilePlan compile() {
    const config::Settings& s = config_.settings;
    ReconcilePlan plan;
    plan.name = config_.name;
    plan.description = s.str_or("description", "");
    plan.flow = config_.flow;
    add_names(plan, "measures");
    plan.measures = plan.fields.size();
    add_names(plan, "compare");
    plan.compared = plan.fields.size() - plan.measures;
    plan.group_by = s.has("group_by") ? s.list("group_by") : std::vector<std::string>{};
    if (!s.has("group_by") && s.has("source.time") && s.has("target.time")) plan.group_by = {"day"};
    for (const auto& g : plan.group_by) {
      if (g == "day" || g == "month") {
        plan.group_fields.push_back(g == "day" ? kGroupDay : kGroupMonth);
        continue;
      }
      auto at = std::find(plan.fields.begin(), plan.fields.end(), g);
      if (at == plan.fields.end()) at = plan.fields.insert(plan.fields.end(), g);
      plan.group_fields.push_back(static_cast<int>(at - plan.fields.begin()));
    }
    const config::Value& zone = s.value("time_zone");
    if (auto found = mapping::TimeZone::find(zone.text))
      plan.zone = *found;
    else
      diag_.error(zone.mark, path_ + ".time_zone", "unknown time zone '" + zone.text + "'");
    if (s.has("window")) plan.window = s.duration("window");
    for (auto [name, into] : {std::pair{"since", &plan.since_ms}, std::pair{"until", &plan.until_ms}}) {
      if (!s.has(name)) continue;
      const config::Value& v = s.value(name);
      *into = parse_business_time(v.text, plan.zone, std::string(name) == "until");
      if (!*into)
        diag_.error(v.mark, path_ + "." + name,
                    "expected a date (2024-03-01) or an ISO-8601 time, got \"" + v.text + "\"");
    }
    if (plan.window && (plan.since_ms || plan.until_ms))
      diag_.error(s.value("window").mark, path_ + ".window", "set either window (the last N) or since/until, not both");
    if (s.has("every")) plan.every = s.duration("every");
    const std::string& by = s.str("match.by");
    plan.match = by == "xref" ? MatchBy::Xref : by == "ledger" ? MatchBy::Ledger : MatchBy::Key;
    plan.match_entity = s.str_or("match.entity", "");
    plan.match_from = s.str("match.from");
    plan.match_to = s.str("match.to");
    if (plan.match == MatchBy::Ledger && plan.flow.empty())
      diag_.error(s.value("match.by").mark, path_ + ".match.by",
                  "match by ledger needs the flow that wrote the target records (set flow:)");
    plan.max_documents = static_cast<size_t>(s.integer("max_documents"));
    plan.source = side(plan, "source", config_.source);
    plan.target = side(plan, "target", config_.target);
    diag_.throw_if_any();
    return plan;
  }

 private:
  void add_names(ReconcilePlan& plan, const char* list) {
    if (!config_.settings.has(list)) return;
    for (const auto& n : config_.settings.list(list))
      if (std::find(plan.fields.begin(), plan.fields.end(), n) == plan.fields.end()) plan.fields.push_back(n);
  }

  SidePlan side(const ReconcilePlan& plan, const std::string& name, const config::StreamRef& stream) {
    const config::Settings& s = config_.settings;
    SidePlan side;
    side.stream = stream;
    mapping::CompileEnv env;
    if (s.has(name + ".mapping")) {
      const config::Value& file = s.value(name + ".mapping");
      if (!std::filesystem::is_regular_file(file.text)) {
        diag_.error(file.mark, path_ + "." + name + ".mapping", "mapping file " + file.text + " not found");
      } else {
        try {
          side.mapping = mapping::load_mapping(file.text);
        } catch (const config::ConfigError& e) {
          for (const auto& d : e.diagnostics()) diag_.error(d.mark, d.path, d.message);
        }
      }
    }
    side.key = expression(name + ".key");
    side.filter = expression(name + ".filter");
    side.time = expression(name + ".time");
    side.waiting_when = expression(name + ".waiting.when");
    if (side.waiting_when) side.waiting_reason = expression(name + ".waiting.reason");
    if (!s.has(name + ".waiting.when") && !s.value(name + ".waiting.reason").from_default)
      diag_.error(s.value(name + ".waiting.reason").mark, path_ + "." + name + ".waiting.when",
                  "a waiting reason needs `when`: the expression that is true for a waiting record");
    const auto& written = s.map(name + ".fields");
    for (const auto& [field, text] : written)
      if (std::find(plan.fields.begin(), plan.fields.end(), field) == plan.fields.end())
        diag_.error(s.value(name + ".fields").mark, path_ + "." + name + ".fields." + field,
                    "'" + field + "' is not used: list it in measures, compare or group_by");
    for (const auto& field : plan.fields) {
      auto it = std::find_if(written.begin(), written.end(), [&](const auto& e) { return e.first == field; });
      // A field not written out is read as the path of its name.
      const std::string text = it == written.end() ? field : it->second;
      const config::Mark& mark = it == written.end() ? s.mark() : s.value(name + ".fields").mark;
      side.fields.push_back(compile(text, mark, std::nullopt, path_ + "." + name + ".fields." + field));
    }
    return side;
  }

  mapping::ExprPtr expression(const std::string& name) {
    if (!config_.settings.has(name)) return nullptr;
    const config::Value& v = config_.settings.value(name);
    return compile(v.text, v.mark, v.quoted, path_ + "." + name);
  }

  // `quoted` set: the mark is where the expression's scalar is (quoted or not), so the error's
  // column inside the expression is added to it; unset: the mark is the enclosing map's.
  mapping::ExprPtr compile(const std::string& text, const config::Mark& mark, std::optional<bool> quoted,
                           const std::string& path) {
    try {
      return mapping::compile_expression(text, mapping::CompileEnv{});
    } catch (const mapping::ExpressionError& e) {
      config::Mark at = mark;
      // The value's own position plus the column inside it (a scalar on one line of its own).
      if (quoted && at.column > 0 && text.find('\n') == std::string::npos)
        at.column += (*quoted ? 1 : 0) + e.column - 1;
      diag_.error(at, path, e.what());
      return nullptr;
    }
  }

  const config::ReconciliationConfig& config_;
  const std::string path_;
  config::Diagnostics diag_;
};

}  // namespace

std::optional<int64_t> parse_business_time(const std::string& text, const mapping::TimeZone& zone, bool until) {
  constexpr int64_t kDayMs = 86400000;
  auto t = mapping::parse_datetime(text, "", zone);
  if (!t) return std::nullopt;
  const bool date_only = text.size() == 10;
  return t->micros / 1000 + (until && date_only ? kDayMs : 0);
}

ReconcilePlan compile_plan(const config::ReconciliationConfig& config) {
  return Compiler(config).compile();
}

std::vector<config::Diagnostic> check_reconciliations(const config::HubConfig& config) {
  std::vector<config::Diagnostic> found;
  for (const auto& r : config.reconciliations) {
    try {
      compile_plan(r);
    } catch (const config::ConfigError& e) {
      found.insert(found.end(), e.diagnostics().begin(), e.diagnostics().end());
    }
  }
  return found;
}

}  // namespace synchub::reconcile
