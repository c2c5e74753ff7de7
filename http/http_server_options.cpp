// The hub's HTTP server options from the validated `hub` section: every default is the spec's
// (config/hub_config.cpp, hub_fields), filled in by the loader.
#include "config/spec.hpp"
#include "http/http_server.hpp"

namespace synchub::http {

namespace {
// A webhook request holds its thread until the hub's scheduler has made its records durable
// (PushIngress::submit, up to 10 s): four threads let the admin API, the dashboard and /healthz
// answer while a few senders wait.
constexpr int kHubServerThreads = 4;
}  // namespace

HttpServerOptions HttpServerOptions::from(const config::Settings& hub) {
  HttpServerOptions http;
  http.address = hub.str("http.address");
  http.port = static_cast<uint16_t>(hub.integer("http.port"));
  http.max_body = hub.size("http.max_body");
  http.threads = kHubServerThreads;
  // Both or neither: the loader's check on `hub` refuses one without the other.
  http.tls_cert_file = hub.str_or("http.tls.cert", "");
  http.tls_key_file = hub.str_or("http.tls.key", "");
  return http;
}

}  // namespace synchub::http
