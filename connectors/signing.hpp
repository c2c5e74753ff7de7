// HMAC-SHA256 signatures (webhooks in and out, request signing) with a
// constant-time comparison.
#pragma once

#include <string>
#include <string_view>

namespace synchub::connectors {

std::string hmac_sha256_hex(std::string_view key, std::string_view data);
std::string hmac_sha256_base64(std::string_view key, std::string_view data);
std::string sha256_hex(std::string_view data);
std::string base64_encode(std::string_view data);
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace synchub::connectors
