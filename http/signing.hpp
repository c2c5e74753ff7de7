// HMAC-SHA256 signatures (webhooks in and out, request signing) with a
// constant-time comparison.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace synchub::http {

std::string hmac_sha256_hex(std::string_view key, std::string_view data);
std::string hmac_sha256_base64(std::string_view key, std::string_view data);
std::string sha256_hex(std::string_view data);
std::string base64_encode(std::string_view data);
// Standard base64 (padding optional); nothing when `text` is not base64.
std::optional<std::string> base64_decode(std::string_view text);
// Raw (binary) HMAC-SHA256, for signatures sent in base64.
std::string hmac_sha256(std::string_view key, std::string_view data);
// Equal without an early exit on the first differing byte (signatures, tokens).
bool constant_time_equal(std::string_view a, std::string_view b);
// synchub's webhook signature: "sha256=" + hex HMAC-SHA256 of "<timestamp>.<body>"
// (X-Synchub-Signature; checked by the webhook connector, sent by the simulators).
std::string webhook_signature(std::string_view secret, std::string_view timestamp, std::string_view body);

}  // namespace synchub::http
