// synchub run: every flow until SIGINT/SIGTERM, then the batch in flight is
// finished and the process exits 0 (within hub.shutdown_timeout: see stop_signals.hpp).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "cli/load.hpp"
#include "cli/stop_signals.hpp"
#include "connectors/registry.hpp"
#include "runtime/base/log.hpp"
#include "runtime/flow_runner.hpp"
#include "runtime/hub.hpp"

namespace synchub::cli {

namespace {

struct RunOptions {
  std::string config;
  bool once = false, new_state = false;
};

int run(const RunOptions& options) {
  // First thing: a stop asked for while the hub is still starting ends it cleanly as well.
  install_stop_signals();

  auto config = load_config(options.config);
  if (!config) return 1;
  runtime::configure_log(runtime::parse_log_level(config->hub.str("log_level")), config->hub.str("log_format"));

  ShutdownDeadline deadline(config->hub.duration("shutdown_timeout"));
  runtime::Hub hub(*config, connectors::builtin_registry(), {.new_state = options.new_state});
  const std::string stuck = hub.run(stop_requested(), options.once);
  if (!stuck.empty()) {
    // An error no wait clears (the data folder read-only, a damaged bus file, a wrong password):
    // a run meant to finish says so instead of retrying for ever. Nothing past it was committed.
    std::fprintf(stderr, "synchub run --once: stopped, %s (failed %d times in a row; fix it and run again)\n",
                 stuck.c_str(), runtime::FlowRunner::kStuckAttempts);
    return 4;
  }
  runtime::log_info("hub", {}, stop_requested().load() ? "stopped by signal" : "drained, exiting");
  return 0;
}

}  // namespace

void add_run_command(CLI::App& app, Action& action) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* sub = app.add_subcommand("run", "Run every flow until SIGINT/SIGTERM (--once: until drained)");
  sub->footer(
      "A stop finishes the batches in flight (within hub.shutdown_timeout) and exits 0. Exit status 4:\n"
      "--once stopped by an error that does not clear (fix it and run again); 1: an invalid config.");
  add_config_option(*sub, options->config, /*positional=*/true);
  sub->add_flag("--once", options->once, "Stop once every source is drained and its flows have delivered it");
  sub->add_flag("--new-state", options->new_state,
                "Accept a missing or empty state file beside a bus that has been used: its ledger, cursors, "
                "cross-references and dead letters start empty (refused otherwise)");
  sub->callback([&action, options] { action = [options] { return run(*options); }; });
}

}  // namespace synchub::cli
