// Reconciliations inside a running `synchub run`: the admin API's routes (the list with each
// one's latest run, a reconciliation's runs, one run's whole report, a run on request with 409
// while it runs), runs on a schedule (`every`) kept in the state store, and the alerts: one when
// a scheduled run finds differences, one recovery when a later run is clean. Both sides are
// folders read whole by the file connector; the one REST side is a local server that holds its
// answer until the test lets it go, so that "running" is a state the test can see.
#include <gtest/gtest.h>

#include <condition_variable>
#include <csignal>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "http/http_client.hpp"
#include "http/http_server.hpp"
#include "mapping/datetime.hpp"
#include "runtime/base/log.hpp"
#include "runtime/state/state_store.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/test_support.hpp"

namespace synchub::test {
namespace {

using http::HttpCall;
using http::HttpReply;
using Json = nlohmann::json;

// CRM orders against ERP orders: SO1 agrees (a Chinese customer name on both sides), SO2 is
// missing in the ERP, SO3's total is a cent off, SO9 is extra.
const char* kCrm =
    R"({"order_no":"SO1","customer":"上海贸易有限公司","created_at":"2024-03-01","total":"100.00"}
{"order_no":"SO2","customer":"B","created_at":"2024-03-01","total":"20.00"}
{"order_no":"SO3","customer":"C","created_at":"2024-03-02","total":"30.00"}
)";
const char* kErp =
    R"({"external_no":"SO1","customer":"上海贸易有限公司","order_date":"2024-03-01","total":"100.0"}
{"external_no":"SO3","customer":"C","order_date":"2024-03-02","total":"30.01"}
{"external_no":"SO9","customer":"D","order_date":"2024-03-02","total":"9.00"}
)";
const char* kErpAgreeing =
    R"({"external_no":"SO1","customer":"上海贸易有限公司","order_date":"2024-03-01","total":"100.0"}
{"external_no":"SO2","customer":"B","order_date":"2024-03-01","total":"20"}
{"external_no":"SO3","customer":"C","order_date":"2024-03-02","total":"30.00"}
)";

// A reconciliation of the two folders, with `extra` settings (every: ...).
std::string folders_reconciliation(const std::string& name, const std::string& extra = "") {
  return "  " + name + R"(:
    description: CRM orders against ERP orders
    source: {stream: crm.orders, key: order_no, time: created_at}
    target: {stream: erp.orders, key: external_no, time: order_date}
    measures: [total]
    compare: [customer]
)" + extra;
}

// The ERP's order listing over REST, answered only once the test releases it.
class GatedErp {
 public:
  GatedErp() : server_({}, [this](const http::HttpRequest& r) { return serve(r); }) {}
  ~GatedErp() { release(); }
  std::string url() const { return server_.base_url(); }
  bool asked() {
    std::lock_guard lock(mu_);
    return asked_ > 0;
  }
  void release() {
    std::lock_guard lock(mu_);
    open_ = true;
    changed_.notify_all();
  }

 private:
  http::HttpResponse serve(const http::HttpRequest&) {
    std::unique_lock lock(mu_);
    ++asked_;
    changed_.wait_for(lock, std::chrono::seconds(30), [this] { return open_; });
    return http::HttpResponse::json(200, R"([{"external_no":"SO1","total":"100.00"}])");
  }
  std::mutex mu_;
  std::condition_variable changed_;
  int asked_ = 0;
  bool open_ = false;
  http::HttpServer server_;
};

