// synchub bus reset-offsets -c FILE: after the embedded bus's log was lost or
// replaced, forget every consumer group's committed offsets on purpose, so
// that the hub starts again (each flow reads its topic from the start of the
// log; the ledger skips what was already delivered).
#include <cstdio>

#include "cli/commands.hpp"
#include "cli/load.hpp"
#include "runtime/hub.hpp"

namespace synchub::cli {

int cmd_bus(const Args& raw) {
  Args args = raw;
  if (args.empty() || args[0] != "reset-offsets") {
    std::fputs("usage: synchub bus reset-offsets -c FILE\n", stderr);
    return 2;
  }
  args.erase(args.begin());
  auto config = load_config(args);
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

}  // namespace synchub::cli
