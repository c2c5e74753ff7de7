// Values between Tryton's JSON-RPC encoding and synchub records. Tryton sends
// decimals as {"__class__": "Decimal", "decimal": "904.00"} and datetimes as
// {"__class__": "datetime", "year": ...} (UTC, no zone); records carry
// decimals as strings with their scale ("904.00") and datetimes as ISO-8601
// UTC text ("2026-11-27T08:01:02.345678Z"), both exact and sortable.
#pragma once

#include <string>
#include <string_view>

#include "connectors/tryton/rpc.hpp"

namespace synchub::connectors::tryton {

// A Tryton value (any depth) in record form.
Json to_record(const Json& value);
// "2026-11-27T08:01:02.345678Z" (or "2026-11-27 08:01:02", with or without
// fraction and Z) -> Tryton datetime; throws std::invalid_argument.
Json tryton_datetime(std::string_view iso);
// A decimal's text (string or number literal of a record) -> Tryton Decimal;
// throws std::invalid_argument when it is not a plain decimal.
Json tryton_decimal(const Json& value);
Json tryton_date(std::string_view iso_date);  // "2026-11-27"
// ISO-8601 UTC text <-> microseconds since the epoch (throws std::invalid_argument).
int64_t iso_micros(std::string_view iso);
std::string iso_from_micros(int64_t micros);  // "2026-11-27T08:01:02.345678Z"
// Parses a record (JSON) keeping each non-integer number's literal text as a
// string, so 12.50 arrives as "12.50" and no amount goes through double.
// Returns a discarded value when the text is not JSON.
Json parse_exact(std::string_view json);
// A Tryton boolean: true/false, or 1/0 from the SQLite backend.
inline bool truthy(const Json& value) {
  return value.is_boolean() ? value.get<bool>() : value.is_number() ? value != 0 : false;
}
// Whether two decimals (record form: text or number literal) are the same amount: "12.5" == "12.50".
bool same_decimal(const Json& a, const Json& b);
// The text of a scalar ("" for null): strings as they are, numbers as written.
std::string scalar_text(const Json& value);

}  // namespace synchub::connectors::tryton