// A hub whose config declares `reconciliations` over the folders crm/ and erp/ (and a REST ERP
// at `erp_url`), with the admin API (viewer view-1, operator op-1) and `alerts`.
class ReconcilingHub {
 public:
  ReconcilingHub(const std::string& reconciliations, const std::string& erp_url = "http://127.0.0.1:9",
                 const std::string& alerts = "") {
    fs::create_directories(dir_.path() / "crm");
    fs::create_directories(dir_.path() / "erp");
    write_file(dir_.path() / "crm" / "orders.jsonl", kCrm);
    write_file(dir_.path() / "erp" / "orders.jsonl", kErp);
    write_file(dir_.path() / "synchub.yaml", R"(hub:
  name: reconciling
  data_dir: data
  http: {port: 0}
  admin: {enabled: true, viewer_tokens: [view-1], operator_tokens: [op-1]}
)" + alerts + R"(connectors:
  crm: {type: file, streams: {orders: {inbox: crm, key: order_no}}}
  erp: {type: file, streams: {orders: {inbox: erp, key: external_no}}}
  erp_api:
    type: rest
    base_url: )" + erp_url + R"(
    streams:
      orders: {path: /orders, key: external_no}
reconciliations:
)" + reconciliations);
  }
  void start() {
    process_ =
        std::make_unique<Process>(std::vector<std::string>{"run", "-c", dir_.str("synchub.yaml")}, dir_.str("log"));
    base_ = wait_for_hub_url(dir_.path() / "log");
  }
  HttpReply call(const std::string& method, const std::string& path, const std::string& token = "op-1") {
    HttpCall c{method, base_ + path, {}, ""};
    if (!token.empty()) c.headers.emplace_back("Authorization", "Bearer " + token);
    return client_.send(c);
  }
  Json get(const std::string& path) {
    HttpReply r = call("GET", path, "view-1");
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    return Json::parse(r.body);
  }
  Json reconciliation(const std::string& name) {
    const Json all = get("/api/v1/reconciliation");
    for (const auto& r : all["reconciliations"])
      if (r["name"] == name) return r;
    ADD_FAILURE() << "no reconciliation " << name;
    return {};
  }
  Json runs(const std::string& name) { return get("/api/v1/reconciliation/" + name + "/runs?limit=50")["runs"]; }
  // Waits until `name` has at least `count` runs kept; its runs, newest first.
  Json runs_until(const std::string& name, size_t count) {
    Json found;
    EXPECT_TRUE(eventually(
        [&] {
          found = runs(name);
          return found.size() >= count;
        },
        std::chrono::seconds(20)))
        << name << " has " << found.size() << " runs\n"
        << log();
    return found;
  }
  std::string log() const { return tail_of(dir_.path() / "log", 4000); }
  const std::string& base() const { return base_; }
  const TempDir& dir() const { return dir_; }
  Process& process() { return *process_; }

 private:
  TempDir dir_;
  std::unique_ptr<Process> process_;
  std::string base_;
  http::HttpClient client_;
};

int64_t epoch_ms(const std::string& iso) {
  auto t = mapping::parse_datetime(iso, "", mapping::TimeZone::utc());
  return t ? t->micros / 1000 : -1;
}

std::set<std::string> listed(const Json& report) {
  std::set<std::string> out;
  for (const auto& d : report["documents"])
    out.insert(d["class"].get<std::string>() + " " + d["key"].get<std::string>());
  return out;
}

