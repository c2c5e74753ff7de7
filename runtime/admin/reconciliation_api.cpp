#include "runtime/admin/reconciliation_api.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "config/units.hpp"
#include "runtime/base/log.hpp"

namespace synchub::runtime {

namespace {

using Json = nlohmann::ordered_json;

http::HttpResponse reply(int status, const Json& body) {
  return http::HttpResponse::json(status, body.dump(-1, ' ', false, Json::error_handler_t::replace));
}

http::HttpResponse error(int status, const std::string& code, const std::string& message) {
  return reply(status, Json{{"error", code}, {"message", message}});
}

Json time_or_null(int64_t ms) {
  return ms ? Json(iso_time(ms)) : Json(nullptr);
}

// A run's numbers, as listed (the report left out).
Json run_json(const ReconciliationRun& r) {
  return Json{{"id", r.id},
              {"started", time_or_null(r.started_ms)},
              {"finished", time_or_null(r.finished_ms)},
              {"duration_ms", r.finished_ms ? r.finished_ms - r.started_ms : 0},
              {"differences", r.differences},
              {"in_flight", r.in_flight},
              {"failed", r.failed},
              {"agrees", !r.failed && r.differences == 0}};
}

std::string runs_path(const std::string& name) {
  return "/api/v1/reconciliation/" + name + "/runs";
}

}  // namespace

std::vector<Route> ReconciliationApi::routes() {
  using Request = http::HttpRequest;
  auto at = [](const PathParams& p, const char* name) { return p.find(name)->second; };
  // /runs/{id} first: it is as literal as /{name}/runs, and a reconciliation named "runs" is
  // less likely than a run id.
  return {
      {"GET", "/api/v1/reconciliation", Role::Viewer, [this](const Request&, const PathParams&) { return list(); },
       "every reconciliation configured: what it compares, how often, whether it runs now, its latest run"},
      {"GET", "/api/v1/reconciliation/runs/{id}", Role::Viewer,
       [this, at](const Request&, const PathParams& p) { return run(at(p, "id")); },
       "one reconciliation run with its whole report: groups with both sides' counts and totals, differing "
       "documents by class"},
      {"GET", "/api/v1/reconciliation/{name}/runs", Role::Viewer,
       [this, at](const Request& r, const PathParams& p) { return runs(r, at(p, "name")); },
       "the reconciliation's runs, newest first (numbers only); ?limit= (1 to 500, 20)"},
      {"POST", "/api/v1/reconciliation/{name}/run", Role::Operator,
       [this, at](const Request&, const PathParams& p) { return start(at(p, "name")); },
       "run the reconciliation now on the hub's reconciliation thread (after the run under way); 202 with where "
       "to poll, 409 when it is running or asked for already"},
  };
}

http::HttpResponse ReconciliationApi::list() {
  const ReconciliationBoard::Activity activity = board_.activity();
  Json list = Json::array();
  for (const ReconciliationInfo& info : board_.configured()) {
    std::vector<ReconciliationRun> latest;
    std::optional<ReconciliationRun> failed;
    {
      std::lock_guard lock(state_mu_);
      latest = state_.reconciliation_runs(info.name, 1);
      // The error is only in the report: read it for a failed run alone.
      if (!latest.empty() && latest[0].failed) failed = state_.reconciliation_run(latest[0].id);
    }
    Json last = latest.empty() ? Json(nullptr) : run_json(latest[0]);
    if (failed) {
      const Json report = Json::parse(failed->report, nullptr, false);
      last["error"] = report.is_object() && report.contains("error") ? report["error"] : Json("?");
    }
    const bool asked = std::find(activity.asked.begin(), activity.asked.end(), info.name) != activity.asked.end();
    const auto due = activity.next_due.find(info.name);
    list.push_back(Json{
        {"name", info.name},
        {"description", info.description},
        {"source", info.source},
        {"target", info.target},
        {"flow", info.flow.empty() ? Json(nullptr) : Json(info.flow)},
        {"every", info.every.empty() ? Json(nullptr) : Json(info.every)},
        {"every_seconds", info.every.empty() ? Json(nullptr) : Json(info.every_ms.count() / 1000.0)},
        {"state", activity.running == info.name ? "running"
                  : asked                       ? "queued"
                                                : "idle"},
        {"running_since", activity.running == info.name ? time_or_null(activity.running_since_ms) : Json(nullptr)},
        {"next_run", due == activity.next_due.end() ? Json(nullptr) : time_or_null(due->second)},
        {"last_run", last},
    });
  }
  // Whether this hub runs them (not under `run --once`): POST .../run answers 503 otherwise.
  return reply(200, Json{{"reconciliations", list}, {"scheduler", activity.open ? "running" : "off"}});
}

http::HttpResponse ReconciliationApi::runs(const http::HttpRequest& request, const std::string& name) {
  const int limit =
      static_cast<int>(std::clamp<int64_t>(config::parse_int(request.param("limit")).value_or(20), 1, 500));
  std::vector<ReconciliationRun> found;
  {
    std::lock_guard lock(state_mu_);
    found = state_.reconciliation_runs(name, limit);
  }
  // A reconciliation no longer configured still shows the runs it left.
  if (found.empty() && !board_.find(name)) return error(404, "not_found", "no reconciliation " + name);
  Json list = Json::array();
  for (const auto& r : found) list.push_back(run_json(r));
  return reply(200, Json{{"reconciliation", name}, {"runs", list}});
}

http::HttpResponse ReconciliationApi::run(const std::string& id) {
  const auto number = config::parse_int(id);
  std::optional<ReconciliationRun> found;
  if (number) {
    std::lock_guard lock(state_mu_);
    found = state_.reconciliation_run(*number);
  }
  if (!found) return error(404, "not_found", "no reconciliation run " + id);
  Json report = Json::parse(found->report, nullptr, false);
  if (!report.is_object()) return error(500, "internal", "run " + id + " holds no readable report");
  // The report was written before its run had an id.
  report["id"] = found->id;
  report["started"] = time_or_null(found->started_ms);
  report["finished"] = time_or_null(found->finished_ms);
  report["in_flight"] = found->in_flight;
  report["failed"] = found->failed;
  return reply(200, report);
}

http::HttpResponse ReconciliationApi::start(const std::string& name) {
  std::vector<ReconciliationRun> latest;
  if (board_.find(name)) {
    std::lock_guard lock(state_mu_);
    latest = state_.reconciliation_runs(name, 1);
  }
  const auto asked = board_.ask(name);
  switch (asked) {
    case ReconciliationBoard::Asked::Unknown: return error(404, "not_found", "no reconciliation " + name);
    case ReconciliationBoard::Asked::AlreadyAsked:
      return error(409, "conflict", "reconciliation " + name + " is running or asked for already");
    case ReconciliationBoard::Asked::NotRunning:
      return error(503, "unavailable",
                   "this hub runs no reconciliations now (run --once, or stopping): use synchub reconcile");
    case ReconciliationBoard::Asked::Started:
    case ReconciliationBoard::Asked::Queued: break;
  }
  log_info("admin", {{"reconciliation", name}}, "run requested");
  // The new run is the first of the list with an id above `after_run`.
  return reply(202, Json{{"reconciliation", name},
                         {"status", asked == ReconciliationBoard::Asked::Started ? "started" : "queued"},
                         {"poll", runs_path(name) + "?limit=1"},
                         {"after_run", latest.empty() ? Json(nullptr) : Json(latest[0].id)}});
}

}  // namespace synchub::runtime
