// Reports written for finance: CSV (UTF-8 with a byte-order mark, so Excel shows Chinese text)
// and .xlsx (a sheet of groups, one of documents; amounts as numbers with two decimals).
#pragma once

#include <string>
#include <vector>

#include "runtime/reconcile/report.hpp"

namespace synchub::reconcile {

// One CSV of the differing documents and the groups, each row naming its reconciliation.
// Throws std::runtime_error when the file cannot be written.
void write_csv(const std::vector<Report>& reports, const std::string& path);
void write_xlsx(const std::vector<Report>& reports, const std::string& path);

// The text a spreadsheet would run as a formula (= + - @ first) made inert with a leading '.
std::string inert_cell(const std::string& text);

}  // namespace synchub::reconcile
