// Command line of synchub-sim: which simulator, and its options as --flag value pairs.
#pragma once

#include <string>

#include "examples/simulators/crm.hpp"
#include "examples/simulators/erp.hpp"
#include "examples/simulators/fxiaoke.hpp"
#include "examples/simulators/k3cloud.hpp"

namespace synchub::simulators {

struct SimCommand {
  std::string kind;  // crm | erp | fxiaoke | k3cloud
  CrmOptions crm;
  ErpOptions erp;
  FxiaokeOptions fxiaoke;
  K3CloudOptions k3cloud;
  int trickle_ms = 0;
};

// Throws std::invalid_argument on an unknown simulator or flag, or a bad value.
SimCommand parse_sim_command(int argc, char** argv);

extern const char* const kSimUsage;

}  // namespace synchub::simulators
