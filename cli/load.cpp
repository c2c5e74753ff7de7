#include "cli/load.hpp"

#include <cstdio>
#include <filesystem>

#include "connectors/registry.hpp"
#include "mapping/plan.hpp"
#include "runtime/reconcile/plan.hpp"

namespace synchub::cli {

namespace {

void print(const std::vector<config::Diagnostic>& diagnostics) {
  for (const auto& d : diagnostics) std::fprintf(stderr, "%s\n", d.str().c_str());
}

}  // namespace

std::optional<config::HubConfig> load_config(Args& args) {
  std::string file = "synchub.yaml";
  take_option(args, "--config", "-c", file);
  std::vector<config::Diagnostic> errors;
  std::optional<config::HubConfig> loaded;
  try {
    loaded = config::load_hub_config(file, connectors::builtin_registry().specs());
  } catch (const config::ConfigError& e) {
    errors = e.diagnostics();
  }
  // Mapping files referenced by flows are checked too, each error in its own file.
  if (loaded) {
    for (const auto& flow : loaded->flows) {
      if (!flow.settings.has("mapping")) continue;
      const auto& path = flow.settings.value("mapping");
      if (!std::filesystem::is_regular_file(path.text)) {
        errors.push_back({path.mark, "flows." + flow.name + ".mapping", "mapping file " + path.text + " not found"});
        continue;
      }
      try {
        mapping::load_mapping(path.text);
      } catch (const config::ConfigError& e) {
        errors.insert(errors.end(), e.diagnostics().begin(), e.diagnostics().end());
      }
    }
  }
  // Reconciliations' expressions and mapping files, as a run would compile them.
  if (loaded) {
    auto found = reconcile::check_reconciliations(*loaded);
    errors.insert(errors.end(), found.begin(), found.end());
  }
  if (errors.empty()) return loaded;
  print(errors);
  std::fprintf(stderr, "%zu error%s in %s\n", errors.size(), errors.size() == 1 ? "" : "s", file.c_str());
  return std::nullopt;
}

}  // namespace synchub::cli
