// The shared HTTP toolkit as the rest connector uses it, and its answers as the
// connector's error rules (`errors:`) read them: a 2xx whose body reports a
// failure is not ok.
#pragma once

#include <string>
#include <utility>

#include "http/http_client.hpp"

namespace synchub::connectors::rest {

using http::asked_wait;
using http::HttpCall;
using http::HttpClient;
using http::HttpClientOptions;
using http::Params;
using http::retry_after_seconds;
using http::transient_http_status;

struct HttpReply : http::HttpReply {
  HttpReply() = default;
  HttpReply(http::HttpReply reply) : http::HttpReply(std::move(reply)) {}  // NOLINT: every answer is one

  // Set by the connector's Api when a 2xx body reports a failure (`errors:`).
  enum class ApiError { Permanent, Transient, Relogin, Exists, Done, Unreadable };
  std::string api_error;       // "error code 1001: busy"
  std::string api_error_code;  // "1001"
  ApiError api_error_kind = ApiError::Permanent;
  bool ok() const { return http::HttpReply::ok() && api_error.empty(); }
};

}  // namespace synchub::connectors::rest
