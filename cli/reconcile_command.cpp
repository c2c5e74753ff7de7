// synchub reconcile -c FILE [NAME] [--since DATE] [--until DATE] [--json | --csv FILE | --xlsx FILE]:
// reads both sides of each reconciliation live and reports what differs (exit 1 when anything
// does). Each run is kept in the state store, where the admin API and the dashboard show it.
#include <cstdio>
#include <fstream>

#include "cli/commands.hpp"
#include "cli/load.hpp"
#include "runtime/base/clock.hpp"
#include "runtime/hub.hpp"
#include "runtime/reconcile/export.hpp"
#include "runtime/reconcile/plan.hpp"
#include "runtime/reconcile/reconciler.hpp"
#include "runtime/reconcile/report_text.hpp"
#include "runtime/state/state_store.hpp"

namespace synchub::cli {

namespace {

const char* kUsage =
    R"(usage: synchub reconcile -c FILE [NAME] [--since DATE] [--until DATE] [--json | --csv FILE | --xlsx FILE]
  Reads both sides of each reconciliation (or NAME) live through their connectors and
  reports, per group, each side's count and totals, then every document that differs:
  missing, extra, different, duplicated, in flight (not a difference) or unreadable.
  DATE: 2024-03-01 (a business day in the reconciliation's time zone; --until includes it)
  or an ISO-8601 time. Exit 0 when the systems agree, 1 when anything differs, 2 on misuse.
)";

}  // namespace

int cmd_reconcile(const Args& raw) {
  Args args = raw;
  if (take_flag(args, "--help", "-h")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  std::string since_text, until_text, csv_file, xlsx_file;
  const bool has_since = take_option(args, "--since", "", since_text);
  const bool has_until = take_option(args, "--until", "", until_text);
  const bool as_json = take_flag(args, "--json");
  take_option(args, "--csv", "", csv_file);
  take_option(args, "--xlsx", "", xlsx_file);
  auto config = load_config(args);
  if (!config) return 1;
  for (const auto& a : args)
    if (a.starts_with("-")) {
      std::fprintf(stderr, "synchub reconcile: unknown option %s\n%s", a.c_str(), kUsage);
      return 2;
    }
  if (args.size() > 1) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::vector<const config::ReconciliationConfig*> chosen;
  for (const auto& r : config->reconciliations)
    if (args.empty() || r.name == args[0]) chosen.push_back(&r);
  if (chosen.empty()) {
    std::fprintf(stderr, "synchub reconcile: %s\n",
                 args.empty() ? "the config declares no reconciliations"
                              : ("no reconciliation named '" + args[0] + "'").c_str());
    return 2;
  }
  auto state = runtime::open_state(*config);
  auto bus = runtime::open_bus(*config);
  bool all_agree = true;
  std::vector<reconcile::Report> reports;
  for (const auto* chosen_config : chosen) {
    const reconcile::ReconcilePlan plan = reconcile::compile_plan(*chosen_config);
    reconcile::RunOptions options;
    options.now_ms = runtime::now_ms();
    for (auto [given, text, into, until] : {std::tuple{has_since, &since_text, &options.since_ms, false},
                                            std::tuple{has_until, &until_text, &options.until_ms, true}}) {
      if (!given) continue;
      *into = reconcile::parse_business_time(*text, plan.zone, until);
      if (!*into) {
        std::fprintf(stderr, "synchub reconcile: '%s' is not a date or ISO-8601 time\n", text->c_str());
        return 2;
      }
    }
    reconcile::RunContext context{*config, *state, bus.get(), reconcile::registry_readers(*config),
                                  config->hub.str("data_dir")};
    reconcile::Report report = reconcile::reconcile(plan, context, options);
    reconcile::keep_run(*state, report);
    all_agree = all_agree && report.agrees();
    if (!as_json) std::fputs(reconcile::report_table(report).c_str(), stdout);
    reports.push_back(std::move(report));
  }
  if (as_json) {
    std::string out = "[";
    for (size_t i = 0; i < reports.size(); ++i) out += (i ? ",\n" : "") + reconcile::report_json(reports[i], true);
    std::printf("%s]\n", out.c_str());
  }
  if (!csv_file.empty()) reconcile::write_csv(reports, csv_file);
  if (!xlsx_file.empty()) reconcile::write_xlsx(reports, xlsx_file);
  return all_agree ? 0 : 1;
}

}  // namespace synchub::cli
