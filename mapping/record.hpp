// Records on the hot path stay JSON text; these helpers check them and pull
// out the key with the record parser (Document), and hash their content.
#pragma once

#include <string>
#include <string_view>

namespace synchub::mapping {

class Document;

// Checks that `json` is one valid UTF-8 JSON object and reads the key at the
// dotted `key_path` ("order_id", "customer.code"). Returns an empty string on
// success (key in `key_out`), else the reason, e.g. "missing key 'order_id'";
// a key is a non-empty string or an integer.
[[nodiscard]] std::string check_record(std::string_view json, std::string_view key_path, std::string& key_out);

// The same checks on a parsed document: node `row` must be an object whose
// `key_path` (dotted or JSON pointer) holds a string or an integer.
[[nodiscard]] std::string record_key(const Document& doc, uint32_t row, std::string_view key_path,
                                     std::string& key_out);

// 128-bit content hash (hex) used by the delivery ledger to skip unchanged records.
std::string content_hash(std::string_view data);

bool is_valid_utf8(std::string_view text);

// Appends `text` as a quoted JSON string.
void append_json_string(std::string& out, std::string_view text);

}  // namespace synchub::mapping
