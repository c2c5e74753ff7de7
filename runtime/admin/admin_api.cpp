#include "runtime/admin/admin_api.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>

#include "config/units.hpp"
#include "http/signing.hpp"
#include "mapping/datetime.hpp"
#include "runtime/admin/dashboard_assets.hpp"
#include "runtime/admin/dead_letter_api.hpp"
#include "runtime/admin/lineage_trace.hpp"
#include "runtime/admin/process_metrics.hpp"
#include "runtime/admin/reconciliation_api.hpp"
#include "runtime/admin/series_api.hpp"
#include "runtime/admin/sources_api.hpp"
#include "runtime/base/clock.hpp"
#include "runtime/base/log.hpp"
#include "runtime/base/prometheus_text.hpp"

namespace synchub::runtime {

namespace {

using Json = nlohmann::ordered_json;

http::HttpResponse reply(int status, const Json& body) {
  return http::HttpResponse::json(status, body.dump(-1, ' ', false, Json::error_handler_t::replace));
}

http::HttpResponse error(int status, const std::string& code, const std::string& message) {
  return reply(status, Json{{"error", code}, {"message", message}});
}

http::HttpResponse wrong_method(const std::string& allowed) {
  http::HttpResponse r = error(405, "method_not_allowed", "allowed: " + allowed);
  r.headers.emplace_back("Allow", allowed);
  return r;
}

http::HttpResponse no_route(const http::HttpRequest& request) {
  return error(404, "not_found", "no route " + request.path);
}

http::HttpResponse healthy() {
  return reply(200, Json{{"status", "ok"}});
}

http::HttpResponse dashboard_file(const DashboardAsset& asset) {
  http::HttpResponse r;
  r.content_type = std::string(asset.content_type);
  r.body = std::string(asset.body);
  r.headers = {{"Content-Security-Policy",
                "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
                "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"},
               {"X-Content-Type-Options", "nosniff"},
               {"Referrer-Policy", "no-referrer"},
               {"Cache-Control", "no-cache"}};
  return r;
}

Json flow_json(const FlowStatus& f) {
  auto time_or_null = [](int64_t ms) { return ms ? Json(iso_time(ms)) : Json(nullptr); };
  return Json{
      {"name", f.name},
      {"from", f.from},
      {"to", f.to},
      {"state", f.state},
      {"source_cursor", f.source_cursor},
      {"lag_events", f.lag_events},
      {"lag_seconds",
       f.oldest_pending_ms ? Json(std::max<int64_t>(0, now_ms() - f.oldest_pending_ms) / 1000.0) : Json(0)},
      {"counts",
       {{"read", f.read},
        {"created", f.created},
        {"updated", f.updated},
        {"unchanged", f.unchanged},
        {"skipped", f.skipped},
        {"failed", f.failed},
        {"dead_lettered", f.dead_lettered}}},
      {"last_success", time_or_null(f.last_success_ms)},
      {"last_error",
       f.last_error.empty() ? Json(nullptr) : Json{{"message", f.last_error}, {"time", time_or_null(f.last_error_ms)}}},
      {"retry", {{"attempt", f.attempt}, {"next_attempt", time_or_null(f.next_attempt_ms)}}},
      {"source",
       {{"name", f.from},
        {"state", f.source_state.empty() ? Json(nullptr) : Json(f.source_state)},
        {"last_error", f.source_error.empty() ? Json(nullptr) : Json(f.source_error)}}}};
}

Json run_json(const RunRecord& r) {
  return Json{{"id", r.id},
              {"started", iso_time(r.started_ms)},
              {"finished", r.finished_ms ? Json(iso_time(r.finished_ms)) : Json(nullptr)},
              {"duration_ms", r.finished_ms ? r.finished_ms - r.started_ms : 0},
              {"read", r.read},
              {"created", r.created},
              {"updated", r.updated},
              {"unchanged", r.unchanged},
              {"skipped", r.skipped},
              {"failed", r.failed},
              {"dead_lettered", r.dead_lettered},
              {"error", r.error.empty() ? Json(nullptr) : Json(r.error)}};
}

}  // namespace

AdminApi::AdminApi(AdminOptions options, AdminBoard& board)
    : options_(std::move(options)),
      board_(board),
      state_(std::move(options_.state)),
      reconciliation_(options_.reconciliations
                          ? std::make_unique<ReconciliationApi>(*options_.reconciliations, *state_, state_mu_)
                          : nullptr),
      dead_letters_(std::make_unique<DeadLetterApi>(board_, *state_, state_mu_,
                                                    [this](const http::HttpRequest& r) { return caller_name(r); })),
      routes_(route_table()) {
  if (options_.viewer_tokens.empty() && options_.operator_tokens.empty())
    log_warn("admin", {}, "no admin tokens configured: the admin API is open to anyone who can reach it");
}

AdminApi::~AdminApi() = default;

// Every route, in the order GET /api/v1/routes lists them. A GET route answers HEAD too.
RouteTable AdminApi::route_table() {
  using Request = http::HttpRequest;
  auto at = [](const PathParams& p, const char* name) { return p.find(name)->second; };
  std::vector<Route> routes = {
      {"GET", "/healthz", Role::Open, [](const Request&, const PathParams&) { return healthy(); },
       "liveness: the process answers"},
      {"GET", "/readyz", Role::Open, [this](const Request&, const PathParams&) { return ready(); },
       "readiness: the state store answers (503 when not)"},
  };
  for (const DashboardAsset& asset : dashboard_assets())
    routes.push_back({"GET", std::string(asset.path), Role::Open,
                      [&asset](const Request&, const PathParams&) { return dashboard_file(asset); },
                      "the dashboard's " + std::string(asset.path == "/" ? "page" : asset.path.substr(1)) +
                          " (open: the page asks for a token)"});
  std::vector<Route> api = {
      {"GET", "/api/v1/routes", Role::Viewer, [this](const Request&, const PathParams&) { return route_list(); },
       "these routes: method, path, role, help"},
      {"GET", "/api/v1/whoami", Role::Viewer,
       [this](const Request& r, const PathParams&) {
         return reply(200, Json{{"role", role_name(role_of(r))}});
       },
       "the caller's role"},
      {"GET", "/api/v1/flows", Role::Viewer, [this](const Request&, const PathParams&) { return flows(); },
       "every flow: state, cursor, lag, counts (since start, 5m, 1h, 24h), dead letters, last error, retry"},
      {"GET", "/api/v1/flows/{name}", Role::Viewer,
       [this, at](const Request&, const PathParams& p) { return flow(at(p, "name")); }, "one flow, as in the list"},
      {"GET", "/api/v1/flows/{name}/runs", Role::Viewer,
       [this, at](const Request& r, const PathParams& p) { return flow_runs(r, at(p, "name")); },
       "the flow's runs, newest first; ?limit= (1 to 500, 20)"},
      {"GET", "/api/v1/flows/{name}/series", Role::Viewer,
       [this, at](const Request& r, const PathParams& p) {
         return series_reply(*state_, state_mu_, board_, r, SeriesOf::Flow, at(p, "name"));
       },
       "the flow's counts and lag per time step, for charts; ?window= (30m, 1h, 6h, 24h; 1h)"},
      {"GET", "/api/v1/sources/{name}/series", Role::Viewer,
       [this, at](const Request& r, const PathParams& p) {
         return series_reply(*state_, state_mu_, board_, r, SeriesOf::Source, at(p, "name"));
       },
       "the counts and lag of the flows reading a source, per time step; ?window= (30m, 1h, 6h, 24h; 1h)"},
      {"GET", "/api/v1/records", Role::Viewer,
       [this](const Request& r, const PathParams&) { return records_reply(*state_, state_mu_, board_, r); },
       "records read, written, failed and dead-lettered by every flow since a time; ?since= (ISO time or epoch ms, "
       "the last 7 days; 24 h ago)"},
  };
  for (const char* action : {"pause", "resume", "trigger"})
    api.push_back(
        {"POST", std::string("/api/v1/flows/{name}/") + action, Role::Operator,
         [this, at, action](const Request&, const PathParams& p) { return flow_action(at(p, "name"), action); },
         std::string(action) == "trigger" ? "poll the flow's source now; a flow backing off retries now"
                                          : std::string(action) + " the flow"});
  std::vector<Route> dlq = {
      {"GET", "/api/v1/trace/{key}", Role::Viewer,
       [this, at](const Request& r, const PathParams& p) { return trace_reply(*state_, state_mu_, r, at(p, "key")); },
       "a document's path through the flows and the documents it led to (synchub trace); ?depth= (0 to 10, 4)"},
      {"GET", "/metrics", Role::Viewer, [this](const Request&, const PathParams&) { return metrics(); },
       "Prometheus text: flows, dead letters, sink writes, the bus, the process"},
  };
  routes.insert(routes.end(), std::make_move_iterator(api.begin()), std::make_move_iterator(api.end()));
  for (Route& r : dead_letters_->routes()) routes.push_back(std::move(r));
  routes.insert(routes.end(), std::make_move_iterator(dlq.begin()), std::make_move_iterator(dlq.end()));
  for (Route& r : source_routes(board_)) routes.push_back(std::move(r));
  if (reconciliation_)
    for (Route& r : reconciliation_->routes()) routes.push_back(std::move(r));
  return RouteTable(std::move(routes));
}

Role AdminApi::role_of(const http::HttpRequest& request) const {
  if (options_.viewer_tokens.empty() && options_.operator_tokens.empty()) return Role::Operator;
  const std::string auth = request.header("Authorization");
  // The scheme name is case-insensitive (RFC 9110 11.1): "bearer" and "BEARER" are Bearer too.
  constexpr std::string_view kScheme = "bearer ";
  if (auth.size() < kScheme.size() ||
      !std::equal(kScheme.begin(), kScheme.end(), auth.begin(),
                  [](char want, char got) { return want == std::tolower(static_cast<unsigned char>(got)); }))
    return Role::Open;
  const size_t start = auth.find_first_not_of(' ', kScheme.size());
  const std::string token = start == std::string::npos ? "" : auth.substr(start);
  bool viewer = false, operator_ = false;
  // Every token is compared (no early exit): the time taken says nothing about which matched.
  for (const auto& t : options_.operator_tokens) operator_ = http::constant_time_equal(t, token) || operator_;
  for (const auto& t : options_.viewer_tokens) viewer = http::constant_time_equal(t, token) || viewer;
  return operator_ ? Role::Operator : viewer ? Role::Viewer : Role::Open;
}

// Tokens have no names: a caller is named by its role and its token's place in the config's list
// (admin.operator_tokens), never by the token. The dashboard says it is the one asking
// (X-Synchub-Client: dashboard): a label added to the name, never a credential.
std::string AdminApi::caller_name(const http::HttpRequest& request) const {
  const bool dashboard = request.header("X-Synchub-Client") == "dashboard";
  if (options_.viewer_tokens.empty() && options_.operator_tokens.empty())
    return dashboard ? "dashboard" : "operator (no tokens configured)";
  const std::string auth = request.header("Authorization");
  const std::string token = auth.size() > 7 ? auth.substr(7) : "";
  size_t found = 0;
  for (size_t i = 0; i < options_.operator_tokens.size(); ++i)
    if (http::constant_time_equal(options_.operator_tokens[i], token) && found == 0) found = i + 1;
  const std::string name = found ? "operator token " + std::to_string(found) : std::string(role_name(role_of(request)));
  return dashboard ? name + " (dashboard)" : name;
}

http::HttpResponse AdminApi::handle(const http::HttpRequest& request) {
  // Routed on the path as sent: a key with a '/' (%2F) is one segment.
  const RouteTable::Match found = routes_.match(request.method, request.target.substr(0, request.target.find('?')));
  // Under /api/ a caller without a token learns nothing, not even which paths exist.
  const Role needed = found.path_known                      ? found.least_role
                      : request.path.rfind("/api/", 0) == 0 ? Role::Viewer
                                                            : Role::Open;
  const Role caller = role_of(request);
  if (caller == Role::Open && needed != Role::Open) {
    http::HttpResponse r = error(401, "unauthorized", "a valid bearer token is required");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  if (!found.route) return found.path_known ? wrong_method(found.allow) : no_route(request);
  if (caller < found.route->role) return error(403, "forbidden", "this needs the operator role");
  try {
    return found.route->handler(request, found.params);
  } catch (const std::exception& e) {
    log_error("admin", {{"path", request.path}}, e.what());
    return error(500, "internal", e.what());
  }
}

http::HttpResponse AdminApi::ready() {
  try {
    std::lock_guard lock(state_mu_);
    state_->count_dead_letters("", "pending");
  } catch (const std::exception& e) {
    return reply(503, Json{{"status", "unavailable"}, {"message", std::string("state store: ") + e.what()}});
  }
  return reply(200, Json{{"status", "ready"}, {"flows", board_.flows().size()}});
}

http::HttpResponse AdminApi::route_list() const {
  Json list = Json::array();
  for (const Route& r : routes_.routes())
    list.push_back(Json{{"method", r.method}, {"path", r.pattern}, {"role", role_name(r.role)}, {"help", r.help}});
  return reply(200, Json{{"routes", list}, {"note", "every GET route also answers HEAD, without the body"}});
}

http::HttpResponse health_only(const http::HttpRequest& request) {
  static const RouteTable routes(
      {{"GET", "/healthz", Role::Open, [](const http::HttpRequest&, const PathParams&) { return healthy(); },
        "liveness: the process answers"}});
  const RouteTable::Match found = routes.match(request.method, request.path);
  if (found.route) return found.route->handler(request, found.params);
  return found.path_known ? wrong_method(found.allow) : no_route(request);
}

// Counts of the last 5 minutes, hour and day from the run history (a run is
// recorded when the flow goes idle, and at least once a minute), with the
// records read per second over each window; records read in each of the
// last 30 minutes (the dashboard's sparkline); pending dead letters.
void AdminApi::add_history(Json& flow) {
  const std::string name = flow["name"];
  std::vector<RunRecord> runs;
  {
    std::lock_guard lock(state_mu_);
    runs = state_->runs(name, 24 * 60 * 4);
    // Entries: one per flow and key (its failures are that entry's history).
    flow["dead_letters"] = state_->count_dead_letters(name, "pending");
    flow["dead_letters_pending"] = flow["dead_letters"];
  }
  const int64_t now = now_ms();
  std::vector<int64_t> per_minute(30, 0);
  for (const auto& r : runs) {
    const int64_t age = (now - (r.finished_ms ? r.finished_ms : r.started_ms)) / 60000;
    if (age >= 0 && age < 30) per_minute[29 - age] += r.read;
  }
  flow["read_per_minute"] = per_minute;
  Json& out = flow["windows"];
  for (const auto& [name, seconds] : {std::pair<const char*, int64_t>{"5m", 300}, {"1h", 3600}, {"24h", 86400}}) {
    RunRecord sum;
    for (const auto& r : runs) {
      if ((r.finished_ms ? r.finished_ms : r.started_ms) < now - seconds * 1000) continue;
      add_counts(sum, r);
    }
    char rate[32];
    std::snprintf(rate, sizeof rate, "%.2f", static_cast<double>(sum.read) / static_cast<double>(seconds));
    out[name] = Json{{"read", sum.read},
                     {"created", sum.created},
                     {"updated", sum.updated},
                     {"unchanged", sum.unchanged},
                     {"failed", sum.failed},
                     {"dead_lettered", sum.dead_lettered},
                     {"read_per_second", Json::parse(rate)}};
  }
}

std::optional<FlowStatus> AdminApi::find_flow(const std::string& name) const {
  for (auto& f : board_.flows())
    if (f.name == name) return f;
  return std::nullopt;
}

http::HttpResponse AdminApi::flows() {
  Json list = Json::array();
  for (const auto& f : board_.flows()) {
    Json j = flow_json(f);
    add_history(j);
    list.push_back(std::move(j));
  }
  return reply(200, Json{{"flows", list}});
}

http::HttpResponse AdminApi::flow(const std::string& name) {
  const auto found = find_flow(name);
  if (!found) return error(404, "not_found", "no flow " + name);
  Json j = flow_json(*found);
  add_history(j);
  return reply(200, j);
}

http::HttpResponse AdminApi::flow_runs(const http::HttpRequest& request, const std::string& name) {
  if (!find_flow(name)) return error(404, "not_found", "no flow " + name);
  const int limit =
      static_cast<int>(std::clamp<int64_t>(config::parse_int(request.param("limit")).value_or(20), 1, 500));
  std::vector<RunRecord> runs;
  {
    std::lock_guard lock(state_mu_);
    runs = state_->runs(name, limit);
  }
  Json list = Json::array();
  for (const auto& r : runs) list.push_back(run_json(r));
  return reply(200, Json{{"flow", name}, {"runs", list}});
}

http::HttpResponse AdminApi::flow_action(const std::string& name, const std::string& action) {
  if (!find_flow(name)) return error(404, "not_found", "no flow " + name);
  board_.ask({name, action});
  log_info("admin", {{"flow", name}, {"action", action}}, "requested");
  return reply(202, Json{{"flow", name}, {"action", action}, {"accepted", true}});
}

// Prometheus text format, one family per metric. Labels are bounded: flow,
// outcome, source stream, sink connector; never a record's key.
http::HttpResponse AdminApi::metrics() {
  const auto all = board_.flows();
  std::string out;
  prometheus::Writer w(out);
  w.family("synchub_records_total", "counter", "Records handled by a flow since start, by outcome.");
  for (const auto& f : all) {
    const std::pair<const char*, int64_t> outcomes[] = {{"read", f.read},
                                                        {"created", f.created},
                                                        {"updated", f.updated},
                                                        {"unchanged", f.unchanged},
                                                        {"skipped", f.skipped},
                                                        {"failed", f.failed},
                                                        {"dead_lettered", f.dead_lettered}};
    for (const auto& [outcome, n] : outcomes)
      w.sample("synchub_records_total", {{"flow", f.name}, {"outcome", outcome}}, n);
  }
  w.family("synchub_flow_lag_events", "gauge", "Events on the flow's topic not yet handled.");
  for (const auto& f : all) w.sample("synchub_flow_lag_events", {{"flow", f.name}}, f.lag_events);
  w.family("synchub_flow_lag_seconds", "gauge",
           "Age of the oldest event on the flow's topic not yet handled (0: none).");
  const int64_t now = now_ms();
  for (const auto& f : all)
    w.sample("synchub_flow_lag_seconds", {{"flow", f.name}},
             f.oldest_pending_ms ? std::max<int64_t>(0, now - f.oldest_pending_ms) / 1000.0 : 0.0);
  w.family("synchub_flow_up", "gauge", "1 when the flow is not failing or paused (its source has synchub_source_up).");
  for (const auto& f : all)
    w.sample("synchub_flow_up", {{"flow", f.name}}, f.state == "failing" || f.state == "paused" ? 0 : 1);
  w.family("synchub_flow_retry_attempt", "gauge", "Failed attempts in a row (0 when healthy).");
  for (const auto& f : all) w.sample("synchub_flow_retry_attempt", {{"flow", f.name}}, f.attempt);
  w.family("synchub_retries_total", "counter", "Transient failures a flow backed off from and retried, since start.");
  for (const auto& f : all) w.sample("synchub_retries_total", {{"flow", f.name}}, f.retries);
  std::vector<int64_t> pending;
  {
    std::lock_guard lock(state_mu_);
    for (const auto& f : all) pending.push_back(state_->count_dead_letters(f.name, "pending"));
  }
  w.family("synchub_dead_letters_pending", "gauge",
           "Pending dead-letter entries: one per flow and key, however often the key failed.");
  for (size_t i = 0; i < all.size(); ++i) w.sample("synchub_dead_letters_pending", {{"flow", all[i].name}}, pending[i]);
  w.family("synchub_dlq_entries", "gauge",
           "Pending dead-letter entries (as synchub_dead_letters_pending; kept for old dashboards).");
  for (size_t i = 0; i < all.size(); ++i) w.sample("synchub_dlq_entries", {{"flow", all[i].name}}, pending[i]);
  append_source_metrics(out, board_.sources());
  // Sink write durations, merged per sink connector (flows writing to one connector share it).
  w.family("synchub_sink_request_duration_seconds", "histogram", "Time of one write of a batch to a sink.");
  std::map<std::string, DurationHistogram> by_connector;
  for (const auto& f : all) by_connector[f.to.substr(0, f.to.find('.'))].add(f.sink_writes);
  for (const auto& [connector, h] : by_connector) {
    int64_t cumulative = 0;
    for (size_t i = 0; i < h.kBounds.size(); ++i) {
      cumulative += h.in_bucket[i];
      w.sample("synchub_sink_request_duration_seconds_bucket",
               {{"connector", connector}, {"le", prometheus::number(h.kBounds[i])}}, cumulative);
    }
    w.sample("synchub_sink_request_duration_seconds_bucket", {{"connector", connector}, {"le", "+Inf"}}, h.count);
    w.sample("synchub_sink_request_duration_seconds_sum", {{"connector", connector}}, h.sum_seconds);
    w.sample("synchub_sink_request_duration_seconds_count", {{"connector", connector}}, h.count);
  }
  if (options_.bus_metrics) out += options_.bus_metrics();
  append_process_metrics(out);
  http::HttpResponse r = http::HttpResponse::json(200, std::move(out));
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  return r;
}

}  // namespace synchub::runtime
