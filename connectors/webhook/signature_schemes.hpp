// How the senders people have sign a webhook request, and the check of one:
//   synchub            X-Synchub-Timestamp + X-Synchub-Signature: sha256=<hex HMAC of "<ts>.<body>">
//   standard-webhooks  webhook-id, webhook-timestamp, webhook-signature: v1,<base64 HMAC of "<id>.<ts>.<body>">
//                      (space-separated list), secret whsec_<base64 key> (standardwebhooks.com)
//   github             X-Hub-Signature-256: sha256=<hex HMAC of the body>, no timestamp
//   stripe             Stripe-Signature: t=<ts>,v1=<hex HMAC of "<ts>.<body>">[,v1=...]
// Several secrets may be set at once (key rotation): a signature by any one of them is accepted.
// Hex is compared case-insensitively; every comparison is constant-time and none stops early.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace synchub::connectors::webhook {

enum class Scheme { Synchub, StandardWebhooks, GitHub, Stripe };

const std::vector<std::string>& scheme_names();  // as written in the config, in Scheme order
std::optional<Scheme> scheme_named(std::string_view name);
// The header carrying the signature when the config names none.
std::string default_signature_header(Scheme scheme);

// "" when `secret` can sign with `scheme`, else why not (never echoing the secret).
std::string secret_problem(Scheme scheme, const std::string& secret);

struct SignatureRules {
  Scheme scheme = Scheme::Synchub;
  std::vector<std::string> secrets;                      // as configured (standard-webhooks: whsec_<base64>)
  std::string signature_header;                          // "" = the scheme's own
  std::string timestamp_header = "X-Synchub-Timestamp";  // synchub only
  int64_t tolerance_seconds = 300;                       // schemes with a signed timestamp
};

struct SignatureCheck {
  std::string error;                 // "" when one of the secrets signed the request
  std::string signature;             // the valid signature (a replay key)
  std::string delivery;              // the delivery id the scheme signs (webhook-id), "" otherwise
  std::optional<int64_t> signed_at;  // the signed timestamp, for schemes that have one
};

using HeaderLookup = std::function<std::string(std::string_view)>;  // "" when absent
SignatureCheck check_signature(const SignatureRules& rules, const HeaderLookup& header, std::string_view body,
                               int64_t now_seconds);

}  // namespace synchub::connectors::webhook
