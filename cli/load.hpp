#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/hub_config.hpp"

namespace synchub::cli {

// Loads and checks the config `file` with the mapping files and reconciliations it names.
// Invalid: prints every error (file:line:col: path: message) to stderr, returns nullopt; a
// mapping file given instead is named as one, with how to check it.
std::optional<config::HubConfig> load_config(const std::string& file,
                                             config::ReferenceMode references = config::ReferenceMode::Resolve);

// For the commands that read the state store and open no connector (dlq, trace, status) or one
// (backfill): a variable that is not set stays a reference (HubConfig::references), unless it is
// in one of the `needed` key paths ("state", "hub.data_dir", "connectors.crm": the path or below
// it), which is an error naming it.
std::optional<config::HubConfig> load_config_without_secrets(const std::string& file,
                                                             const std::vector<std::string>& needed);

// False, printing each, when a reference is kept in one of the `needed` key paths (as above).
bool require_resolved(const config::HubConfig& config, const std::vector<std::string>& needed);

// The reference kept in `config` at `path` (or below it), if any.
const config::Reference* kept_reference(const config::HubConfig& config, const std::string& path);

}  // namespace synchub::cli
