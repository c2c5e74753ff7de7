#include "connectors/webhook/signature_schemes.hpp"

#include "config/units.hpp"
#include "http/signing.hpp"

namespace synchub::connectors::webhook {
namespace {

constexpr std::string_view kWhsecPrefix = "whsec_";

std::string lower_ascii(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(separator, start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view part = text.substr(start, end - start);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (!part.empty()) parts.push_back(part);
    start = end + 1;
  }
  return parts;
}

// The HMAC key a configured secret stands for: Standard Webhooks' is the base64 after whsec_.
std::string signing_key(Scheme scheme, const std::string& secret) {
  if (scheme != Scheme::StandardWebhooks) return secret;
  std::string_view text = secret;
  if (text.substr(0, kWhsecPrefix.size()) == kWhsecPrefix) text.remove_prefix(kWhsecPrefix.size());
  return http::base64_decode(text).value_or("");
}

// Which of `expected` (one per secret) is among `sent`, comparing every pair: the time taken says
// neither which secret signed nor where a wrong signature first differs.
std::string first_match(const std::vector<std::string>& sent, const std::vector<std::string>& expected) {
  std::string found;
  bool matched = false;
  for (const auto& e : expected)
    for (const auto& s : sent) {
      const bool equal = http::constant_time_equal(s, e);
      if (equal && !matched) found = e;
      matched = matched || equal;
    }
  return found;
}

SignatureCheck refused(std::string error) {
  SignatureCheck check;
  check.error = std::move(error);
  return check;
}

// Reads a signed Unix timestamp and checks it is within the window; sets `check.error` when not.
std::optional<int64_t> timestamp_in_window(const std::string& text, const std::string& header,
                                           const SignatureRules& rules, int64_t now, SignatureCheck& check) {
  auto seconds = config::parse_int(text);
  if (!seconds) {
    check.error = "missing or unreadable " + header + " header";
    return std::nullopt;
  }
  if (*seconds < now - rules.tolerance_seconds || *seconds > now + rules.tolerance_seconds) {
    check.error = "timestamp outside the accepted window (" + std::to_string(rules.tolerance_seconds) + " s)";
    return std::nullopt;
  }
  return seconds;
}

SignatureCheck check_synchub(const SignatureRules& rules, const std::string& header_name, const HeaderLookup& header,
                             std::string_view body, int64_t now) {
  SignatureCheck check;
  const std::string stamp = header(rules.timestamp_header);
  check.signed_at = timestamp_in_window(stamp, rules.timestamp_header, rules, now, check);
  if (!check.signed_at) return check;
  std::string signature = header(header_name);
  // Without its prefix a digest of another algorithm could be taken for this one: refused.
  if (signature.rfind("sha256=", 0) != 0) return refused(header_name + " must be sha256=<hex>");
  std::vector<std::string> expected;
  for (const auto& secret : rules.secrets) expected.push_back(http::webhook_signature(secret, stamp, body));
  check.signature = first_match({lower_ascii(signature)}, expected);
  if (check.signature.empty()) check.error = "bad signature";
  return check;
}

SignatureCheck check_standard_webhooks(const SignatureRules& rules, const std::string& header_name,
                                       const HeaderLookup& header, std::string_view body, int64_t now) {
  SignatureCheck check;
  check.delivery = header("webhook-id");
  if (check.delivery.empty()) return refused("missing webhook-id header");
  const std::string stamp = header("webhook-timestamp");
  check.signed_at = timestamp_in_window(stamp, "webhook-timestamp", rules, now, check);
  if (!check.signed_at) return check;
  const std::string list = header(header_name);
  if (list.empty()) return refused("missing " + header_name + " header");
  std::vector<std::string> sent;  // "v1,<base64>" entries; other versions are not ours to check
  for (std::string_view entry : split(list, ' '))
    if (entry.rfind("v1,", 0) == 0) sent.emplace_back(entry);
  if (sent.empty()) return refused("no v1 signature in " + header_name);
  std::string content = check.delivery;
  content.append(".").append(stamp).append(".").append(body);
  std::vector<std::string> expected;
  for (const auto& secret : rules.secrets)
    expected.push_back("v1," + http::hmac_sha256_base64(signing_key(rules.scheme, secret), content));
  check.signature = first_match(sent, expected);
  if (check.signature.empty()) check.error = "bad signature";
  return check;
}

SignatureCheck check_github(const SignatureRules& rules, const std::string& header_name, const HeaderLookup& header,
                            std::string_view body) {
  const std::string signature = header(header_name);
  if (signature.empty()) return refused("missing " + header_name + " header");
  // Without its prefix a digest of another algorithm could be taken for this one: refused.
  if (signature.rfind("sha256=", 0) != 0) return refused(header_name + " must be sha256=<hex>");
  std::vector<std::string> expected;
  for (const auto& secret : rules.secrets) expected.push_back("sha256=" + http::hmac_sha256_hex(secret, body));
  SignatureCheck check;
  check.signature = first_match({lower_ascii(signature)}, expected);
  if (check.signature.empty()) check.error = "bad signature";
  return check;
}

SignatureCheck check_stripe(const SignatureRules& rules, const std::string& header_name, const HeaderLookup& header,
                            std::string_view body, int64_t now) {
  const std::string value = header(header_name);
  if (value.empty()) return refused("missing " + header_name + " header");
  std::string stamp;
  std::vector<std::string> sent;
  for (std::string_view item : split(value, ',')) {
    if (item.rfind("t=", 0) == 0 && stamp.empty()) stamp = item.substr(2);
    if (item.rfind("v1=", 0) == 0) sent.push_back(lower_ascii(item.substr(3)));
  }
  if (stamp.empty()) return refused("no t=<timestamp> in " + header_name);
  SignatureCheck check;
  check.signed_at = timestamp_in_window(stamp, header_name + " t=", rules, now, check);
  if (!check.signed_at) return check;
  if (sent.empty()) return refused("no v1 signature in " + header_name);
  std::string content = stamp;
  content.append(".").append(body);
  std::vector<std::string> expected;
  for (const auto& secret : rules.secrets) expected.push_back(http::hmac_sha256_hex(secret, content));
  check.signature = first_match(sent, expected);
  if (check.signature.empty()) check.error = "bad signature";
  return check;
}

}  // namespace

const std::vector<std::string>& scheme_names() {
  static const std::vector<std::string> names{"synchub", "standard-webhooks", "github", "stripe"};
  return names;
}

std::optional<Scheme> scheme_named(std::string_view name) {
  const auto& names = scheme_names();
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<Scheme>(i);
  return std::nullopt;
}

std::string default_signature_header(Scheme scheme) {
  switch (scheme) {
    case Scheme::Synchub: return "X-Synchub-Signature";
    case Scheme::StandardWebhooks: return "webhook-signature";
    case Scheme::GitHub: return "X-Hub-Signature-256";
    case Scheme::Stripe: return "Stripe-Signature";
  }
  return "X-Synchub-Signature";
}

std::string secret_problem(Scheme scheme, const std::string& secret) {
  if (secret.empty()) return "a secret must not be empty";
  if (scheme == Scheme::StandardWebhooks && signing_key(scheme, secret).empty())
    return "a standard-webhooks secret is whsec_ followed by the base64 of the key";
  return {};
}

SignatureCheck check_signature(const SignatureRules& rules, const HeaderLookup& header, std::string_view body,
                               int64_t now_seconds) {
  const std::string name =
      rules.signature_header.empty() ? default_signature_header(rules.scheme) : rules.signature_header;
  switch (rules.scheme) {
    case Scheme::Synchub: return check_synchub(rules, name, header, body, now_seconds);
    case Scheme::StandardWebhooks: return check_standard_webhooks(rules, name, header, body, now_seconds);
    case Scheme::GitHub: return check_github(rules, name, header, body);
    case Scheme::Stripe: return check_stripe(rules, name, header, body, now_seconds);
  }
  return refused("unknown signature scheme");
}

}  // namespace synchub::connectors::webhook
