// A report as a table for a terminal: the groups with both sides' counts and totals and their
// difference, then the differing documents by class.
#pragma once

#include <string>

#include "runtime/reconcile/report.hpp"

namespace synchub::reconcile {

std::string report_table(const Report& report);

// Columns of a terminal a text takes (East Asian wide characters take two).
size_t display_width(const std::string& text);

}  // namespace synchub::reconcile
