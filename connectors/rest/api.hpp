// What the streams of one `rest` connector share: a pool of HTTP clients
// (the concurrency cap), authentication (tokens and sessions cached and
// renewed, request signing), default headers, the rate limit and the
// reading of errors an API reports inside a 200 body. Also the JSON text
// helpers the streams use.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "config/hub_config.hpp"
#include "connectors/rest/error_rules.hpp"
#include "connectors/rest/reply.hpp"

namespace synchub::mapping {
class Document;
}

namespace synchub::connectors::rest {

using Json = nlohmann::ordered_json;

class Auth;

class Api {
 public:
  explicit Api(const config::Settings& settings);
  ~Api();

  // Sends a request to base_url + path (query already in `path`), adding
  // authentication and default headers, waiting for the rate limit and for
  // a free client (at most `concurrency` requests in flight). A lost
  // session or token (401, or an in-body `relogin` code) logs in again and
  // retries once. In-body errors are set on the reply (api_error). Throws
  // when authentication itself fails (login or token call refused).
  // After an answer with Retry-After (429, 503), nothing is sent to the target
  // until then by any caller: the last 200 ms of a wait are slept; a longer one
  // returns at once with status 0 ("not sent") and a retry-after header.
  HttpReply send(const std::string& method, const std::string& path_and_query, Params headers, std::string body);
  const std::string& base_url() const { return base_url_; }
  int concurrency() const { return concurrency_; }

 private:
  std::unique_ptr<HttpClient> lease();
  void give_back(std::unique_ptr<HttpClient> client);
  void wait_for_rate_limit();
  void read_body_errors(HttpReply& reply, const std::string& request) const;
  bool wants_relogin(const HttpReply& reply) const;
  // The Retry-After gate: how long callers must still wait; noted from each answer.
  std::chrono::milliseconds gate_wait();
  void note_retry_after(const HttpReply& reply);

  std::string base_url_;
  HttpClientOptions client_options_;
  Params default_headers_;
  std::unique_ptr<Auth> auth_;

  // clients: one connection each, reused (keep-alive)
  int concurrency_ = 1;
  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<HttpClient>> idle_;
  int created_ = 0;

  // token bucket; reservations may go negative: each caller sleeps its share
  std::mutex rate_mu_;
  double rate_ = 0;  // requests per second, 0 = unlimited
  double tokens_ = 0;
  std::chrono::steady_clock::time_point last_refill_ = std::chrono::steady_clock::now();

  // the target asked every caller to wait until then (Retry-After)
  std::mutex gate_mu_;
  std::chrono::steady_clock::time_point gate_until_{};

  ErrorRules error_rules_;  // errors inside a 2xx body
};

// A JSON pointer ("/data/items") or a dotted path ("data.items"); "" is the whole value.
const Json* find(const Json& value, const std::string& path);
// Text of a scalar: strings as they are, numbers and bools as JSON.
std::string scalar_text(const Json& value);
// Values of placeholders not in the list ("record.FBillNo"), nullopt when unknown.
using Resolver = std::function<std::optional<std::string>(const std::string& name)>;
// "{name}" placeholders replaced from `values` (then `more`); unknown names stay as written.
std::string fill(const std::string& text, const Params& values, const Resolver& more = {});
// The same for a JSON template and values that are JSON texts: outside a string a placeholder
// takes the value as it is; inside a string literal ("FBillNo='{key}'") its text, escaped: a
// string without its quotes (' doubled when the placeholder stands between single quotes), a list
// as 'a','b' (' doubled), for the SQL-like filter strings of ERPs.
std::string fill_json(const std::string& text, const Params& json_values, const Resolver& more = {});
// A JSON string literal (quoted, escaped) of `text`.
std::string json_string(const std::string& text);
// Adds members (name, JSON value text) to the JSON object text `object`
// without re-encoding it (numbers keep their digits); "" becomes an object.
std::string add_members(const std::string& object, const Params& members);
std::string trimmed_body(const std::string& body);  // for error messages and dead letters
// A row given as an array of values named by `names` (a requested field list), as a JSON object:
// ["A1", 3] with [id, qty] -> {"id":"A1","qty":3}; values keep their digits.
std::string named_row(const mapping::Document& doc, uint32_t row, const std::vector<std::string>& names);

}  // namespace synchub::connectors::rest