TEST(ReconciliationHub, ListRunsReportsAndARunOnRequest) {
  GatedErp erp;
  ReconcilingHub hub(folders_reconciliation("orders") + folders_reconciliation("hourly", "    every: 1h\n") + R"(  slow:
    source: {stream: crm.orders, key: order_no}
    target: {stream: erp_api.orders, key: external_no}
)",
                     erp.url());
  // A run kept before the hub starts (by `synchub reconcile`): the next is one period after it.
  const CommandResult seeded = run_synchub({"reconcile", "-c", hub.dir().str("synchub.yaml"), "hourly"});
  ASSERT_EQ(seeded.exit_code, 1) << seeded.out << seeded.err;
  hub.start();

  EXPECT_EQ(hub.call("GET", "/api/v1/reconciliation", "").status, 401);
  const Json all = hub.get("/api/v1/reconciliation");
  ASSERT_EQ(all["reconciliations"].size(), 3u) << all;
  EXPECT_EQ(all["scheduler"], "running");
  const Json hourly = hub.reconciliation("hourly");
  EXPECT_EQ(hourly["description"], "CRM orders against ERP orders");
  EXPECT_EQ(hourly["source"], "crm.orders");
  EXPECT_EQ(hourly["target"], "erp.orders");
  EXPECT_EQ(hourly["every"], "1h");
  EXPECT_EQ(hourly["state"], "idle");
  ASSERT_TRUE(hourly["last_run"].is_object()) << hourly;
  EXPECT_EQ(hourly["last_run"]["differences"], 3);
  EXPECT_EQ(hourly["last_run"]["in_flight"], 0);
  EXPECT_EQ(hourly["last_run"]["failed"], false);
  EXPECT_EQ(epoch_ms(hourly["next_run"]), epoch_ms(hourly["last_run"]["started"]) + 3600000) << hourly;
  const Json orders = hub.reconciliation("orders");
  EXPECT_TRUE(orders["every"].is_null());
  EXPECT_TRUE(orders["next_run"].is_null());
  EXPECT_TRUE(orders["last_run"].is_null());

  // A run on request: 202 with where to poll; while it runs, a second request is refused (409)
  // and another reconciliation waits its turn.
  EXPECT_EQ(hub.call("POST", "/api/v1/reconciliation/slow/run", "view-1").status, 403);
  EXPECT_EQ(hub.call("POST", "/api/v1/reconciliation/nothing/run").status, 404);
  HttpReply started = hub.call("POST", "/api/v1/reconciliation/slow/run");
  ASSERT_EQ(started.status, 202) << started.body;
  EXPECT_EQ(Json::parse(started.body)["poll"], "/api/v1/reconciliation/slow/runs?limit=1");
  ASSERT_TRUE(eventually([&] { return erp.asked(); }, std::chrono::seconds(10))) << hub.log();
  EXPECT_EQ(hub.reconciliation("slow")["state"], "running");
  HttpReply again = hub.call("POST", "/api/v1/reconciliation/slow/run");
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(Json::parse(again.body)["error"], "conflict");
  HttpReply queued = hub.call("POST", "/api/v1/reconciliation/orders/run");
  ASSERT_EQ(queued.status, 202) << queued.body;
  EXPECT_EQ(Json::parse(queued.body)["status"], "queued");
  EXPECT_EQ(hub.reconciliation("orders")["state"], "queued");
  EXPECT_EQ(hub.call("POST", "/api/v1/reconciliation/orders/run").status, 409) << "asked for already";
  erp.release();
  const Json slow_runs = hub.runs_until("slow", 1);
  EXPECT_EQ(slow_runs[0]["differences"], 2) << "SO2 and SO3 are missing from the REST side";
  Json order_runs = hub.runs_until("orders", 1);

  // The whole report of a run: the groups with both sides, each differing document in its class.
  const Json report = hub.get("/api/v1/reconciliation/runs/" + std::to_string(order_runs[0]["id"].get<int64_t>()));
  EXPECT_EQ(report["id"], order_runs[0]["id"]);
  EXPECT_EQ(report["name"], "orders");
  EXPECT_EQ(listed(report), (std::set<std::string>{"missing SO2", "different SO3", "extra SO9"})) << report;
  ASSERT_EQ(report["groups"].size(), 2u) << report;
  EXPECT_EQ(report["groups"][0]["group"], Json::array({"2024-03-01"}));
  EXPECT_EQ(report["groups"][0]["source"], (Json{{"count", 2}, {"total", "120"}}));
  EXPECT_EQ(report["groups"][0]["target"], (Json{{"count", 1}, {"total", "100"}}));
  for (const auto& d : report["documents"]) {
    if (d["key"] == "SO3") {
      EXPECT_EQ(d["fields"][0], (Json{{"field", "total"}, {"source", "30"}, {"target", "30.01"}}));
    }
  }
  EXPECT_EQ(hub.call("GET", "/api/v1/reconciliation/runs/999", "view-1").status, 404);
  EXPECT_EQ(hub.call("GET", "/api/v1/reconciliation/runs/x", "view-1").status, 404);
  EXPECT_EQ(hub.call("GET", "/api/v1/reconciliation/nothing/runs", "view-1").status, 404);

  // Runs newest first; a second run on request once the first is done.
  ASSERT_EQ(hub.call("POST", "/api/v1/reconciliation/orders/run").status, 202);
  order_runs = hub.runs_until("orders", 2);
  EXPECT_GT(order_runs[0]["id"], order_runs[1]["id"]);
  const Json newest = hub.get("/api/v1/reconciliation/orders/runs?limit=1")["runs"];
  ASSERT_EQ(newest.size(), 1u);
  EXPECT_EQ(newest[0]["id"], order_runs[0]["id"]);
  EXPECT_EQ(hub.reconciliation("orders")["last_run"]["id"], order_runs[0]["id"]);
  EXPECT_EQ(hub.runs("hourly").size(), 1u) << "not due for an hour";

  Json routes = hub.get("/api/v1/routes")["routes"];
  std::map<std::string, std::string> roles;
  for (const auto& r : routes) roles[r["method"].get<std::string>() + " " + r["path"].get<std::string>()] = r["role"];
  EXPECT_EQ(roles["GET /api/v1/reconciliation"], "viewer");
  EXPECT_EQ(roles["GET /api/v1/reconciliation/{name}/runs"], "viewer");
  EXPECT_EQ(roles["GET /api/v1/reconciliation/runs/{id}"], "viewer");
  EXPECT_EQ(roles["POST /api/v1/reconciliation/{name}/run"], "operator");

  // `synchub status` ends with a line per reconciliation.
  const CommandResult status = run_synchub({"status", "--url", hub.base(), "--token", "view-1"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("RECONCILIATION"), std::string::npos) << status.out;
  auto line_of = [&](const std::string& name) {
    const size_t at = status.out.find("\n" + name + " ");
    return at == std::string::npos ? "" : status.out.substr(at + 1, status.out.find('\n', at + 1) - at - 1);
  };
  EXPECT_NE(line_of("hourly").find(" 3 differences "), std::string::npos) << status.out;
  EXPECT_NE(line_of("hourly").find(hourly["next_run"].get<std::string>()), std::string::npos) << status.out;
  EXPECT_NE(line_of("slow").find(" 2 differences "), std::string::npos) << status.out;
  EXPECT_NE(line_of("slow").find("on request"), std::string::npos) << status.out;
  EXPECT_EQ(hub.process().terminate(), 0) << hub.log();
}

