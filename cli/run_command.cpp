// synchub run: every flow until SIGINT/SIGTERM, then the batch in flight is
// finished and the process exits 0.
#include <csignal>
#include <cstdio>

#include "cli/commands.hpp"
#include "cli/load.hpp"
#include "connectors/registry.hpp"
#include "runtime/hub.hpp"
#include "runtime/log.hpp"

namespace synchub::cli {

namespace {
std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) {
  g_stop.store(true);
}
}  // namespace

int cmd_run(const Args& raw) {
  // First thing: a stop asked for while the hub is still starting ends it cleanly as well.
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);

  Args args = raw;
  const bool once = take_flag(args, "--once");
  auto config = load_config(args);
  if (!config) return 1;
  if (!args.empty()) {
    std::fprintf(stderr, "synchub run: unexpected argument '%s'\n", args[0].c_str());
    return 2;
  }
  runtime::configure_log(runtime::parse_log_level(config->hub.str("log_level")), config->hub.str("log_format"));

  runtime::Hub hub(*config, connectors::builtin_registry());
  hub.run(g_stop, once);
  runtime::log_info("hub", {}, g_stop.load() ? "stopped by signal" : "drained, exiting");
  return 0;
}

}  // namespace synchub::cli
