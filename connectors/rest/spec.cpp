// Registration and config spec of the `rest` connector.
#include <algorithm>

#include "connectors/registry.hpp"
#include "connectors/rest/connector.hpp"
#include "connectors/rest/cursor_order.hpp"
#include "connectors/rest/error_rules.hpp"
#include "connectors/rest/fields.hpp"
#include "connectors/rest/streams.hpp"

namespace synchub::connectors {

namespace {

namespace field = rest::field;

// How pages are followed, for a listing and for its detail calls alike.
std::vector<config::FieldSpec> paging_fields(const std::string& total_description) {
  using config::FieldType;
  return {
      {.name = field::paging::kType.name(),
       .type = FieldType::Enum,
       .description = "none, page (number), offset, cursor (token from the body), link (Link: rel=\"next\" header).",
       .default_value = "none",
       .options = {"none", "page", "offset", "cursor", "link"}},
      {.name = field::paging::kParam.name(), .description = "Query parameter of the page number, offset or token."},
      {.name = field::paging::kSizeParam.name(), .description = "Query parameter of the page size."},
      {.name = field::paging::kSize.name(),
       .type = FieldType::Int,
       .description = "Page size; a shorter page is the last.",
       .default_value = "100",
       .min = 1},
      {.name = field::paging::kFirst.name(),
       .type = FieldType::Int,
       .description = "First page number (page) or offset.",
       .default_value = "1",
       .min = 0},
      {.name = field::paging::kNext.name(),
       .description = "cursor: where the next token is in the response.",
       .default_value = "next"},
      {.name = field::paging::kTotal.name(), .description = total_description},
  };
}

// Rules across the connector's fields: what each auth type cannot work without.
[[nodiscard]] std::vector<config::SettingsProblem> check_connector(const config::Settings& s) {
  std::vector<config::SettingsProblem> problems;
  const std::string type = s.str(field::auth::kType);
  auto need = [&](field::Setting needed, const std::string& why) {
    if (s.str_or(needed, "").empty())
      problems.push_back({field::auth::kType, "auth type " + type + " needs " + needed.path + " (" + why + ")"});
  };
  if (type == "basic") need(field::auth::kUsername, "the user name");
  if (type == "bearer") need(field::auth::kToken, "the token");
  if (type == "api_key") need(field::auth::kValue, "the key");
  if (type == "hmac") need(field::auth::kSecret, "the signing secret");
  if (type == "session") need(field::auth::kLoginPath, "the login call");
  if (type == "oauth2") {
    need(field::auth::kTokenUrl, "the token endpoint");
    need(field::auth::kClientId, "the client id");
  }
  return problems;
}

// Rules across a stream's fields, so that `validate` says what the stream would say at start.
[[nodiscard]] std::vector<config::SettingsProblem> check_stream(const config::Settings& s) {
  std::vector<config::SettingsProblem> problems;
  if (s.has(field::detail::kPath) && !s.has(field::detail::kMatch))
    problems.push_back({field::detail::kPath, "detail needs match (the detail field naming its master)"});
  const auto& detail_fields = s.list(field::detail::kFields);
  if (!detail_fields.empty() && s.has(field::detail::kMatch) &&
      std::find(detail_fields.begin(), detail_fields.end(), s.str(field::detail::kMatch)) == detail_fields.end())
    problems.push_back(
        {field::detail::kMatch, "detail.match '" + s.str(field::detail::kMatch) + "' is none of detail.fields"});
  if (s.duration(field::cursor::kOverlap).count() > 0 && s.str(field::cursor::kFormat) == "text")
    problems.push_back({field::cursor::kOverlap,
                        "cursor.overlap needs a time cursor.format (iso, epoch_ms, epoch_s or a "
                        "pattern)"});
  for (const auto& step : s.list(field::write::kThen))
    if (std::string problem = rest::step_problem(step); !problem.empty())
      problems.push_back({field::write::kThen, problem});
  return problems;
}

std::vector<config::FieldSpec> with(std::vector<config::FieldSpec> fields, std::vector<config::FieldSpec> more) {
  fields.insert(fields.end(), more.begin(), more.end());
  return fields;
}

// The auth type, and what the types other than hmac send: a user, a token, a key, a login.
std::vector<config::FieldSpec> credential_fields() {
  using config::FieldType;
  return {
      {.name = field::auth::kType.name(),
       .type = FieldType::Enum,
       .description = "none, basic, bearer, api_key, oauth2 (client credentials), session (a login "
                      "call; cookie or token, logged in again when lost) or hmac (request signing).",
       .default_value = "none",
       .options = {"none", "basic", "bearer", "api_key", "oauth2", "session", "hmac"}},
      {.name = field::auth::kUsername.name(), .description = "basic, session: user name."},
      {.name = field::auth::kPassword.name(), .description = "basic, session: password.", .secret = true},
      {.name = field::auth::kToken.name(), .description = "bearer: the token.", .secret = true},
      {.name = field::auth::kName.name(),
       .description = "api_key, session: header, query parameter, cookie or body field carrying "
                      "the key or session token (api_key default X-API-Key; session default "
                      "Authorization, sent as Bearer).",
       .example = "X-API-Key"},
      {.name = field::auth::kValue.name(), .description = "api_key: the key.", .secret = true},
      {.name = field::auth::kIn.name(),
       .type = FieldType::Enum,
       .description = "api_key, session: where the key or token goes (header, query, body: a "
                      "member of the JSON request body, cookie). Default: header; a session "
                      "without token_path uses the login's cookies.",
       .options = {"header", "query", "body", "cookie"}},
      {.name = field::auth::kFields.name(),
       .type = FieldType::StringMap,
       .description = "Credentials added to every JSON request body (appKey, appSecret...).",
       .secret = true},
      {.name = field::auth::kTokenUrl.name(), .description = "oauth2: token endpoint (full URL)."},
      {.name = field::auth::kClientId.name(), .description = "oauth2: client id."},
      {.name = field::auth::kClientSecret.name(), .description = "oauth2: client secret.", .secret = true},
      {.name = field::auth::kScope.name(), .description = "oauth2: requested scope."},
      {.name = field::auth::kLoginPath.name(), .description = "session: the login call (POST).", .example = "/login"},
      {.name = field::auth::kLoginBody.name(),
       .description = "session: JSON body of the login call; {username}, {password} and each "
                      "{name} of login_fields are replaced by JSON strings. Default: the "
                      "login_fields as an object, or {\"username\": {username}, \"password\": "
                      "{password}}."},
      {.name = field::auth::kLoginFields.name(),
       .type = FieldType::StringMap,
       .description = "session: values of the login call ({appId: ..., appSecret: ...}); "
                      "JSON escaping is synchub's.",
       .secret = true},
      {.name = field::auth::kCapture.name(),
       .type = FieldType::StringMap,
       .description = "session: values taken from the login answer (name: path), each sent "
                      "under its name where `in` says: {corpAccessToken: corpAccessToken, "
                      "corpId: corpId}."},
      {.name = field::auth::kTokenPath.name(),
       .description = "session: where the token is in the login answer; empty: the session is "
                      "the cookies the login sets.",
       .example = "data.token"},
  };
}

// Request signing (auth.type hmac).
std::vector<config::FieldSpec> hmac_fields() {
  using config::FieldType;
  return {
      {.name = field::auth::kKeyId.name(), .description = "hmac: key id, sent in key_header and as {key_id}."},
      {.name = field::auth::kSecret.name(), .description = "hmac: signing secret.", .secret = true},
      {.name = field::auth::kCanonical.name(),
       .description = "hmac: the signed string. Placeholders: {method} {path} (with query) "
                      "{path_only} {query} {timestamp} (unix s) {timestamp_ms} {nonce} {body} "
                      "{body_sha256} {key_id}.",
       .default_value = "{method}\\n{path}\\n{timestamp}\\n{body_sha256}"},
      {.name = field::auth::kEncoding.name(),
       .type = FieldType::Enum,
       .description = "hmac: signature encoding.",
       .default_value = "hex",
       .options = {"hex", "base64"}},
      {.name = field::auth::kSignatureHeader.name(),
       .description = "hmac: header of the signature.",
       .default_value = "X-Signature"},
      {.name = field::auth::kSignatureFormat.name(),
       .description = "hmac: value of the signature header ({signature} and the placeholders "
                      "above).",
       .default_value = "{signature}"},
      {.name = field::auth::kTimestampHeader.name(),
       .description = "hmac: header of the timestamp.",
       .default_value = "X-Timestamp"},
      {.name = field::auth::kKeyHeader.name(),
       .description = "hmac: header of the key id.",
       .default_value = "X-Key-Id"},
  };
}

// How requests are authenticated.
config::FieldSpec auth_section() {
  using config::FieldType;
  return {.name = field::auth::kSection.name(),
          .type = FieldType::Section,
          .description = "How requests are authenticated.",
          .fields = with(credential_fields(), hmac_fields())};
}

// Failures reported inside a 2xx body.
config::FieldSpec errors_section() {
  using config::FieldType;
  return {
      .name = field::errors::kSection.name(),
      .type = FieldType::Section,
      .description =
          "Failures reported inside a 2xx body (errorCode != 0, IsSuccess: false...): one "
          "code with its values (this mapping), or an ordered list of rules {path, equals | "
          "matches, request, means, message}; the first rule that matches decides.",
      .items = rest::ErrorRules::rule_fields(),
      .fields = {
          {.name = field::errors::kCode.name(),
           .description = "Where the status code is in the body.",
           .example = "errorCode"},
          {.name = field::errors::kOk.name(),
           .type = FieldType::StringList,
           .description = "Codes meaning success (default \"0\" and true)."},
          {.name = field::errors::kMessage.name(), .description = "Where the error message is.", .example = "errorMsg"},
          {.name = field::errors::kTransient.name(),
           .type = FieldType::StringList,
           .description = "Codes worth retrying (busy, rate limited); others are permanent."},
          {.name = field::errors::kRelogin.name(),
           .type = FieldType::StringList,
           .description = "Codes meaning the session or token is gone: log in again and retry."},
          {.name = field::errors::kExists.name(),
           .type = FieldType::StringList,
           .description = "Codes refusing a create because the record exists (a duplicate number): "
                          "it is looked up (write.lookup_path) and adopted."},
          {.name = field::errors::kDone.name(),
           .type = FieldType::StringList,
           .description = "Codes refusing a write.then step because it was done already (already "
                          "submitted): the write goes on with the next step."},
      }};
}

// Master-detail: one more call per page.
config::FieldSpec detail_section() {
  using config::FieldType;
  return {.name = field::detail::kSection.name(),
          .type = FieldType::Section,
          .description = "Source: master-detail; one more call per page fetches the details of its records.",
          .fields = {
              {.name = field::detail::kPath.name(), .description = "Detail call path.", .example = "/order_lines"},
              {.name = field::detail::kMethod.name(), .description = "Detail call method.", .default_value = "GET"},
              {.name = field::detail::kParam.name(),
               .description = "Query parameter carrying the page's master keys, comma-separated.",
               .example = "order_ids"},
              {.name = field::detail::kBody.name(),
               .description = "JSON body template; {keys} is the array of master keys."},
              {.name = field::detail::kRecords.name(), .description = "Where the detail rows are in the answer."},
              {.name = field::detail::kFields.name(),
               .type = FieldType::StringList,
               .description = "Names of the values when detail rows are arrays (a requested field "
                              "list, K3Cloud's FieldKeys); match is one of them."},
              {.name = field::detail::kMatch.name(),
               .description = "Detail field naming its master's key.",
               .example = "order_id"},
              {.name = field::detail::kBy.name(),
               .description = "Master field the details match (default: the stream key)."},
              {.name = field::detail::kInto.name(),
               .description = "Array member added to each master record.",
               .default_value = "details"},
              {.name = field::detail::kCount.name(),
               .description = "Master field saying how many details it has: a master that gets another "
                              "number is incomplete.",
               .example = "line_count"},
              {.name = field::detail::kAttempts.name(),
               .type = FieldType::Int,
               .description = "Reads of a page whose details are incomplete (the answer says it holds "
                              "more rows than came, or a count differs) before its incomplete records "
                              "are dead-lettered; a record never goes out with part of its details.",
               .default_value = "3",
               .min = 1},
              {.name = field::detail::kPagination.name(),
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
  return {.name = field::cursor::kSection.name(),
          .type = FieldType::Section,
          .description = "Source: incremental sync on a record field (asked with >=, ties broken by id).",
          .fields = {
              {.name = field::cursor::kField.name(),
               .description = "Record field the cursor follows.",
               .example = "updated_at"},
              {.name = field::cursor::kParam.name(),
               .description = "Query parameter that carries the cursor value.",
               .example = "updated_since"},
              {.name = field::cursor::kTiebreak.name(),
               .description = "Record field ordering rows with equal cursor values."},
              {.name = field::cursor::kInitial.name(), .description = "Cursor value of the first poll."},
              {.name = field::cursor::kFormat.name(),
               .description = "How cursor values compare: text (default; ISO-8601 UTC sorts as text), "
                              "iso (instants, any offset), epoch_ms, epoch_s, or a date pattern such as "
                              "\"%Y-%m-%d %H:%M:%S\" read in time_zone.",
               .default_value = "text",
               .check = rest::CursorOrder::check_format},
              {.name = field::cursor::kTimeZone.name(),
               .description = "Zone of cursor values without an offset.",
               .default_value = "UTC",
               .example = "Asia/Shanghai",
               .check = rest::CursorOrder::check_time_zone},
              {.name = field::cursor::kOverlap.name(),
               .type = FieldType::Duration,
               .description = "Ask again this far back (rows committed late); rows seen again are "
                              "dropped as unchanged by the ledger. Needs a time format.",
               .default_value = "0s"},
          }};
}

// How records are written.
config::FieldSpec write_section() {
  using config::FieldType;
  return {.name = field::write::kSection.name(),
          .type = FieldType::Section,
          .description = "Sink: how records are written; `path` makes the stream a sink.",
          .fields = {
              {.name = field::write::kMode.name(),
               .type = FieldType::Enum,
               .description = "create; update (records the target knows); upsert (update when the ledger "
                              "or a lookup by key finds it, else create).",
               .default_value = "upsert",
               .options = {"create", "update", "upsert"}},
              {.name = field::write::kPath.name(),
               .description = "Create path ({key} replaced).",
               .example = "/sales_orders"},
              {.name = field::write::kMethod.name(), .description = "Create method.", .default_value = "POST"},
              {.name = field::write::kUpdatePath.name(),
               .description = "Update path; {id} is the target id, {key} the record key. Without {id}, "
                              "mode update needs no id (the key addresses the record).",
               .example = "/sales_orders/{id}"},
              {.name = field::write::kUpdateMethod.name(), .description = "Update method.", .default_value = "PUT"},
              {.name = field::write::kLookupPath.name(),
               .description = "Path finding a record by {key}: upsert looks up before it creates, and a "
                              "create refused as existing (409, `errors.exists`) finds and adopts it.",
               .example = "/sales_orders?external_no={key}"},
              {.name = field::write::kLookupMethod.name(), .description = "Lookup method.", .default_value = "GET"},
              {.name = field::write::kLookupBody.name(),
               .description = "Lookup JSON body template; {key} is the key as a JSON string, "
                              "{record.PATH} a value of the mapped record; inside a string literal a "
                              "placeholder gives its text, escaped (\"FBillNo='{record.FBillNo}'\").",
               .example = "{\"FilterString\": \"FBillNo='{key}'\"}"},
              {.name = field::write::kLookupRecords.name(),
               .description = "Where the found records are in the lookup response (the first is taken)."},
              {.name = field::write::kLookupId.name(),
               .description = "Where the target id is in a found record (default: write.id)."},
              {.name = field::write::kLookupFields.name(),
               .type = FieldType::StringList,
               .description = "Names of the values when found rows are arrays (the FieldKeys of a "
                              "query); write.id then names one of them."},
              {.name = field::write::kId.name(),
               .description = "Where the target id is in a created/updated/found record.",
               .default_value = "id"},
              {.name = field::write::kThen.name(),
               .type = FieldType::StringList,
               .description = "Multi-step writes: calls after a successful save, each \"METHOD path "
                              "[JSON body]\" with {id}, {key} and {record.PATH} replaced.",
               .example = "POST /orders/{id}/submit"},
              {.name = field::write::kBatch.name(),
               .type = FieldType::Section,
               .description = "Batch endpoint: many records per request, one result per record.",
               .fields =
                   {
                       {.name = field::batch::kPath.name(),
                        .description = "Batch path; set to write in batches.",
                        .example = "/sales_orders/batch"},
                       {.name = field::batch::kMethod.name(), .description = "Batch method.", .default_value = "POST"},
                       {.name = field::batch::kSize.name(),
                        .type = FieldType::Int,
                        .description = "Records per request.",
                        .default_value = "100",
                        .min = 1,
                        .max = 10000},
                       {.name = field::batch::kWrap.name(),
                        .description = "Body member holding the records; empty: the body is the array.",
                        .example = "orders"},
                       {.name = field::batch::kResults.name(),
                        .description = "Where the per-record results are (same order as sent).",
                        .example = "results"},
                       {.name = field::batch::kId.name(), .description = "Target id in a result (default: write.id)."},
                       {.name = field::batch::kError.name(),
                        .description = "Error message in a failed result.",
                        .default_value = "error"},
                       {.name = field::batch::kStatus.name(),
                        .description = "HTTP-like status in a result (201 created, 200 updated, 4xx "
                                       "permanent, 5xx/429 transient)."},
                   }},
          }};
}

// The connector's own fields: where the API is, how it is called and authenticated.
std::vector<config::FieldSpec> connector_fields() {
  using config::FieldType;
  return {
      {.name = field::connector::kBaseUrl.name(),
       .description = "Root of the API; stream paths are appended.",
       .required = true,
       .example = "https://crm.example.com/api/v2"},
      auth_section(),
      {.name = field::connector::kHeaders.name(),
       .type = FieldType::StringMap,
       .description = "Headers sent with every request."},
      {.name = field::connector::kTimeout.name(),
       .type = FieldType::Duration,
       .description = "Whole-request timeout.",
       .default_value = "30s"},
      {.name = field::connector::kConnectTimeout.name(),
       .type = FieldType::Duration,
       .description = "Connection timeout.",
       .default_value = "5s"},
      {.name = field::connector::kVerifyTls.name(),
       .type = FieldType::Bool,
       .description = "Check the server's TLS certificate.",
       .default_value = "true"},
      {.name = field::connector::kCaFile.name(),
       .type = FieldType::Path,
       .description = "CA bundle (default: the system's)."},
      {.name = field::connector::kConcurrency.name(),
       .type = FieldType::Int,
       .description = "Most requests in flight at once (sinks write in parallel lanes; one key stays "
                      "in one lane, in order).",
       .default_value = "1",
       .min = 1,
       .max = 64},
      errors_section(),
      {.name = field::connector::kRateLimit.name(),
       .type = FieldType::Int,
       .description = "Most requests per second (token bucket); 0 for no limit.",
       .default_value = "0",
       .min = 0},
  };
}

// A stream's fields: a source's listing (with its sections) and a sink's writes.
std::vector<config::FieldSpec> stream_fields() {
  using config::FieldType;
  return {
      {.name = field::stream::kKey.name(),
       .description = "Field (dotted path or JSON pointer) holding each record's key.",
       .default_value = "id"},
      {.name = field::stream::kPath.name(),
       .description = "Source: listing path; makes the stream a source.",
       .example = "/orders"},
      {.name = field::stream::kMethod.name(),
       .description = "Source: HTTP method of the listing.",
       .default_value = "GET"},
      {.name = field::stream::kQuery.name(),
       .type = FieldType::StringMap,
       .description = "Source: query parameters; {cursor} is replaced by the cursor value."},
      {.name = field::stream::kHeaders.name(),
       .type = FieldType::StringMap,
       .description = "Extra headers of this stream."},
      {.name = field::stream::kBody.name(),
       .description = "Source: JSON request body template; {cursor} (the since value), {next} (page "
                      "token), {page}, {offset} and {size} are replaced by JSON values.",
       .example = "{\"pageNo\": {page}, \"pageSize\": {size}, \"modifiedSince\": {cursor}}"},
      {.name = field::stream::kFields.name(),
       .type = FieldType::StringList,
       .description = "Source: names of the values when rows are arrays (a requested field list); each "
                      "row becomes an object with these members."},
      detail_section(),
      {.name = field::stream::kRecords.name(),
       .description = "Source: where the array of records is in the response (JSON pointer or dotted "
                      "path; empty: the response is the array).",
       .example = "/data"},
      {.name = field::stream::kPagination.name(),
       .type = FieldType::Section,
       .description = "Source: how pages are followed.",
       .fields = with(paging_fields("Where the total record count is in the response."),
                      {
                          {.name = field::stream::kPaginationIn.name(),
                           .type = FieldType::Enum,
                           .description = "query: paging parameters in the query; body: only in the body template "
                                          "({page}, {offset}, {size}, {next}).",
                           .default_value = "query",
                           .options = {"query", "body"}},
                      })},
      cursor_section(),
      {.name = field::stream::kPollInterval.name(),
       .type = FieldType::Duration,
       .description = "Source: time between polls once caught up.",
       .default_value = "10s"},
      write_section(),
  };
}

}  // namespace

void register_rest(Registry& registry) {
  using config::FieldType;
  config::ConnectorSpec spec{
      .type = "rest",
      .description = "HTTP+JSON APIs described in YAML: paged, incremental sources and create/update/upsert sinks.",
      .status = "beta",
      .since = "0.2.0",
      .fields = connector_fields(),
      .stream_fields = stream_fields(),
      .stream_roles =
          [](const config::Settings& s) {
            return config::StreamRoles{
                .source = s.has(field::stream::kPath),
                .sink = s.has(field::write::kPath) || s.has(field::batch::kPath) || s.has(field::write::kUpdatePath)};
          },
      .check = check_connector,
      .stream_check = check_stream,
  };
  registry.add({std::move(spec), [](const config::ConnectorConfig& c, const Context&) {
                  return std::make_unique<rest::RestConnector>(c);
                }});
}

}  // namespace synchub::connectors
