// Command line of synchub-sim: which simulator (a CLI11 sub-command each), and its options.
#pragma once

#include <optional>
#include <string>

#include "examples/simulators/crm.hpp"
#include "examples/simulators/erp.hpp"
#include "examples/simulators/fxiaoke.hpp"
#include "examples/simulators/k3cloud.hpp"

namespace CLI {
class App;
}

namespace synchub::simulators {

struct SimCommand {
  std::string kind;  // crm | erp | fxiaoke | k3cloud
  CrmOptions crm;
  ErpOptions erp;
  FxiaokeOptions fxiaoke;
  K3CloudOptions k3cloud;
  int trickle_ms = 0;
  // Given for every simulator; finish() hands them to the chosen one.
  int port = 0;
  std::optional<uint64_t> seed;
  FaultOptions faults;
  int64_t latency_ms = 0;
};

// Declares the simulators as sub-commands of `app` (exactly one is required), filling `command`
// when the command line is parsed.
void add_sim_commands(CLI::App& app, SimCommand& command);

}  // namespace synchub::simulators
