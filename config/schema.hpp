// JSON Schema (draft-07) of synchub.yaml, generated from the same specs that
// validate it; editors' YAML language servers use it for completion.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "config/spec.hpp"

namespace synchub::config {

nlohmann::json hub_config_schema(const std::vector<const ConnectorSpec*>& connector_specs);

}  // namespace synchub::config
