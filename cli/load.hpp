#pragma once

#include <optional>

#include "cli/commands.hpp"
#include "config/hub_config.hpp"

namespace synchub::cli {

// Loads the config named by -c/--config (default ./synchub.yaml). Invalid:
// prints every error (file:line:col: path: message) to stderr, returns nullopt.
std::optional<config::HubConfig> load_config(Args& args);

}  // namespace synchub::cli
