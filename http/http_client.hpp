// HTTP client (libcurl) for everything in synchub that calls out: connectors, alerts, the CLI: one connection reused
// across calls (keep-alive), connect and total timeouts, TLS verification on by default.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace synchub::http {

using Params = std::vector<std::pair<std::string, std::string>>;  // headers, query parameters, placeholders

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds timeout{30000};
  bool verify_tls = true;
  std::string ca_file;  // empty: the system's CA bundle
};

struct HttpCall {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpReply {
  int status = 0;               // 0: no HTTP answer (see transport_error)
  std::string transport_error;  // timeout, refused, reset, TLS...
  bool not_sent = false;        // held back: the target had asked to wait (Retry-After), see Api::send
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::string body;
  std::string header(const std::string& lower_name) const;
  bool ok() const { return status >= 200 && status < 300; }
};

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  HttpReply send(const HttpCall& call);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The one rule every HTTP-speaking part uses (rest, tryton, alerts): may the
// same call succeed later? No answer (0), 408, 425, 429 and 5xx: yes; any
// other status that is not 2xx: no, it is permanent.
bool transient_http_status(int status);
// How long an answer asks the caller to wait before calling again: its
// Retry-After (on a 429 or 503); 0 when it asks nothing.
std::chrono::milliseconds asked_wait(const HttpReply& reply);

// Seconds to wait from a Retry-After header (delta seconds or an HTTP date); -1 when absent or unreadable.
long retry_after_seconds(const std::string& value);

}  // namespace synchub::http
