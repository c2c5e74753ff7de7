// The admin HTTP API (JSON under /api/v1, Prometheus text at /metrics),
// served by the hub's HTTP server threads. Flow state comes from the
// AdminBoard snapshot; pause/resume/trigger are handed to the scheduler
// through it; dead letters and run history are read and changed through a
// state-store connection of its own.
//   GET  /healthz, /readyz                       open to all
//   GET  /, /dashboard.js, /dashboard.css         the dashboard (open; it asks for a token)
//   GET  /api/v1/whoami                          the caller's role
//   GET  /api/v1/flows, /api/v1/flows/{name}     viewer
//   POST /api/v1/flows/{name}/pause|resume|trigger   operator
//   GET  /api/v1/flows/{name}/runs?limit=        viewer
//   GET  /api/v1/dlq?flow=&status=&since=&after=&limit=, /api/v1/dlq/{id}   viewer
//   POST /api/v1/dlq/{id}/replay, /api/v1/dlq/replay?flow=   operator
//   DELETE /api/v1/dlq/{id}                      operator
//   GET  /metrics                                viewer
// Tokens: `Authorization: Bearer <token>`, compared in constant time; with
// no token configured the API is open (it listens on loopback by default).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json_fwd.hpp>  // the full header only where JSON is built
#include <string>
#include <vector>

#include "http/http_server.hpp"
#include "runtime/admin/admin_board.hpp"
#include "runtime/state/state_store.hpp"

namespace synchub::config {
class Settings;
}

namespace synchub::runtime {

struct AdminOptions {
  // The tokens from the validated `hub` section (admin.*); the caller wires state and bus_metrics.
  static AdminOptions from(const config::Settings& hub);
  std::unique_ptr<StateStore> state;  // a connection of its own (the scheduler thread has another)
  std::vector<std::string> viewer_tokens, operator_tokens;
  std::function<std::string()> bus_metrics;  // the bus's own families (Bus::metrics_text), when set
};

class AdminApi {
 public:
  AdminApi(AdminOptions options, AdminBoard& board);
  ~AdminApi();
  // Any path; answers 404 for what is not its own.
  http::HttpResponse handle(const http::HttpRequest& request);

 private:
  enum class Role { None, Viewer, Operator };
  Role role_of(const http::HttpRequest& request) const;
  http::HttpResponse flows(const http::HttpRequest& request, const std::vector<std::string>& parts);
  http::HttpResponse dlq(const http::HttpRequest& request, const std::vector<std::string>& parts);
  http::HttpResponse metrics();
  void add_history(nlohmann::ordered_json& flow);  // windowed counts, sparkline, dead letters

  AdminOptions options_;
  AdminBoard& board_;
  std::mutex state_mu_;
  std::unique_ptr<StateStore> state_;
};

}  // namespace synchub::runtime
