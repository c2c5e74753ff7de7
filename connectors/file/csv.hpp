// RFC 4180 CSV: one row to fields and back.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace synchub::connectors::file {

// Splits one row; returns an empty string on success, else what is wrong.
[[nodiscard]] std::string parse_csv_row(std::string_view row, char delimiter, std::vector<std::string>& fields);

// Appends `field`, quoted when it holds the delimiter, a quote or a line break.
void append_csv_field(std::string& out, std::string_view field, char delimiter);

}  // namespace synchub::connectors::file