TEST(ReconciliationHub, AStopEndsARunUnderWayWithoutKeepingIt) {
  GatedErp erp;
  ReconcilingHub hub(R"(  slow:
    source: {stream: crm.orders, key: order_no}
    target: {stream: erp_api.orders, key: external_no}
)",
                     erp.url());
  hub.start();
  ASSERT_EQ(hub.call("POST", "/api/v1/reconciliation/slow/run").status, 202);
  ASSERT_TRUE(eventually([&] { return erp.asked(); }, std::chrono::seconds(10))) << hub.log();
  hub.process().signal(SIGTERM);
  // The request under way is waited for (no connector call is cut off)...
  EXPECT_FALSE(hub.process().wait_for(std::chrono::milliseconds(300)).has_value());
  erp.release();
  // ... and the run ends at its next page instead of reading on.
  EXPECT_EQ(hub.process().wait_for(std::chrono::seconds(10)), 0) << hub.log();
  EXPECT_NE(hub.log().find("stopped with the hub; the run is not kept"), std::string::npos) << hub.log();
  auto state = runtime::open_sqlite_state(hub.dir().str("data/state.db"), false);
  EXPECT_TRUE(state->reconciliation_runs("slow", 10).empty());
}

// Posts to it are kept, each as JSON.
class GenericReceiver {
 public:
  GenericReceiver()
      : server_({}, [this](const http::HttpRequest& r) {
          std::lock_guard lock(mu_);
          messages_.push_back(Json::parse(r.body));
          return http::HttpResponse::json(200, "{}");
        }) {}
  std::string url() const { return server_.base_url() + "/hook"; }
  std::vector<Json> messages() {
    std::lock_guard lock(mu_);
    return messages_;
  }

 private:
  std::mutex mu_;
  std::vector<Json> messages_;
  http::HttpServer server_;
};

