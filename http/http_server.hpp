// A small HTTP/1.1 server (Boost.Beast behind this interface, so including
// it stays cheap): keep-alive, request body limit, read timeout, a pool of
// I/O threads calling one handler. Used for webhooks, the admin API, the
// simulators and test servers.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace synchub::config {
class Settings;
}

namespace synchub::http {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;  // "GET"
  std::string target;  // "/orders?page=2"
  std::string path;    // "/orders"
  std::string query;   // "page=2"
  HttpHeaders headers;
  std::string body;
  // Case-insensitive header lookup; "" when absent.
  std::string header(std::string_view name) const;
  // Decoded query parameter; "" when absent.
  std::string param(std::string_view name) const;
  bool has_param(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  HttpHeaders headers;
  std::string body;
  bool drop_connection = false;  // close without answering (fault injection)

  static HttpResponse json(int status, std::string body) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    return r;
  }
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerOptions {
  // The hub's server from the validated `hub` section (http.*): webhooks and the admin API.
  static HttpServerOptions from(const config::Settings& hub);
  std::string address = "127.0.0.1";
  uint16_t port = 0;  // 0: any free port (see port())
  size_t max_body = 1024 * 1024;
  std::chrono::milliseconds read_timeout{30000};
  int threads = 2;
  std::string tls_cert_file, tls_key_file;  // PEM; both set: HTTPS only
};

class HttpServer {
 public:
  HttpServer(const HttpServerOptions& options, HttpHandler handler);  // listening when constructed
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  uint16_t port() const;
  std::string base_url() const;  // "http://127.0.0.1:PORT" ("https://..." with TLS)
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace synchub::http
