// What the commands share on their command lines.
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "connectors/registry.hpp"

#ifndef SYNCHUB_VERSION
#define SYNCHUB_VERSION "0.0.0"
#endif

namespace synchub::cli {

std::string version_text() {
  std::string connectors;
  for (const auto& n : connectors::builtin_registry().registered_names())
    connectors += (connectors.empty() ? "" : ", ") + n;
  return std::string("synchub ") + SYNCHUB_VERSION + " (connectors: " + connectors + ")";
}

void add_config_option(CLI::App& command, std::string& file, bool positional) {
  file = "synchub.yaml";
  CLI::Option* option =
      command.add_option("-c,--config", file, "The hub config")->type_name("FILE")->capture_default_str();
  if (!positional) return;
  // Given both ways: a mistake to say, not a choice to make silently.
  const CLI::Validator once(
      [option](const std::string&) {
        return option->count() ? std::string("give the config once: -c FILE or FILE") : std::string();
      },
      "");
  command.add_option("config", file, "The hub config, as -c FILE")->type_name("FILE")->check(once);
}

}  // namespace synchub::cli