TEST(ReconciliationHub, AScheduledRunWithDifferencesAlertsOnceAndACleanOneRecovers) {
  GenericReceiver receiver;
  ReconcilingHub hub(folders_reconciliation("orders", "    every: 1s\n"), "http://127.0.0.1:9",
                     "alerts:\n  webhook: {url: \"" + receiver.url() + "\"}\n  check_every: 100ms\n  repeat: 0s\n");
  hub.start();
  // Never run before: the first run comes one period after start, then one a period.
  ASSERT_TRUE(eventually([&] { return !receiver.messages().empty(); }, std::chrono::seconds(20))) << hub.log();
  const Json alert = receiver.messages()[0];
  EXPECT_EQ(alert["status"], "firing");
  EXPECT_EQ(alert["alert"], "reconciliation");
  EXPECT_EQ(alert["reconciliation"], "orders");
  EXPECT_FALSE(alert.contains("flow"));
  EXPECT_EQ(alert["summary"], "reconciliation orders: 1 matched, 1 missing, 1 extra, 1 different (run #" +
                                  std::to_string(alert["run"].get<int64_t>()) + ")");
  EXPECT_EQ(alert["run"], 1);
  hub.runs_until("orders", 3);  // two more runs that differ
  EXPECT_EQ(receiver.messages().size(), 1u) << "one alert per outage";

  write_file(hub.dir().path() / "erp" / "orders.jsonl", kErpAgreeing);
  ASSERT_TRUE(eventually([&] { return receiver.messages().size() >= 2; }, std::chrono::seconds(20))) << hub.log();
  const Json recovery = receiver.messages()[1];
  EXPECT_EQ(recovery["status"], "resolved");
  EXPECT_EQ(recovery["reconciliation"], "orders");
  EXPECT_NE(recovery["summary"].get<std::string>().find("agrees again"), std::string::npos) << recovery;
  const Json runs = hub.runs("orders");
  ASSERT_GE(runs.size(), 4u);
  for (size_t i = 1; i < runs.size(); ++i) EXPECT_GT(runs[i - 1]["id"], runs[i]["id"]) << "newest first";
  const Json clean = hub.get("/api/v1/reconciliation/runs/" + std::to_string(recovery["run"].get<int64_t>()));
  EXPECT_EQ(clean["agrees"], true) << clean;
  EXPECT_EQ(clean["matched"], 3);

  // A stop does not wait for the next period, nor for more than the run under way.
  const auto asked = std::chrono::steady_clock::now();
  EXPECT_EQ(hub.process().terminate(), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - asked, std::chrono::seconds(5));
  EXPECT_EQ(receiver.messages().size(), 2u);
}

// Two workers sharing a PostgreSQL state (each with its own data folder, so its own worker id)
// run a scheduled reconciliation once a period between them, not once each, and alert once.
TEST(ReconciliationHub, WorkersSharingTheStateTakeTurnsWithAScheduledRun) {
  GenericReceiver receiver;
  const std::string shared = "state: {type: postgresql, url: \"" + shared_postgres().create_database() + "\"}\n" +
                             "alerts:\n  webhook: {url: \"" + receiver.url() +
                             "\"}\n  check_every: 100ms\n  repeat: 0s\n";
  ReconcilingHub w1(folders_reconciliation("orders", "    every: 2s\n"), "http://127.0.0.1:9", shared);
  ReconcilingHub w2(folders_reconciliation("orders", "    every: 2s\n"), "http://127.0.0.1:9", shared);
  w1.start();
  w2.start();
  const Json runs = w1.runs_until("orders", 4);
  std::vector<int64_t> starts;
  for (const auto& r : runs) starts.push_back(epoch_ms(r["started"]));
  std::sort(starts.begin(), starts.end());
  for (size_t i = 1; i < starts.size(); ++i)
    EXPECT_GE(starts[i] - starts[i - 1], 1500) << "runs " << i - 1 << " and " << i << " are one period apart\n"
                                               << runs.dump(1) << "\n"
                                               << w1.log() << "\n"
                                               << w2.log();
  EXPECT_EQ(w2.runs("orders").size(), w1.runs("orders").size()) << "both read the same kept runs";
  ASSERT_TRUE(eventually([&] { return !receiver.messages().empty(); }, std::chrono::seconds(10)));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(receiver.messages().size(), 1u) << "one alert for the hub, not one per worker";
}

}  // namespace
}  // namespace synchub::test
