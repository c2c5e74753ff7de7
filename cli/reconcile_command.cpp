// synchub reconcile -c FILE [NAME] [--since DATE] [--until DATE] [--json | --csv FILE | --xlsx FILE]:
// reads both sides of each reconciliation live and reports what differs (exit 1 when anything
// does). Each run is kept in the state store, where the admin API and the dashboard show it.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <memory>

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

struct ReconcileOptions {
  std::string config, name, since, until, csv_file, xlsx_file;
  bool json = false;
};

int reconcile_systems(const ReconcileOptions& options) {
  const bool has_since = !options.since.empty(), has_until = !options.until.empty(), as_json = options.json;
  const std::string &since_text = options.since, &until_text = options.until;
  const std::string &csv_file = options.csv_file, &xlsx_file = options.xlsx_file;
  auto config = load_config(options.config);
  if (!config) return 1;
  std::vector<const config::ReconciliationConfig*> chosen;
  for (const auto& r : config->reconciliations)
    if (options.name.empty() || r.name == options.name) chosen.push_back(&r);
  if (chosen.empty()) {
    std::fprintf(stderr, "synchub reconcile: %s\n",
                 options.name.empty() ? "the config declares no reconciliations"
                                      : ("no reconciliation named '" + options.name + "'").c_str());
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

}  // namespace

void add_reconcile_command(CLI::App& app, Action& action) {
  auto options = std::make_shared<ReconcileOptions>();
  CLI::App* sub = app.add_subcommand("reconcile", "Compare two systems document by document (exit 1 when they differ)");
  sub->footer(
      "Reads both sides of each reconciliation (or NAME) live through their connectors and reports,\n"
      "per group, each side's count and totals, then every document that differs: missing, extra,\n"
      "different, duplicated, in flight (not a difference) or unreadable. DATE: 2024-03-01 (a business\n"
      "day in the reconciliation's time zone; --until includes it) or an ISO-8601 time.\n"
      "Exit status: 0 when the systems agree, 1 when anything differs, 2 on misuse.");
  add_config_option(*sub, options->config);
  sub->add_option("name", options->name, "Only this reconciliation (default: every one)")->type_name("NAME");
  sub->add_option("--since", options->since, "Documents from this business time")->type_name("DATE");
  sub->add_option("--until", options->until, "Documents up to this business time")->type_name("DATE");
  sub->add_flag("--json", options->json, "The reports as JSON instead of tables");
  sub->add_option("--csv", options->csv_file, "Also write the reports as CSV (UTF-8 with BOM, for Excel)")
      ->type_name("FILE");
  sub->add_option("--xlsx", options->xlsx_file, "Also write the reports as an .xlsx workbook")->type_name("FILE");
  sub->callback([&action, options] { action = [options] { return reconcile_systems(*options); }; });
}

}  // namespace synchub::cli
