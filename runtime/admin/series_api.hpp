// Time series for the dashboard's charts: records read and written, failures and dead letters per
// time step (from the run history the state store keeps) and lag (from the board's LagHistory,
// in memory since the hub started), for one flow or for one source (the flows reading it).
//   GET /api/v1/flows/{name}/series?window=1h|6h|24h
//   GET /api/v1/sources/{name}/series?window=...
// and the records the flows handled since a time (the overview's "records today"):
//   GET /api/v1/records?since=
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "http/http_server.hpp"
#include "runtime/admin/admin_board.hpp"
#include "runtime/state/state_store.hpp"

namespace synchub::runtime {

struct SeriesWindow {
  std::string name;  // "1h"
  int64_t seconds = 3600;
  int64_t step_seconds = 60;
};

// "30m", "1h", "6h" or "24h" (default "1h"); nullopt for anything else.
std::optional<SeriesWindow> parse_series_window(const std::string& text);

struct SeriesPoint {
  int64_t start_ms = 0;  // the step's start; the step covers [start, start + step)
  int64_t read = 0, written = 0, failed = 0, dead_lettered = 0;
  bool counts_known = true;           // false: before the oldest run read (the history was cut at its limit)
  std::optional<int64_t> lag_events;  // none: no sample in the step (the hub was not running)
  std::optional<double> lag_seconds;
};

// The steps of `window` ending with the one holding `now_ms`, oldest first. A run counts in the step
// it finished in (started, while still running); a step's lag is the largest sampled in it.
// `runs` of several flows reading one source: `read` is the largest of theirs per step (each
// reads the same records), the other counts add up. `counts_from_ms` (0: none): the time before
// which the runs read are not all the runs there were; steps that start earlier are not known.
std::vector<SeriesPoint> build_series(const std::vector<std::vector<RunRecord>>& runs_per_flow,
                                      const std::vector<std::vector<LagSample>>& lag_per_flow,
                                      const SeriesWindow& window, int64_t now_ms, int64_t counts_from_ms = 0);

// What every flow handled in the runs finished at or after a time. `complete` is false when a
// flow's history read (`limit` runs, newest first) did not reach back that far: the sums are then
// what the runs read hold, a lower bound.
struct RecordTotals {
  int64_t read = 0, written = 0, failed = 0, dead_lettered = 0;
  bool complete = true;
};
RecordTotals records_since(const std::vector<std::vector<RunRecord>>& runs_per_flow, int64_t since_ms, size_t limit);

enum class SeriesOf { Flow, Source };

// The JSON answer for a flow or a source (404 when no flow is, or reads, `name`), read under `state_mu`.
http::HttpResponse series_reply(StateStore& state, std::mutex& state_mu, const AdminBoard& board,
                                const http::HttpRequest& request, SeriesOf of, const std::string& name);

// GET /api/v1/records?since= (ISO-8601 or epoch ms, within the last 7 days; default 24 h ago).
http::HttpResponse records_reply(StateStore& state, std::mutex& state_mu, const AdminBoard& board,
                                 const http::HttpRequest& request);

}  // namespace synchub::runtime
