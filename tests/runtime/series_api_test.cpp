// The series behind the dashboard's charts: run counts put in the time step they finished in,
// several flows of one source merged (the most read, the sum of the rest), lag as the largest
// sample of a step (none when nothing was sampled), and the HTTP answer read from a real SQLite
// state store.
#include "runtime/admin/series_api.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "runtime/base/clock.hpp"
#include "tests/support/files.hpp"

namespace synchub::runtime {
namespace {

constexpr int64_t kMinute = 60'000;
// A round minute plus 30 s: "now" is half-way through the last step.
constexpr int64_t kNow = 1'704'074'220'000 + 30'000;

RunRecord run(const std::string& flow, int64_t finished_ms, int64_t read, int64_t created, int64_t failed,
              int64_t dead_lettered) {
  RunRecord r;
  r.flow = flow;
  r.started_ms = finished_ms - 5000;
  r.finished_ms = finished_ms;
  r.read = read;
  r.created = created;
  r.updated = 1;
  r.failed = failed;
  r.dead_lettered = dead_lettered;
  return r;
}

TEST(SeriesWindow, KnowsItsWindowsAndRefusesOthers) {
  EXPECT_EQ(parse_series_window("")->name, "1h");
  EXPECT_EQ(parse_series_window("24h")->step_seconds, 15 * 60);
  EXPECT_EQ(parse_series_window("30m")->seconds, 1800);
  EXPECT_FALSE(parse_series_window("2h"));
  EXPECT_FALSE(parse_series_window("1H"));
}

TEST(BuildSeries, PutsEachRunInTheStepItFinishedIn) {
  const SeriesWindow hour = *parse_series_window("1h");
  const std::vector<RunRecord> runs = {run("a", kNow - 1000, 10, 8, 1, 0), run("a", kNow - 20'000, 5, 4, 0, 1),
                                       run("a", kNow - 3 * kMinute, 7, 7, 0, 0),
                                       run("a", kNow - 61 * kMinute, 99, 99, 9, 9)};  // before the window
  const auto points = build_series({runs}, {}, hour, kNow);
  ASSERT_EQ(points.size(), 60u);
  EXPECT_EQ(points.back().start_ms, kNow - 30'000);
  EXPECT_EQ(points.front().start_ms, kNow - 30'000 - 59 * kMinute);
  EXPECT_EQ(points.back().read, 15);
  EXPECT_EQ(points.back().written, 8 + 1 + 4 + 1);  // created + updated
  EXPECT_EQ(points.back().failed, 1);
  EXPECT_EQ(points.back().dead_lettered, 1);
  EXPECT_EQ(points[56].read, 7);
  int64_t total = 0;
  for (const auto& p : points) total += p.read;
  EXPECT_EQ(total, 22) << "the run before the window is left out";
  EXPECT_FALSE(points.back().lag_events) << "no lag sampled: none, not 0";
}

TEST(BuildSeries, StepsBeforeACutHistoryAreNotKnown) {
  const SeriesWindow hour = *parse_series_window("1h");
  const std::vector<RunRecord> runs = {run("a", kNow - 1000, 10, 8, 0, 0), run("a", kNow - 10 * kMinute, 5, 4, 0, 0)};
  // The history read ends (oldest first) with the run 10 minutes ago: older runs may exist.
  const auto points = build_series({runs}, {}, hour, kNow, kNow - 10 * kMinute + 1);
  EXPECT_TRUE(points.back().counts_known);
  EXPECT_EQ(points.back().read, 10);
  EXPECT_FALSE(points[49].counts_known) << "the step of the oldest run read: maybe not all of it";
  EXPECT_EQ(points[49].read, 0);
  EXPECT_FALSE(points.front().counts_known);
  EXPECT_TRUE(points[50].counts_known);
}

TEST(BuildSeries, MergesTheFlowsOfOneSourceAndTakesTheLargestLag) {
  const SeriesWindow hour = *parse_series_window("1h");
  // Two flows read the same 10 records from one source; each failed once.
  const std::vector<std::vector<RunRecord>> runs = {{run("a", kNow - 1000, 10, 10, 1, 0)},
                                                    {run("b", kNow - 2000, 10, 3, 1, 0)}};
  const std::vector<std::vector<LagSample>> lag = {{{kNow - 30'000, 4, 2.5}, {kNow - 30'000 - kMinute, 9, 1}},
                                                   {{kNow - 30'000, 6, 1.0}}};
  const auto points = build_series(runs, lag, hour, kNow);
  EXPECT_EQ(points.back().read, 10) << "the records of the source, not twice";
  EXPECT_EQ(points.back().written, 10 + 1 + 3 + 1);
  EXPECT_EQ(points.back().failed, 2);
  EXPECT_EQ(points.back().lag_events, 6);
  EXPECT_DOUBLE_EQ(*points.back().lag_seconds, 2.5);
  EXPECT_EQ(points[58].lag_events, 9);
  EXPECT_FALSE(points[57].lag_events);
}

TEST(RecordsSince, SumsTheRunsFinishedSinceAndSaysWhenTheHistoryReadIsShort) {
  const std::vector<std::vector<RunRecord>> runs = {
      {run("a", kNow - 1000, 10, 8, 1, 0), run("a", kNow - 2 * 3600'000, 5, 4, 0, 1)},
      {run("b", kNow - 5000, 3, 0, 0, 2)}};
  RecordTotals t = records_since(runs, kNow - 3600'000, 100);
  EXPECT_EQ(t.read, 13);
  EXPECT_EQ(t.written, 8 + 1 + 0 + 1);
  EXPECT_EQ(t.dead_lettered, 2);
  EXPECT_TRUE(t.complete);
  t = records_since(runs, kNow - 3 * 3600'000, 100);
  EXPECT_EQ(t.read, 18);
  t = records_since(runs, kNow - 3 * 3600'000, 1);
  EXPECT_FALSE(t.complete) << "flow b read one run (the limit), newer than since: older runs may be missing";
}

TEST(LagHistory, KeepsTheLargestLagOfEachMinute) {
  LagHistory history;
  history.sample("a", 3, 1.0, kNow);
  history.sample("a", 7, 0.5, kNow + 1000);
  history.sample("a", 2, 0.0, kNow + kMinute);
  const auto samples = history.of("a");
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0].minute_ms, kNow - 30'000);
  EXPECT_EQ(samples[0].lag_events, 7);
  EXPECT_DOUBLE_EQ(samples[0].lag_seconds, 1.0);
  EXPECT_EQ(samples[1].lag_events, 2);
  history.sample("a", 1, 0, kNow + 25 * 60 * kMinute);  // a day later: the old minutes go
  EXPECT_EQ(history.of("a").size(), 1u);
  EXPECT_TRUE(history.of("b").empty());
}

TEST(SeriesReply, AnswersForAFlowAndItsSourceFromTheStateStore) {
  test::TempDir dir;
  auto state = open_sqlite_state(dir.str("state.db"), false);
  std::mutex state_mu;
  const int64_t now = now_ms();
  state->record_run(run("orders_to_erp", now - 2000, 12, 11, 0, 1));
  state->record_run(run("orders_to_erp", now - 10 * kMinute, 3, 3, 0, 0));
  AdminBoard board;
  FlowStatus f;
  f.name = "orders_to_erp";
  f.from = "crm.orders";
  f.to = "erp.sale_orders";
  f.lag_events = 42;
  board.publish({f});

  auto get = [&](const std::string& query, SeriesOf of, const std::string& name) {
    http::HttpRequest request;
    request.method = "GET";
    request.query = query;
    return series_reply(*state, state_mu, board, request, of, name);
  };
  auto r = get("window=1h", SeriesOf::Flow, "orders_to_erp");
  ASSERT_EQ(r.status, 200) << r.body;
  auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["window"], "1h");
  EXPECT_EQ(body["step_seconds"], 60);
  ASSERT_EQ(body["points"].size(), 60u);
  int64_t read = 0;
  for (const auto& p : body["points"]) read += p["read"].get<int64_t>();
  EXPECT_EQ(read, 15);
  EXPECT_EQ(body["points"].back()["lag_events"], 42);
  EXPECT_TRUE(body["points"].front()["lag_events"].is_null());
  EXPECT_FALSE(body["lag_since"].is_null());

  r = get("window=6h", SeriesOf::Source, "crm.orders");
  ASSERT_EQ(r.status, 200) << r.body;
  body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["source"], "crm.orders");
  EXPECT_EQ(body["flows"], nlohmann::json::array({"orders_to_erp"}));
  EXPECT_EQ(body["points"].size(), 72u);

  http::HttpRequest records;
  records.query = "since=" + std::to_string(now - 60 * kMinute);
  r = records_reply(*state, state_mu, board, records);
  ASSERT_EQ(r.status, 200) << r.body;
  body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["read"], 15);
  EXPECT_EQ(body["written"], 11 + 1 + 3 + 1);
  EXPECT_EQ(body["complete"], true);
  records.query = "since=" + std::to_string(now - 5 * kMinute);
  EXPECT_EQ(nlohmann::json::parse(records_reply(*state, state_mu, board, records).body)["read"], 12);
  records.query = "since=2020-01-01";
  EXPECT_EQ(records_reply(*state, state_mu, board, records).status, 400) << "older than a week";
  records.query = "since=yesterday";
  EXPECT_EQ(records_reply(*state, state_mu, board, records).status, 400);

  EXPECT_EQ(get("window=2d", SeriesOf::Flow, "orders_to_erp").status, 400);
  EXPECT_EQ(get("", SeriesOf::Flow, "no_such_flow").status, 404);
  EXPECT_EQ(get("", SeriesOf::Source, "erp.sale_orders").status, 404) << "no flow reads it";
}

}  // namespace
}  // namespace synchub::runtime
