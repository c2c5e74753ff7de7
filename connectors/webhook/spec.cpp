// Registration and config spec of the `webhook` connector.
#include "connectors/registry.hpp"
#include "connectors/webhook/connector.hpp"

namespace synchub::connectors {

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
              {.name = webhook::field::kSecret,
               .description = "HMAC-SHA256 key; requests must be signed (recommended: always set it).",
               .secret = true},
              {.name = webhook::field::kSignatureHeader,
               .description = "Header carrying sha256=<hex HMAC of \"<timestamp>.<body>\">.",
               .default_value = "X-Synchub-Signature"},
              {.name = webhook::field::kTimestampHeader,
               .description = "Header carrying the sending time (Unix seconds).",
               .default_value = "X-Synchub-Timestamp"},
              {.name = webhook::field::kDeliveryHeader,
               .description = "Header carrying the sender's delivery id: a request with an id stored within the "
                              "tolerance window is not published again, even when signed anew (\"\" = none).",
               .default_value = "X-Synchub-Delivery"},
              {.name = webhook::field::kTolerance,
               .type = FieldType::Duration,
               .description = "Requests whose timestamp is further from now are refused; a request seen within it "
                              "is not published again (replay protection).",
               .default_value = "5m"},
          },
      .stream_roles = [](const config::Settings&) { return config::StreamRoles{.source = true, .sink = false}; },
  };
  registry.add(
      {std::move(spec), [](const config::ConnectorConfig&, const Context&) { return webhook::open_connector(); }});
}

}  // namespace synchub::connectors
