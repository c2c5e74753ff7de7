#include "cli/load.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
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

// A mapping file (`fields:` and none of a hub config's sections) given where a config is expected.
bool is_mapping_file(const std::string& file) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(file);
  } catch (const YAML::Exception&) {
    return false;  // the config loader reports it
  }
  if (!root.IsMap() || !root["fields"]) return false;
  for (const char* section : {"hub", "bus", "state", "alerts", "connectors", "flows", "reconciliations"})
    if (root[section]) return false;
  return true;
}

bool under(const std::string& path, const std::string& prefix) {
  return path == prefix || (path.starts_with(prefix) && path[prefix.size()] == '.');
}

// Mapping files referenced by flows, each error in its own file.
void check_mappings(const config::HubConfig& loaded, std::vector<config::Diagnostic>& errors) {
  for (const auto& flow : loaded.flows) {
    if (!flow.settings.has("mapping")) continue;
    const std::string field = "flows." + flow.name + ".mapping";
    if (kept_reference(loaded, field)) continue;  // a ${VAR} not resolved here: nothing to read
    const auto& path = flow.settings.value("mapping");
    if (!std::filesystem::is_regular_file(path.text)) {
      errors.push_back({path.mark, field, "mapping file " + path.text + " not found"});
      continue;
    }
    try {
      mapping::load_mapping(path.text);
    } catch (const config::ConfigError& e) {
      errors.insert(errors.end(), e.diagnostics().begin(), e.diagnostics().end());
    }
  }
}

}  // namespace

const config::Reference* kept_reference(const config::HubConfig& config, const std::string& path) {
  for (const auto& r : config.references)
    if (under(r.path, path)) return &r;
  return nullptr;
}

std::optional<config::HubConfig> load_config(const std::string& file, config::ReferenceMode references) {
  if (is_mapping_file(file)) {
    std::fprintf(stderr,
                 "%s is a mapping file (it has `fields:`), not a hub config (synchub.yaml).\n"
                 "Check a mapping with `synchub test %s` (runs its tests:), try it on records with\n"
                 "`synchub map -m %s -i RECORDS`, and name it in a flow's `mapping:` of the hub config.\n",
                 file.c_str(), file.c_str(), file.c_str());
    return std::nullopt;
  }
  std::vector<config::Diagnostic> errors;
  std::optional<config::HubConfig> loaded;
  try {
    loaded = config::load_hub_config(file, connectors::builtin_registry().specs(), references);
  } catch (const config::ConfigError& e) {
    errors = e.diagnostics();
  }
  if (loaded) {
    check_mappings(*loaded, errors);
    // Reconciliations' expressions and mapping files, as a run would compile them.
    auto found = reconcile::check_reconciliations(*loaded);
    errors.insert(errors.end(), found.begin(), found.end());
  }
  if (errors.empty()) return loaded;
  print(errors);
  std::fprintf(stderr, "%zu error%s in %s\n", errors.size(), errors.size() == 1 ? "" : "s", file.c_str());
  return std::nullopt;
}

bool require_resolved(const config::HubConfig& config, const std::vector<std::string>& needed) {
  std::vector<config::Diagnostic> errors;
  for (const auto& r : config.references)
    if (std::any_of(needed.begin(), needed.end(), [&](const std::string& prefix) { return under(r.path, prefix); }))
      errors.push_back({r.mark, r.path, "needs " + r.unresolved + ", which is not set here"});
  print(errors);
  return errors.empty();
}

std::optional<config::HubConfig> load_config_without_secrets(const std::string& file,
                                                             const std::vector<std::string>& needed) {
  auto loaded = load_config(file, config::ReferenceMode::KeepUnset);
  if (!loaded || !require_resolved(*loaded, needed)) return std::nullopt;
  return loaded;
}

}  // namespace synchub::cli
