// synchub bus reset-offsets -c FILE: after the embedded bus's log was lost or
// replaced, forget every consumer group's committed offsets on purpose, so
// that the hub starts again (each flow reads its topic from the start of the
// log; the ledger skips what was already delivered).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "cli/load.hpp"
#include "runtime/hub.hpp"

namespace synchub::cli {

namespace {

int reset_offsets(const std::string& file) {
  auto config = load_config(file);
  if (!config) return 1;
  if (config->bus.str("type") != "embedded") {
    std::fputs(
        "synchub bus reset-offsets: only the embedded bus keeps its offsets in a file; reset a Kafka "
        "group's offsets with kafka-consumer-groups --reset-offsets\n",
        stderr);
    return 2;
  }
  runtime::open_bus(*config, /*reset_offsets=*/true);
  std::printf("offsets of %s reset: every flow reads its topic from the start of the log\n",
              config->bus.str("path").c_str());
  return 0;
}

}  // namespace

void add_bus_command(CLI::App& app, Action& action) {
  CLI::App* bus = app.add_subcommand("bus", "Maintain the embedded bus");
  bus->require_subcommand(1);
  auto file = std::make_shared<std::string>();
  CLI::App* reset = bus->add_subcommand(
      "reset-offsets", "Forget the embedded bus's committed offsets (after its log was lost or replaced)");
  reset->footer(
      "Every flow then reads its topic from the start of the log; the ledger skips what was already\n"
      "delivered. A Kafka group's offsets are reset with kafka-consumer-groups --reset-offsets.");
  add_config_option(*reset, *file, /*positional=*/true);
  reset->callback([&action, file] { action = [file] { return reset_offsets(*file); }; });
}

}  // namespace synchub::cli
