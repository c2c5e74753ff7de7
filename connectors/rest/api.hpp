// What the streams of one `rest` connector share: the HTTP client, the
// authentication (tokens cached and refreshed), default headers and the
// rate limit. Also the JSON helpers the streams use.
#pragma once

#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "config/hub_config.hpp"
#include "connectors/rest/http_client.hpp"
#include "mapping/document.hpp"

namespace synchub::connectors::rest {

using Json = nlohmann::ordered_json;

class Api {
 public:
  explicit Api(const config::Settings& settings);

  // Sends a request to base_url + path (query already in `path`), adding
  // authentication and default headers, waiting for the rate limit. A 401
  // refreshes an OAuth2 token and retries once.
  HttpReply send(const std::string& method, const std::string& path_and_query,
                 std::vector<std::pair<std::string, std::string>> headers, const std::string& body);
  const std::string& base_url() const { return base_url_; }

 private:
  HttpReply send_once(const std::string& method, const std::string& path_and_query,
                      std::vector<std::pair<std::string, std::string>> headers, const std::string& body);
  std::string oauth_token(bool force_refresh);
  void wait_for_rate_limit();

  std::string base_url_;
  HttpClient client_;
  std::vector<std::pair<std::string, std::string>> default_headers_;
  std::string auth_type_;
  std::string username_, password_, token_, key_name_, key_value_, key_in_;
  std::string token_url_, client_id_, client_secret_, scope_;
  std::string access_token_;
  std::chrono::steady_clock::time_point token_expires_{};
  double rate_ = 0;  // requests per second, 0 = unlimited
  double tokens_ = 0;
  std::chrono::steady_clock::time_point last_refill_ = std::chrono::steady_clock::now();
};

// A JSON pointer ("/data/items") or a dotted path ("data.items"); "" is the whole value.
const Json* find(const Json& value, const std::string& path);
// Text of a scalar: strings as they are, numbers and bools as JSON.
std::string scalar_text(const Json& value);
// "{name}" placeholders replaced from `values`.
std::string fill(const std::string& text, const std::vector<std::pair<std::string, std::string>>& values);
std::string trimmed_body(const std::string& body);  // for error messages and dead letters

}  // namespace synchub::connectors::rest
