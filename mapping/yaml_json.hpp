// YAML scalars and trees read the way mapping files mean them (YAML core schema), as JSON.
#pragma once

#include <string>

namespace YAML {
class Node;
}

namespace synchub::mapping {

bool is_number_text(const std::string& s);  // a JSON number, written as one
bool plain(const YAML::Node& n);            // not quoted or tagged "!": true, 12, null mean what they say
// YAML (core schema) as JSON text: used for test inputs and expectations.
void yaml_to_json(const YAML::Node& n, std::string& out);

}  // namespace synchub::mapping
