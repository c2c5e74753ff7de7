// The admin HTTP API (JSON under /api/v1, Prometheus text at /metrics, the dashboard at /),
// served by the hub's HTTP server threads. Flow state comes from the AdminBoard snapshot;
// pause/resume/trigger are handed to the scheduler through it; dead letters and run history are
// read and changed through a state-store connection of its own. The routes are one table
// (AdminApi::route_table in admin_api.cpp: method, path, role, handler, help; the dead-letter
// routes come from dead_letter_api.cpp, the reconciliation routes from reconciliation_api.cpp, the
// sources' from sources_api.cpp); GET /api/v1/routes lists them. Tokens: `Authorization: Bearer
// <token>`, compared in constant time; with no token configured the API is open (it listens on
// loopback by default).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json_fwd.hpp>  // the full header only where JSON is built
#include <optional>
#include <string>
#include <vector>

#include "http/http_server.hpp"
#include "runtime/admin/admin_board.hpp"
#include "runtime/admin/reconciliation_board.hpp"
#include "runtime/admin/route_table.hpp"
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
  std::function<std::string()> bus_metrics;        // the bus's own families (Bus::metrics_text), when set
  ReconciliationBoard* reconciliations = nullptr;  // the hub's; null: no reconciliation routes
};

class ReconciliationApi;
class DeadLetterApi;

class AdminApi {
 public:
  AdminApi(AdminOptions options, AdminBoard& board);
  ~AdminApi();
  // Any path; answers 404 for what is not its own.
  http::HttpResponse handle(const http::HttpRequest& request);

 private:
  RouteTable route_table();
  Role role_of(const http::HttpRequest& request) const;
  http::HttpResponse ready();
  http::HttpResponse route_list() const;
  http::HttpResponse flows();
  http::HttpResponse flow(const std::string& name);
  http::HttpResponse flow_runs(const http::HttpRequest& request, const std::string& name);
  http::HttpResponse flow_action(const std::string& name, const std::string& action);
  std::string caller_name(const http::HttpRequest& request) const;  // recorded in dead letters' history
  http::HttpResponse metrics();
  void add_history(nlohmann::ordered_json& flow);  // windowed counts, sparkline, dead letters
  std::optional<FlowStatus> find_flow(const std::string& name) const;

  AdminOptions options_;
  AdminBoard& board_;
  std::mutex state_mu_;
  std::unique_ptr<StateStore> state_;
  std::unique_ptr<ReconciliationApi> reconciliation_;  // its routes, in the table
  std::unique_ptr<DeadLetterApi> dead_letters_;        // its routes, in the table
  RouteTable routes_;
};

// The HTTP server's answer when the admin API is off (webhooks only): /healthz, 404 otherwise.
http::HttpResponse health_only(const http::HttpRequest& request);

}  // namespace synchub::runtime
