// Writes values as compact JSON straight into a string (no DOM).
#pragma once

#include <string>

#include "mapping/document.hpp"
#include "mapping/value.hpp"

namespace synchub::mapping {

void write_json(std::string& out, const Document& doc, const Value& v);
void write_node(std::string& out, const Document& doc, uint32_t index);

}  // namespace synchub::mapping
