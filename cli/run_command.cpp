// synchub run: every flow until SIGINT/SIGTERM, then the batch in flight is
// finished and the process exits 0 (within hub.shutdown_timeout: see stop_signals.hpp).
#include <cstdio>

#include "cli/commands.hpp"
#include "cli/load.hpp"
#include "cli/stop_signals.hpp"
#include "connectors/registry.hpp"
#include "runtime/base/log.hpp"
#include "runtime/flow_runner.hpp"
#include "runtime/hub.hpp"

namespace synchub::cli {

int cmd_run(const Args& raw) {
  // First thing: a stop asked for while the hub is still starting ends it cleanly as well.
  install_stop_signals();

  Args args = raw;
  const bool once = take_flag(args, "--once");
  const bool new_state = take_flag(args, "--new-state");
  auto config = load_config(args);
  if (!config) return 1;
  if (!args.empty()) {
    std::fprintf(stderr, "synchub run: unexpected argument '%s'\n", args[0].c_str());
    return 2;
  }
  runtime::configure_log(runtime::parse_log_level(config->hub.str("log_level")), config->hub.str("log_format"));

  ShutdownDeadline deadline(config->hub.duration("shutdown_timeout"));
  runtime::Hub hub(*config, connectors::builtin_registry(), {.new_state = new_state});
  const std::string stuck = hub.run(stop_requested(), once);
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

}  // namespace synchub::cli
