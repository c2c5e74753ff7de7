#include "cli/load.hpp"

#include <cstdio>

#include "connectors/registry.hpp"

namespace synchub::cli {

std::optional<config::HubConfig> load_config(Args& args) {
  std::string file = "synchub.yaml";
  take_option(args, "--config", "-c", file);
  try {
    return config::load_hub_config(file, connectors::builtin_registry().specs());
  } catch (const config::ConfigError& e) {
    for (const auto& d : e.diagnostics()) std::fprintf(stderr, "%s\n", d.str().c_str());
    std::fprintf(stderr, "%zu error%s in %s\n", e.diagnostics().size(), e.diagnostics().size() == 1 ? "" : "s",
                 file.c_str());
    return std::nullopt;
  }
}

}  // namespace synchub::cli
