// Strict parsing of the scalar kinds config files use: integers, booleans,
// durations ("250ms", "30s", "5m", "7d") and sizes ("512KiB", "1GiB").
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace synchub::config {

std::optional<int64_t> parse_int(std::string_view text);
std::optional<bool> parse_bool(std::string_view text);
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
std::optional<uint64_t> parse_size(std::string_view text);

// Percent-encoding of URL query parts ('+' decodes to a space).
std::string url_decode(std::string_view text);
// A URL path segment's percent-decoding: '+' stays '+' there.
std::string path_decode(std::string_view text);
std::string url_encode(std::string_view text);

}  // namespace synchub::config
