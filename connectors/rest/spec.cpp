// Registration and config spec of the `rest` connector.
#include <algorithm>

#include "connectors/registry.hpp"
#include "connectors/rest/connector.hpp"
#include "connectors/rest/cursor_order.hpp"
#include "connectors/rest/error_rules.hpp"
#include "connectors/rest/streams.hpp"

namespace synchub::connectors {

namespace {

// How pages are followed, for a listing and for its detail calls alike.
std::vector<config::FieldSpec> paging_fields(const std::string& total_description) {
  using config::FieldType;
  return {
      {.name = "type",
       .type = FieldType::Enum,
       .description = "none, page (number), offset, cursor (token from the body), link (Link: rel=\"next\" header).",
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
      {.name = "next", .description = "cursor: where the next token is in the response.", .default_value = "next"},
      {.name = "total", .description = total_description},
  };
}

// Rules across the connector's fields: what each auth type cannot work without.
std::vector<config::SettingsProblem> check_connector(const config::Settings& s) {
  std::vector<config::SettingsProblem> problems;
  const std::string type = s.str("auth.type");
  auto need = [&](const char* field, const std::string& why) {
    if (s.str_or(field, "").empty())
      problems.push_back({"auth.type", "auth type " + type + " needs " + field + " (" + why + ")"});
  };
  if (type == "basic") need("auth.username", "the user name");
  if (type == "bearer") need("auth.token", "the token");
  if (type == "api_key") need("auth.value", "the key");
  if (type == "hmac") need("auth.secret", "the signing secret");
  if (type == "session") need("auth.login_path", "the login call");
  if (type == "oauth2") {
    need("auth.token_url", "the token endpoint");
    need("auth.client_id", "the client id");
  }
  return problems;
}

// Rules across a stream's fields, so that `validate` says what the stream would say at start.
std::vector<config::SettingsProblem> check_stream(const config::Settings& s) {
  std::vector<config::SettingsProblem> problems;
  if (s.has("detail.path") && !s.has("detail.match"))
    problems.push_back({"detail.path", "detail needs match (the detail field naming its master)"});
  const auto& detail_fields = s.list("detail.fields");
  if (!detail_fields.empty() && s.has("detail.match") &&
      std::find(detail_fields.begin(), detail_fields.end(), s.str("detail.match")) == detail_fields.end())
    problems.push_back({"detail.match", "detail.match '" + s.str("detail.match") + "' is none of detail.fields"});
  if (s.duration("cursor.overlap").count() > 0 && s.str("cursor.format") == "text")
    problems.push_back({"cursor.overlap",
                        "cursor.overlap needs a time cursor.format (iso, epoch_ms, epoch_s or a "
                        "pattern)"});
  for (const auto& step : s.list("write.then"))
    if (std::string problem = rest::step_problem(step); !problem.empty()) problems.push_back({"write.then", problem});
  return problems;
}

std::vector<config::FieldSpec> with(std::vector<config::FieldSpec> fields, std::vector<config::FieldSpec> more) {
  fields.insert(fields.end(), more.begin(), more.end());
  return fields;
}

// How requests are authenticated.
config::FieldSpec auth_section() {
  using config::FieldType;
  return {
      .name = "auth",
      .type = FieldType::Section,
      .description = "How requests are authenticated.",
      .fields = {
          {.name = "type",
           .type = FieldType::Enum,
           .description = "none, basic, bearer, api_key, oauth2 (client credentials), session (a login "
                          "call; cookie or token, logged in again when lost) or hmac (request signing).",
           .default_value = "none",
           .options = {"none", "basic", "bearer", "api_key", "oauth2", "session", "hmac"}},
          {.name = "username", .description = "basic, session: user name."},
          {.name = "password", .description = "basic, session: password.", .secret = true},
          {.name = "token", .description = "bearer: the token.", .secret = true},
          {.name = "name",
           .description = "api_key, session: header, query parameter, cookie or body field carrying "
                          "the key or session token (api_key default X-API-Key; session default "
                          "Authorization, sent as Bearer).",
           .example = "X-API-Key"},
          {.name = "value", .description = "api_key: the key.", .secret = true},
          {.name = "in",
           .type = FieldType::Enum,
           .description = "api_key, session: where the key or token goes (header, query, body: a "
                          "member of the JSON request body, cookie). Default: header; a session "
                          "without token_path uses the login's cookies.",
           .options = {"header", "query", "body", "cookie"}},
          {.name = "fields",
           .type = FieldType::StringMap,
           .description = "Credentials added to every JSON request body (appKey, appSecret...).",
           .secret = true},
          {.name = "token_url", .description = "oauth2: token endpoint (full URL)."},
          {.name = "client_id", .description = "oauth2: client id."},
          {.name = "client_secret", .description = "oauth2: client secret.", .secret = true},
          {.name = "scope", .description = "oauth2: requested scope."},
          {.name = "login_path", .description = "session: the login call (POST).", .example = "/login"},
          {.name = "login_body",
           .description = "session: JSON body of the login call; {username}, {password} and each "
                          "{name} of login_fields are replaced by JSON strings. Default: the "
                          "login_fields as an object, or {\"username\": {username}, \"password\": "
                          "{password}}."},
          {.name = "login_fields",
           .type = FieldType::StringMap,
           .description = "session: values of the login call ({appId: ..., appSecret: ...}); "
                          "JSON escaping is synchub's.",
           .secret = true},
          {.name = "capture",
           .type = FieldType::StringMap,
           .description = "session: values taken from the login answer (name: path), each sent "
                          "under its name where `in` says: {corpAccessToken: corpAccessToken, "
                          "corpId: corpId}."},
          {.name = "token_path",
           .description = "session: where the token is in the login answer; empty: the session is "
                          "the cookies the login sets.",
           .example = "data.token"},
          {.name = "key_id", .description = "hmac: key id, sent in key_header and as {key_id}."},
          {.name = "secret", .description = "hmac: signing secret.", .secret = true},
          {.name = "canonical",
           .description = "hmac: the signed string. Placeholders: {method} {path} (with query) "
                          "{path_only} {query} {timestamp} (unix s) {timestamp_ms} {nonce} {body} "
                          "{body_sha256} {key_id}.",
           .default_value = "{method}\\n{path}\\n{timestamp}\\n{body_sha256}"},
          {.name = "encoding",
           .type = FieldType::Enum,
           .description = "hmac: signature encoding.",
           .default_value = "hex",
           .options = {"hex", "base64"}},
          {.name = "signature_header", .description = "hmac: header of the signature.", .default_value = "X-Signature"},
          {.name = "signature_format",
           .description = "hmac: value of the signature header ({signature} and the placeholders "
                          "above).",
           .default_value = "{signature}"},
          {.name = "timestamp_header", .description = "hmac: header of the timestamp.", .default_value = "X-Timestamp"},
          {.name = "key_header", .description = "hmac: header of the key id.", .default_value = "X-Key-Id"},
      }};
}

// Failures reported inside a 2xx body.
config::FieldSpec errors_section() {
  using config::FieldType;
  return {.name = "errors",
          .type = FieldType::Section,
          .description =
              "Failures reported inside a 2xx body (errorCode != 0, IsSuccess: false...): one "
              "code with its values (this mapping), or an ordered list of rules {path, equals | "
              "matches, request, means, message}; the first rule that matches decides.",
          .items = rest::ErrorRules::rule_fields(),
          .fields = {
              {.name = "code", .description = "Where the status code is in the body.", .example = "errorCode"},
              {.name = "ok",
               .type = FieldType::StringList,
               .description = "Codes meaning success (default \"0\" and true)."},
              {.name = "message", .description = "Where the error message is.", .example = "errorMsg"},
              {.name = "transient",
               .type = FieldType::StringList,
               .description = "Codes worth retrying (busy, rate limited); others are permanent."},
              {.name = "relogin",
               .type = FieldType::StringList,
               .description = "Codes meaning the session or token is gone: log in again and retry."},
              {.name = "exists",
               .type = FieldType::StringList,
               .description = "Codes refusing a create because the record exists (a duplicate number): "
                              "it is looked up (write.lookup_path) and adopted."},
              {.name = "done",
               .type = FieldType::StringList,
               .description = "Codes refusing a write.then step because it was done already (already "
                              "submitted): the write goes on with the next step."},
          }};
}

// Master-detail: one more call per page.
config::FieldSpec detail_section() {
  using config::FieldType;
  return {.name = "detail",
          .type = FieldType::Section,
          .description = "Source: master-detail; one more call per page fetches the details of its records.",
          .fields = {
              {.name = "path", .description = "Detail call path.", .example = "/order_lines"},
              {.name = "method", .description = "Detail call method.", .default_value = "GET"},
              {.name = "param",
               .description = "Query parameter carrying the page's master keys, comma-separated.",
               .example = "order_ids"},
              {.name = "body", .description = "JSON body template; {keys} is the array of master keys."},
              {.name = "records", .description = "Where the detail rows are in the answer."},
              {.name = "fields",
               .type = FieldType::StringList,
               .description = "Names of the values when detail rows are arrays (a requested field "
                              "list, K3Cloud's FieldKeys); match is one of them."},
              {.name = "match", .description = "Detail field naming its master's key.", .example = "order_id"},
              {.name = "by", .description = "Master field the details match (default: the stream key)."},
              {.name = "into", .description = "Array member added to each master record.", .default_value = "details"},
              {.name = "count",
               .description = "Master field saying how many details it has: a master that gets another "
                              "number is incomplete.",
               .example = "line_count"},
              {.name = "attempts",
               .type = FieldType::Int,
               .description = "Reads of a page whose details are incomplete (the answer says it holds "
                              "more rows than came, or a count differs) before its incomplete records "
                              "are dead-lettered; a record never goes out with part of its details.",
               .default_value = "3",
               .min = 1},
              {.name = "pagination",
               .type = FieldType::Section,
               .description = "How the detail answer's pages are followed (as the listing's "
                              "pagination; {page}, {offset}, {size}, {next} also in the body).",
               .fields = paging_fields("Where the answer says how many rows it holds in all; fewer "
                                       "rows than that is a failure.")},
          }};
}

// Incremental sync on a record field.
config::FieldSpec cursor_section() {
  using config::FieldType;
  return {.name = "cursor",
          .type = FieldType::Section,
          .description = "Source: incremental sync on a record field (asked with >=, ties broken by id).",
          .fields = {
              {.name = "field", .description = "Record field the cursor follows.", .example = "updated_at"},
              {.name = "param",
               .description = "Query parameter that carries the cursor value.",
               .example = "updated_since"},
              {.name = "tiebreak", .description = "Record field ordering rows with equal cursor values."},
              {.name = "initial", .description = "Cursor value of the first poll."},
              {.name = "format",
               .description = "How cursor values compare: text (default; ISO-8601 UTC sorts as text), "
                              "iso (instants, any offset), epoch_ms, epoch_s, or a date pattern such as "
                              "\"%Y-%m-%d %H:%M:%S\" read in time_zone.",
               .default_value = "text",
               .check = rest::CursorOrder::check_format},
              {.name = "time_zone",
               .description = "Zone of cursor values without an offset.",
               .default_value = "UTC",
               .example = "Asia/Shanghai",
               .check = rest::CursorOrder::check_time_zone},
              {.name = "overlap",
               .type = FieldType::Duration,
               .description = "Ask again this far back (rows committed late); rows seen again are "
                              "dropped as unchanged by the ledger. Needs a time format.",
               .default_value = "0s"},
          }};
}

// How records are written.
config::FieldSpec write_section() {
  using config::FieldType;
  return {.name = "write",
          .type = FieldType::Section,
          .description = "Sink: how records are written; `path` makes the stream a sink.",
          .fields = {
              {.name = "mode",
               .type = FieldType::Enum,
               .description = "create; update (records the target knows); upsert (update when the ledger "
                              "or a lookup by key finds it, else create).",
               .default_value = "upsert",
               .options = {"create", "update", "upsert"}},
              {.name = "path", .description = "Create path ({key} replaced).", .example = "/sales_orders"},
              {.name = "method", .description = "Create method.", .default_value = "POST"},
              {.name = "update_path",
               .description = "Update path; {id} is the target id, {key} the record key. Without {id}, "
                              "mode update needs no id (the key addresses the record).",
               .example = "/sales_orders/{id}"},
              {.name = "update_method", .description = "Update method.", .default_value = "PUT"},
              {.name = "lookup_path",
               .description = "Path finding a record by {key}: upsert looks up before it creates, and a "
                              "create refused as existing (409, `errors.exists`) finds and adopts it.",
               .example = "/sales_orders?external_no={key}"},
              {.name = "lookup_method", .description = "Lookup method.", .default_value = "GET"},
              {.name = "lookup_body",
               .description = "Lookup JSON body template; {key} is the key as a JSON string, "
                              "{record.PATH} a value of the mapped record; inside a string literal a "
                              "placeholder gives its text, escaped (\"FBillNo='{record.FBillNo}'\").",
               .example = "{\"FilterString\": \"FBillNo='{key}'\"}"},
              {.name = "lookup_records",
               .description = "Where the found records are in the lookup response (the first is taken)."},
              {.name = "lookup_id", .description = "Where the target id is in a found record (default: write.id)."},
              {.name = "lookup_fields",
               .type = FieldType::StringList,
               .description = "Names of the values when found rows are arrays (the FieldKeys of a "
                              "query); write.id then names one of them."},
              {.name = "id",
               .description = "Where the target id is in a created/updated/found record.",
               .default_value = "id"},
              {.name = "then",
               .type = FieldType::StringList,
               .description = "Multi-step writes: calls after a successful save, each \"METHOD path "
                              "[JSON body]\" with {id}, {key} and {record.PATH} replaced.",
               .example = "POST /orders/{id}/submit"},
              {.name = "batch",
               .type = FieldType::Section,
               .description = "Batch endpoint: many records per request, one result per record.",
               .fields =
                   {
                       {.name = "path",
                        .description = "Batch path; set to write in batches.",
                        .example = "/sales_orders/batch"},
                       {.name = "method", .description = "Batch method.", .default_value = "POST"},
                       {.name = "size",
                        .type = FieldType::Int,
                        .description = "Records per request.",
                        .default_value = "100",
                        .min = 1,
                        .max = 10000},
                       {.name = "wrap",
                        .description = "Body member holding the records; empty: the body is the array.",
                        .example = "orders"},
                       {.name = "results",
                        .description = "Where the per-record results are (same order as sent).",
                        .example = "results"},
                       {.name = "id", .description = "Target id in a result (default: write.id)."},
                       {.name = "error", .description = "Error message in a failed result.", .default_value = "error"},
                       {.name = "status",
                        .description = "HTTP-like status in a result (201 created, 200 updated, 4xx "
                                       "permanent, 5xx/429 transient)."},
                   }},
          }};
}

}  // namespace

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
              auth_section(),
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
              {.name = "concurrency",
               .type = FieldType::Int,
               .description = "Most requests in flight at once (sinks write in parallel lanes; one key stays "
                              "in one lane, in order).",
               .default_value = "1",
               .min = 1,
               .max = 64},
              errors_section(),
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
              {.name = "body",
               .description = "Source: JSON request body template; {cursor} (the since value), {next} (page "
                              "token), {page}, {offset} and {size} are replaced by JSON values.",
               .example = "{\"pageNo\": {page}, \"pageSize\": {size}, \"modifiedSince\": {cursor}}"},
              {.name = "fields",
               .type = FieldType::StringList,
               .description = "Source: names of the values when rows are arrays (a requested field list); each "
                              "row becomes an object with these members."},
              detail_section(),
              {.name = "records",
               .description = "Source: where the array of records is in the response (JSON pointer or dotted "
                              "path; empty: the response is the array).",
               .example = "/data"},
              {.name = "pagination",
               .type = FieldType::Section,
               .description = "Source: how pages are followed.",
               .fields =
                   with(paging_fields("Where the total record count is in the response."),
                        {
                            {.name = "in",
                             .type = FieldType::Enum,
                             .description = "query: paging parameters in the query; body: only in the body template "
                                            "({page}, {offset}, {size}, {next}).",
                             .default_value = "query",
                             .options = {"query", "body"}},
                        })},
              cursor_section(),
              {.name = "poll_interval",
               .type = FieldType::Duration,
               .description = "Source: time between polls once caught up.",
               .default_value = "10s"},
              write_section(),
          },
      .stream_roles =
          [](const config::Settings& s) {
            return config::StreamRoles{
                .source = s.has("path"),
                .sink = s.has("write.path") || s.has("write.batch.path") || s.has("write.update_path")};
          },
      .check = check_connector,
      .stream_check = check_stream,
  };
  registry.add({std::move(spec), [](const config::ConnectorConfig& c, const Context&) {
                  return std::make_unique<rest::RestConnector>(c);
                }});
}

}  // namespace synchub::connectors
