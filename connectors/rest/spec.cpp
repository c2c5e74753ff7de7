// Registration and config spec of the `rest` connector.
#include "connectors/registry.hpp"
#include "connectors/rest/connector.hpp"

namespace synchub::connectors {

void register_rest(Registry& registry) {
  using config::FieldType;
  config::ConnectorSpec spec{
      .type = "rest",
      .description = "HTTP+JSON APIs described in YAML: paged, incremental sources and create/update/upsert sinks.",
      .status = "beta",
      .since = "0.2.0",
      .fields =
          {
              {.name = "base_url",
               .description = "Root of the API; stream paths are appended.",
               .required = true,
               .example = "https://crm.example.com/api/v2"},
              {.name = "auth",
               .type = FieldType::Section,
               .description = "How requests are authenticated.",
               .fields =
                   {
                       {.name = "type",
                        .type = FieldType::Enum,
                        .description = "none, basic, bearer, api_key or oauth2 (client credentials).",
                        .default_value = "none",
                        .options = {"none", "basic", "bearer", "api_key", "oauth2"}},
                       {.name = "username", .description = "basic: user name."},
                       {.name = "password", .description = "basic: password.", .secret = true},
                       {.name = "token", .description = "bearer: the token.", .secret = true},
                       {.name = "name",
                        .description = "api_key: header or query parameter name.",
                        .default_value = "X-API-Key"},
                       {.name = "value", .description = "api_key: the key.", .secret = true},
                       {.name = "in",
                        .type = FieldType::Enum,
                        .description = "api_key: sent as a header or a query parameter.",
                        .default_value = "header",
                        .options = {"header", "query"}},
                       {.name = "token_url", .description = "oauth2: token endpoint (full URL)."},
                       {.name = "client_id", .description = "oauth2: client id."},
                       {.name = "client_secret", .description = "oauth2: client secret.", .secret = true},
                       {.name = "scope", .description = "oauth2: requested scope."},
                   }},
              {.name = "headers", .type = FieldType::StringMap, .description = "Headers sent with every request."},
              {.name = "timeout",
               .type = FieldType::Duration,
               .description = "Whole-request timeout.",
               .default_value = "30s"},
              {.name = "connect_timeout",
               .type = FieldType::Duration,
               .description = "Connection timeout.",
               .default_value = "5s"},
              {.name = "verify_tls",
               .type = FieldType::Bool,
               .description = "Check the server's TLS certificate.",
               .default_value = "true"},
              {.name = "ca_file", .type = FieldType::Path, .description = "CA bundle (default: the system's)."},
              {.name = "rate_limit",
               .type = FieldType::Int,
               .description = "Most requests per second (token bucket); 0 for no limit.",
               .default_value = "0",
               .min = 0},
          },
      .stream_fields =
          {
              {.name = "key",
               .description = "Field (dotted path or JSON pointer) holding each record's key.",
               .default_value = "id"},
              {.name = "path", .description = "Source: listing path; makes the stream a source.", .example = "/orders"},
              {.name = "method", .description = "Source: HTTP method of the listing.", .default_value = "GET"},
              {.name = "query",
               .type = FieldType::StringMap,
               .description = "Source: query parameters; {cursor} is replaced by the cursor value."},
              {.name = "headers", .type = FieldType::StringMap, .description = "Extra headers of this stream."},
              {.name = "body", .description = "Source: request body template ({cursor} replaced)."},
              {.name = "records",
               .description = "Source: where the array of records is in the response (JSON pointer or dotted "
                              "path; empty: the response is the array).",
               .example = "/data"},
              {.name = "pagination",
               .type = FieldType::Section,
               .description = "Source: how pages are followed.",
               .fields =
                   {
                       {.name = "type",
                        .type = FieldType::Enum,
                        .description = "none, page (number), offset, cursor (token from the body), link "
                                       "(Link: rel=\"next\" header).",
                        .default_value = "none",
                        .options = {"none", "page", "offset", "cursor", "link"}},
                       {.name = "param", .description = "Query parameter of the page number, offset or token."},
                       {.name = "size_param", .description = "Query parameter of the page size."},
                       {.name = "size",
                        .type = FieldType::Int,
                        .description = "Page size; a shorter page is the last.",
                        .default_value = "100",
                        .min = 1},
                       {.name = "first",
                        .type = FieldType::Int,
                        .description = "First page number (page) or offset.",
                        .default_value = "1",
                        .min = 0},
                       {.name = "next",
                        .description = "cursor: where the next token is in the response.",
                        .default_value = "next"},
                       {.name = "total", .description = "Where the total record count is in the response."},
                   }},
              {.name = "cursor",
               .type = FieldType::Section,
               .description = "Source: incremental sync on a record field (asked with >=, ties broken by id).",
               .fields =
                   {
                       {.name = "field", .description = "Record field the cursor follows.", .example = "updated_at"},
                       {.name = "param",
                        .description = "Query parameter that carries the cursor value.",
                        .example = "updated_since"},
                       {.name = "tiebreak", .description = "Record field ordering rows with equal cursor values."},
                       {.name = "initial", .description = "Cursor value of the first poll."},
                   }},
              {.name = "poll_interval",
               .type = FieldType::Duration,
               .description = "Source: time between polls once caught up.",
               .default_value = "10s"},
              {.name = "write",
               .type = FieldType::Section,
               .description = "Sink: how records are written; `path` makes the stream a sink.",
               .fields =
                   {
                       {.name = "mode",
                        .type = FieldType::Enum,
                        .description = "create; update (records the target knows); upsert (update when the ledger "
                                       "or a lookup by key finds it, else create).",
                        .default_value = "upsert",
                        .options = {"create", "update", "upsert"}},
                       {.name = "path", .description = "Create path ({key} replaced).", .example = "/sales_orders"},
                       {.name = "method", .description = "Create method.", .default_value = "POST"},
                       {.name = "update_path",
                        .description = "Update path; {id} is the target id, {key} the record key.",
                        .example = "/sales_orders/{id}"},
                       {.name = "update_method", .description = "Update method.", .default_value = "PUT"},
                       {.name = "lookup_path",
                        .description = "upsert: GET path finding a record by {key}.",
                        .example = "/sales_orders?external_no={key}"},
                       {.name = "lookup_records",
                        .description = "upsert: where the found records are in the lookup response."},
                       {.name = "id",
                        .description = "Where the target id is in a created/updated/found record.",
                        .default_value = "id"},
                   }},
          },
      .stream_roles =
          [](const config::Settings& s) {
            return config::StreamRoles{.source = s.has("path"), .sink = s.has("write.path")};
          },
  };
  registry.add({std::move(spec), [](const config::ConnectorConfig& c, const Context&) {
                  return std::make_unique<rest::RestConnector>(c);
                }});
}

}  // namespace synchub::connectors
