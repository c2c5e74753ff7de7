// The names of the `rest` connector's settings, shared by the spec rows that declare them
// (spec.cpp) and the code that reads them, so that a renamed field cannot leave a reader behind.
// Defaults live in the spec rows only: the loader fills them in, so readers take the validated
// value as it is.
#pragma once

#include <string>

namespace synchub::connectors::rest::field {

// A setting as config::Settings names it: its dotted path from the connector's or stream's root
// ("auth.type"), or, in a section that appears in more than one place (paging, error rules),
// from that section.
struct Setting {
  const char* path;
  // The field's name in its section's spec rows ("type").
  constexpr const char* name() const {
    const char* last = path;
    for (const char* c = path; *c != '\0'; ++c)
      if (*c == '.') last = c + 1;
    return last;
  }
  operator std::string() const { return path; }  // NOLINT(google-explicit-constructor): a Settings name
};

// `field` of the section at `section`: ("detail.pagination", paging::kSize) -> "detail.pagination.size".
inline std::string in(const std::string& section, Setting field) {
  return section + "." + field.path;
}

// The connector's own settings.
namespace connector {
inline constexpr Setting kBaseUrl{"base_url"};
inline constexpr Setting kHeaders{"headers"};
inline constexpr Setting kTimeout{"timeout"};
inline constexpr Setting kConnectTimeout{"connect_timeout"};
inline constexpr Setting kVerifyTls{"verify_tls"};
inline constexpr Setting kCaFile{"ca_file"};
inline constexpr Setting kConcurrency{"concurrency"};
inline constexpr Setting kRateLimit{"rate_limit"};
}  // namespace connector

namespace auth {
inline constexpr Setting kSection{"auth"};
inline constexpr Setting kType{"auth.type"};
inline constexpr Setting kUsername{"auth.username"};
inline constexpr Setting kPassword{"auth.password"};
inline constexpr Setting kToken{"auth.token"};
inline constexpr Setting kName{"auth.name"};
inline constexpr Setting kValue{"auth.value"};
inline constexpr Setting kIn{"auth.in"};
inline constexpr Setting kFields{"auth.fields"};
inline constexpr Setting kTokenUrl{"auth.token_url"};
inline constexpr Setting kClientId{"auth.client_id"};
inline constexpr Setting kClientSecret{"auth.client_secret"};
inline constexpr Setting kScope{"auth.scope"};
inline constexpr Setting kLoginPath{"auth.login_path"};
inline constexpr Setting kLoginBody{"auth.login_body"};
inline constexpr Setting kLoginFields{"auth.login_fields"};
inline constexpr Setting kCapture{"auth.capture"};
inline constexpr Setting kTokenPath{"auth.token_path"};
inline constexpr Setting kKeyId{"auth.key_id"};
inline constexpr Setting kSecret{"auth.secret"};
inline constexpr Setting kCanonical{"auth.canonical"};
inline constexpr Setting kEncoding{"auth.encoding"};
inline constexpr Setting kSignatureHeader{"auth.signature_header"};
inline constexpr Setting kSignatureFormat{"auth.signature_format"};
inline constexpr Setting kTimestampHeader{"auth.timestamp_header"};
inline constexpr Setting kKeyHeader{"auth.key_header"};
}  // namespace auth

// `errors` in its one-code form; the list form's rules are error_rule below.
namespace errors {
inline constexpr Setting kSection{"errors"};
inline constexpr Setting kCode{"errors.code"};
inline constexpr Setting kOk{"errors.ok"};
inline constexpr Setting kMessage{"errors.message"};
inline constexpr Setting kTransient{"errors.transient"};
inline constexpr Setting kRelogin{"errors.relogin"};
inline constexpr Setting kExists{"errors.exists"};
inline constexpr Setting kDone{"errors.done"};
}  // namespace errors

// One rule of `errors` given as a list, from the rule ("errors.0").
namespace error_rule {
inline constexpr Setting kPath{"path"};
inline constexpr Setting kEquals{"equals"};
inline constexpr Setting kMatches{"matches"};
inline constexpr Setting kRequest{"request"};
inline constexpr Setting kMeans{"means"};
inline constexpr Setting kMessage{"message"};
}  // namespace error_rule

// A stream's settings outside its sections.
namespace stream {
inline constexpr Setting kKey{"key"};
inline constexpr Setting kPath{"path"};
inline constexpr Setting kMethod{"method"};
inline constexpr Setting kQuery{"query"};
inline constexpr Setting kHeaders{"headers"};
inline constexpr Setting kBody{"body"};
inline constexpr Setting kFields{"fields"};
inline constexpr Setting kRecords{"records"};
inline constexpr Setting kPagination{"pagination"};
inline constexpr Setting kPaginationIn{"pagination.in"};
inline constexpr Setting kPollInterval{"poll_interval"};
}  // namespace stream

// How pages are followed, from the pagination section (stream::kPagination, detail::kPagination).
namespace paging {
inline constexpr Setting kType{"type"};
inline constexpr Setting kParam{"param"};
inline constexpr Setting kSizeParam{"size_param"};
inline constexpr Setting kSize{"size"};
inline constexpr Setting kFirst{"first"};
inline constexpr Setting kNext{"next"};
inline constexpr Setting kTotal{"total"};
}  // namespace paging

namespace detail {
inline constexpr Setting kSection{"detail"};
inline constexpr Setting kPath{"detail.path"};
inline constexpr Setting kMethod{"detail.method"};
inline constexpr Setting kParam{"detail.param"};
inline constexpr Setting kBody{"detail.body"};
inline constexpr Setting kRecords{"detail.records"};
inline constexpr Setting kFields{"detail.fields"};
inline constexpr Setting kMatch{"detail.match"};
inline constexpr Setting kBy{"detail.by"};
inline constexpr Setting kInto{"detail.into"};
inline constexpr Setting kCount{"detail.count"};
inline constexpr Setting kAttempts{"detail.attempts"};
inline constexpr Setting kPagination{"detail.pagination"};
}  // namespace detail

namespace cursor {
inline constexpr Setting kSection{"cursor"};
inline constexpr Setting kField{"cursor.field"};
inline constexpr Setting kParam{"cursor.param"};
inline constexpr Setting kTiebreak{"cursor.tiebreak"};
inline constexpr Setting kInitial{"cursor.initial"};
inline constexpr Setting kFormat{"cursor.format"};
inline constexpr Setting kTimeZone{"cursor.time_zone"};
inline constexpr Setting kOverlap{"cursor.overlap"};
}  // namespace cursor

namespace write {
inline constexpr Setting kSection{"write"};
inline constexpr Setting kMode{"write.mode"};
inline constexpr Setting kPath{"write.path"};
inline constexpr Setting kMethod{"write.method"};
inline constexpr Setting kUpdatePath{"write.update_path"};
inline constexpr Setting kUpdateMethod{"write.update_method"};
inline constexpr Setting kLookupPath{"write.lookup_path"};
inline constexpr Setting kLookupMethod{"write.lookup_method"};
inline constexpr Setting kLookupBody{"write.lookup_body"};
inline constexpr Setting kLookupRecords{"write.lookup_records"};
inline constexpr Setting kLookupId{"write.lookup_id"};
inline constexpr Setting kLookupFields{"write.lookup_fields"};
inline constexpr Setting kId{"write.id"};
inline constexpr Setting kThen{"write.then"};
inline constexpr Setting kBatch{"write.batch"};
}  // namespace write

namespace batch {
inline constexpr Setting kPath{"write.batch.path"};
inline constexpr Setting kMethod{"write.batch.method"};
inline constexpr Setting kSize{"write.batch.size"};
inline constexpr Setting kWrap{"write.batch.wrap"};
inline constexpr Setting kResults{"write.batch.results"};
inline constexpr Setting kId{"write.batch.id"};
inline constexpr Setting kError{"write.batch.error"};
inline constexpr Setting kStatus{"write.batch.status"};
}  // namespace batch

}  // namespace synchub::connectors::rest::field
