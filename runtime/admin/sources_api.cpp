#include "runtime/admin/sources_api.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "runtime/base/log.hpp"
#include "runtime/base/prometheus_text.hpp"

namespace synchub::runtime {

namespace {

using Json = nlohmann::ordered_json;

http::HttpResponse reply(int status, const Json& body) {
  return http::HttpResponse::json(status, body.dump(-1, ' ', false, Json::error_handler_t::replace));
}

Json time_or_null(int64_t ms) {
  return ms ? Json(iso_time(ms)) : Json(nullptr);
}

Json text_or_null(const std::string& text) {
  return text.empty() ? Json(nullptr) : Json(text);
}

Json source_json(const SourceStatus& s) {
  return Json{
      {"name", s.name},
      {"connector", s.connector},
      {"stream", s.stream},
      {"state", s.state},
      {"last_success", time_or_null(s.last_success_ms)},
      {"last_error", text_or_null(s.last_error)},
      {"last_error_at", time_or_null(s.last_error_ms)},
      {"consecutive_failures", s.consecutive_failures},
      {"cursor", text_or_null(s.cursor)},
      {"cursor_time", time_or_null(s.cursor_time_ms)},
      {"records_read", s.records_read},
      {"flows", s.flows},
      {"errors", s.errors},
      {"next_poll", time_or_null(s.next_poll_ms)},
      {"windows", {{"5m", {{"read", s.read_5m}}}, {"1h", {{"read", s.read_1h}}}, {"24h", {{"read", s.read_24h}}}}},
      {"read_per_minute", s.read_per_minute},
      {"errors_per_minute", s.errors_per_minute},
      {"polled_by_this_worker", s.polled_here},
      {"push", s.push}};
}

}  // namespace

std::vector<Route> source_routes(AdminBoard& board) {
  std::vector<Route> routes = {
      {"GET", "/api/v1/sources", Role::Viewer,
       [&board](const http::HttpRequest&, const PathParams&) {
         Json list = Json::array();
         for (const auto& s : board.sources()) list.push_back(source_json(s));
         return reply(200, Json{{"sources", list}});
       },
       "every polled source stream: state (polling, idle, backing_off, failing, paused), last success, last error, "
       "cursor and its time, records read, the flows reading it"},
      {"GET", "/api/v1/sources/{name}", Role::Viewer,
       [&board](const http::HttpRequest&, const PathParams& p) {
         const std::string& name = p.find("name")->second;
         for (const auto& s : board.sources())
           if (s.name == name) return reply(200, source_json(s));
         return reply(404, Json{{"error", "not_found"}, {"message", "no source " + name}});
       },
       "one source (connector.stream), as in the list"},
  };
  for (const char* action : {"pause", "resume"})
    routes.push_back({"POST", std::string("/api/v1/sources/{name}/") + action, Role::Operator,
                      [&board, action](const http::HttpRequest&, const PathParams& p) {
                        const std::string& name = p.find("name")->second;
                        const auto all = board.sources();
                        if (std::none_of(all.begin(), all.end(), [&](const SourceStatus& s) { return s.name == name; }))
                          return reply(404, Json{{"error", "not_found"}, {"message", "no source " + name}});
                        board.ask({"", action, name});
                        log_info("admin", {{"stream", name}, {"action", action}}, "requested");
                        return reply(202, Json{{"source", name}, {"action", action}, {"accepted", true}});
                      },
                      std::string(action) == "pause"
                          ? "stop polling the source (a system under maintenance); its flows go on with what is read"
                          : "poll the source again, at once"});
  return routes;
}

void append_source_metrics(std::string& out, const std::vector<SourceStatus>& sources) {
  prometheus::Writer w(out);
  w.family("synchub_source_up", "gauge", "1 when the source stream is read (not failing, backing off or paused).");
  for (const auto& s : sources)
    w.sample("synchub_source_up", {{"source", s.name}}, s.state == "polling" || s.state == "idle" ? 1 : 0);
  w.family("synchub_source_errors_total", "counter",
           "Polls of the source that failed (an error, or the source asked to wait), since start.");
  for (const auto& s : sources) w.sample("synchub_source_errors_total", {{"source", s.name}}, s.errors);
  w.family("synchub_source_consecutive_failures", "gauge", "Polls of the source that failed in a row (0 when well).");
  for (const auto& s : sources)
    w.sample("synchub_source_consecutive_failures", {{"source", s.name}}, s.consecutive_failures);
  w.family("synchub_source_records_read_total", "counter", "Records read from the source and published, since start.");
  for (const auto& s : sources) w.sample("synchub_source_records_read_total", {{"source", s.name}}, s.records_read);
  w.family("synchub_source_last_success_timestamp_seconds", "gauge",
           "When the source was last read without error (absent: not since start).");
  for (const auto& s : sources)
    if (s.last_success_ms)
      w.sample("synchub_source_last_success_timestamp_seconds", {{"source", s.name}}, s.last_success_ms / 1000.0);
  w.family("synchub_source_cursor_timestamp_seconds", "gauge",
           "The time a source has read up to, for sources whose cursor is a time.");
  for (const auto& s : sources)
    if (s.cursor_time_ms)
      w.sample("synchub_source_cursor_timestamp_seconds", {{"source", s.name}}, s.cursor_time_ms / 1000.0);
}

}  // namespace synchub::runtime
