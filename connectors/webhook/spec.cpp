// Registration and config spec of the `webhook` connector.
#include "connectors/registry.hpp"
#include "connectors/webhook/connector.hpp"
#include "connectors/webhook/signature_schemes.hpp"

namespace synchub::connectors {
namespace {

namespace field = webhook::field;

[[nodiscard]] std::vector<config::SettingsProblem> check_stream(const config::Settings& s) {
  std::vector<config::SettingsProblem> problems;
  const bool section = s.has(field::kSignatureScheme) || s.has(field::kSignatureSecrets);
  if (section && s.has(field::kSecret))
    problems.push_back({field::kSecret, "set either secret or signature.secrets, not both"});
  if (!section) return problems;
  const auto& secrets = s.list(field::kSignatureSecrets);
  if (secrets.empty()) {
    problems.push_back({s.has(field::kSignatureSecrets) ? field::kSignatureSecrets : field::kSignature,
                        "signature needs secrets: at least one (several while a key is rotated)"});
    return problems;
  }
  const auto scheme = webhook::scheme_named(s.str_or(field::kSignatureScheme, "synchub"));
  for (size_t i = 0; scheme && i < secrets.size(); ++i)
    if (std::string problem = webhook::secret_problem(*scheme, secrets[i]); !problem.empty())
      problems.push_back({field::kSignatureSecrets, "secret " + std::to_string(i + 1) + ": " + problem});
  return problems;
}

}  // namespace

void register_webhook(Registry& registry) {
  using config::FieldType;
  config::ConnectorSpec spec{
      .type = "webhook",
      .description = "Push source: records POSTed to /hooks/<connector>/<stream> on synchub's HTTP server (hub.http).",
      .status = "beta",
      .since = "0.2.0",
      .fields = {},
      .stream_fields =
          {
              {.name = webhook::field::kKey,
               .description = "Field (dotted path) holding each record's key.",
               .default_value = "id"},
              {.name = webhook::field::kSignature,
               .type = FieldType::Section,
               .description = "How requests are signed: the sender's scheme and its secrets (recommended: always "
                              "set it, or `secret`).",
               .fields =
                   {
                       {.name = "scheme",
                        .type = FieldType::Enum,
                        .description = "synchub (X-Synchub-Signature over \"<timestamp>.<body>\", the default), "
                                       "standard-webhooks (webhook-id, webhook-timestamp, webhook-signature: "
                                       "v1,<base64>; secrets whsec_<base64>), github (X-Hub-Signature-256: "
                                       "sha256=<hex>; no timestamp) or stripe (Stripe-Signature: t=<time>,v1=<hex>).",
                        .options = webhook::scheme_names()},
                       {.name = "secrets",
                        .type = FieldType::StringList,
                        .description = "HMAC-SHA256 keys: a request signed with any one of them is accepted "
                                       "(list the new and the old key while rotating).",
                        .secret = true},
                       {.name = "header",
                        .description = "Header carrying the signature, when the sender uses another name than "
                                       "the scheme's (synchub: signature_header)."},
                   }},
              {.name = webhook::field::kSecret,
               .description = "HMAC-SHA256 key of synchub's scheme (signature_header, timestamp_header); the same "
                              "as signature: {secrets: [<secret>]}.",
               .secret = true},
              {.name = webhook::field::kSignatureHeader,
               .description = "synchub scheme: header carrying sha256=<hex HMAC of \"<timestamp>.<body>\"> (the "
                              "sha256= prefix is required).",
               .default_value = "X-Synchub-Signature"},
              {.name = webhook::field::kTimestampHeader,
               .description = "synchub scheme: header carrying the sending time (Unix seconds).",
               .default_value = "X-Synchub-Timestamp"},
              {.name = webhook::field::kDeliveryHeader,
               .description = "Header carrying the sender's delivery id: a request with an id stored within the "
                              "tolerance window is not published again, even when signed anew (\"\" = none; the "
                              "github scheme's default is X-GitHub-Delivery; standard-webhooks uses its signed "
                              "webhook-id).",
               .default_value = "X-Synchub-Delivery"},
              {.name = webhook::field::kTolerance,
               .type = FieldType::Duration,
               .description = "Requests whose timestamp is further from now are refused; a request seen within it "
                              "is not published again (replay protection).",
               .default_value = "5m"},
          },
      .stream_roles = [](const config::Settings&) { return config::StreamRoles{.source = true, .sink = false}; },
      .stream_check = check_stream,
  };
  registry.add(
      {std::move(spec), [](const config::ConnectorConfig&, const Context&) { return webhook::open_connector(); }});
}

}  // namespace synchub::connectors
