#include "runtime/admin/series_api.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "config/units.hpp"
#include "mapping/datetime.hpp"
#include "runtime/base/clock.hpp"
#include "runtime/base/log.hpp"

namespace synchub::runtime {

namespace {

using Json = nlohmann::ordered_json;

http::HttpResponse reply(int status, const Json& body) {
  return http::HttpResponse::json(status, body.dump(-1, ' ', false, Json::error_handler_t::replace));
}

Json point_json(const SeriesPoint& p) {
  auto count = [&](int64_t n) { return p.counts_known ? Json(n) : Json(nullptr); };
  return Json{{"time", iso_time(p.start_ms)},
              {"read", count(p.read)},
              {"written", count(p.written)},
              {"failed", count(p.failed)},
              {"dead_lettered", count(p.dead_lettered)},
              {"lag_events", p.lag_events ? Json(*p.lag_events) : Json(nullptr)},
              {"lag_seconds", p.lag_seconds ? Json(*p.lag_seconds) : Json(nullptr)}};
}

}  // namespace

std::optional<SeriesWindow> parse_series_window(const std::string& text) {
  // About 60 to 100 steps a chart: enough to see a shape, few enough to read.
  static const SeriesWindow windows[] = {
      {"30m", 1800, 30}, {"1h", 3600, 60}, {"6h", 6 * 3600, 5 * 60}, {"24h", 24 * 3600, 15 * 60}};
  const std::string wanted = text.empty() ? "1h" : text;
  for (const auto& w : windows)
    if (w.name == wanted) return w;
  return std::nullopt;
}

std::vector<SeriesPoint> build_series(const std::vector<std::vector<RunRecord>>& runs_per_flow,
                                      const std::vector<std::vector<LagSample>>& lag_per_flow,
                                      const SeriesWindow& window, int64_t now_ms, int64_t counts_from_ms) {
  const int64_t step = window.step_seconds * 1000;
  const size_t count = static_cast<size_t>(window.seconds / window.step_seconds);
  const int64_t last_start = now_ms - now_ms % step;
  const int64_t first_start = last_start - static_cast<int64_t>(count - 1) * step;
  std::vector<SeriesPoint> points(count);
  for (size_t i = 0; i < count; ++i) {
    points[i].start_ms = first_start + static_cast<int64_t>(i) * step;
    points[i].counts_known = points[i].start_ms >= counts_from_ms;
  }
  auto index_of = [&](int64_t ms) -> std::optional<size_t> {
    if (ms < first_start || ms >= last_start + step) return std::nullopt;
    return static_cast<size_t>((ms - first_start) / step);
  };
  for (const auto& runs : runs_per_flow) {
    std::vector<int64_t> read(count, 0);
    for (const auto& r : runs) {
      const auto i = index_of(r.finished_ms ? r.finished_ms : r.started_ms);
      if (!i || !points[*i].counts_known) continue;
      read[*i] += r.read;
      points[*i].written += r.created + r.updated;
      points[*i].failed += r.failed;
      points[*i].dead_lettered += r.dead_lettered;
    }
    for (size_t i = 0; i < count; ++i) points[i].read = std::max(points[i].read, read[i]);
  }
  for (const auto& samples : lag_per_flow)
    for (const auto& s : samples) {
      const auto i = index_of(s.minute_ms);
      if (!i) continue;
      SeriesPoint& p = points[*i];
      p.lag_events = std::max(p.lag_events.value_or(0), s.lag_events);
      p.lag_seconds = std::max(p.lag_seconds.value_or(0), s.lag_seconds);
    }
  return points;
}

http::HttpResponse series_reply(StateStore& state, std::mutex& state_mu, const AdminBoard& board,
                                const http::HttpRequest& request, SeriesOf of, const std::string& name) {
  const auto window = parse_series_window(request.param("window"));
  if (!window) return reply(400, Json{{"error", "bad_request"}, {"message", "window: 30m, 1h, 6h or 24h"}});
  std::vector<std::string> flows;
  for (const auto& f : board.flows())
    if (of == SeriesOf::Flow ? f.name == name : f.from == name) flows.push_back(f.name);
  if (flows.empty())
    return reply(404, Json{{"error", "not_found"},
                           {"message", of == SeriesOf::Flow ? "no flow " + name : "no flow reads the source " + name}});
  const int64_t now = now_ms();
  // A run is recorded each time a flow goes idle and at least once a minute: a busy flow may have
  // more than the limit in the window; the steps before the oldest run read are then "not known".
  const int limit = static_cast<int>(window->seconds / 60 * 20 + 100);
  std::vector<std::vector<RunRecord>> runs;
  std::vector<std::vector<LagSample>> lag;
  int64_t counts_from = 0;
  {
    std::lock_guard lock(state_mu);
    for (const auto& f : flows) {
      runs.push_back(state.runs(f, limit));
      if (static_cast<int>(runs.back().size()) == limit) {
        const RunRecord& oldest = runs.back().back();  // newest first
        counts_from = std::max(counts_from, (oldest.finished_ms ? oldest.finished_ms : oldest.started_ms) + 1);
      }
    }
  }
  int64_t lag_since = 0;
  for (const auto& f : flows) {
    lag.push_back(board.lag_history().of(f));
    if (!lag.back().empty() && (!lag_since || lag.back().front().minute_ms < lag_since))
      lag_since = lag.back().front().minute_ms;
  }
  Json points = Json::array();
  for (const auto& p : build_series(runs, lag, *window, now, counts_from)) points.push_back(point_json(p));
  return reply(200, Json{{of == SeriesOf::Flow ? "flow" : "source", name},
                         {"flows", flows},
                         {"window", window->name},
                         {"step_seconds", window->step_seconds},
                         {"counts_from", counts_from ? Json(iso_time(counts_from)) : Json(nullptr)},
                         {"lag_since", lag_since ? Json(iso_time(lag_since)) : Json(nullptr)},
                         {"points", std::move(points)}});
}

RecordTotals records_since(const std::vector<std::vector<RunRecord>>& runs_per_flow, int64_t since_ms, size_t limit) {
  RecordTotals totals;
  for (const auto& runs : runs_per_flow) {
    for (const auto& r : runs) {
      if ((r.finished_ms ? r.finished_ms : r.started_ms) < since_ms) continue;
      totals.read += r.read;
      totals.written += r.created + r.updated;
      totals.failed += r.failed;
      totals.dead_lettered += r.dead_lettered;
    }
    if (runs.size() >= limit &&
        (runs.back().finished_ms ? runs.back().finished_ms : runs.back().started_ms) >= since_ms)
      totals.complete = false;
  }
  return totals;
}

http::HttpResponse records_reply(StateStore& state, std::mutex& state_mu, const AdminBoard& board,
                                 const http::HttpRequest& request) {
  constexpr int64_t kWeekMs = 7 * 24 * 3600 * 1000LL;
  const int64_t now = now_ms();
  const std::string text = request.param("since");
  std::optional<int64_t> since = now - 24 * 3600 * 1000LL;
  if (!text.empty()) {
    since = config::parse_int(text);
    if (!since)
      if (auto t = mapping::parse_datetime(text, "", mapping::TimeZone::utc())) since = t->micros / 1000;
  }
  if (!since || *since < now - kWeekMs || *since > now)
    return reply(400,
                 Json{{"error", "bad_request"}, {"message", "since: ISO time or epoch ms within the last 7 days"}});
  // As for the series: a run when a flow goes idle and at least once a minute, a busy flow more often.
  const size_t limit = static_cast<size_t>(std::min<int64_t>(50'000, (now - *since) / 60'000 * 20 + 100));
  std::vector<std::vector<RunRecord>> runs;
  {
    std::lock_guard lock(state_mu);
    for (const auto& f : board.flows()) runs.push_back(state.runs(f.name, static_cast<int>(limit)));
  }
  const RecordTotals t = records_since(runs, *since, limit);
  return reply(200, Json{{"since", iso_time(*since)},
                         {"read", t.read},
                         {"written", t.written},
                         {"failed", t.failed},
                         {"dead_lettered", t.dead_lettered},
                         {"complete", t.complete}});
}

}  // namespace synchub::runtime
