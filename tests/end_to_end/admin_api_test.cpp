// The admin API of a running `synchub run` (file -> file flow with a mapping
// that dead-letters records without an id): every route, status code and
// role; pause/resume; dead-letter replay and discard; /metrics in the
// Prometheus text format.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>

#include "http/http_client.hpp"
#include "tests/support/test_support.hpp"

namespace synchub::test {
namespace {

using http::HttpCall;
using http::HttpClient;
using http::HttpReply;
using Json = nlohmann::json;

// /metrics as the Prometheus client library parses it (tests/support/prometheus_check.py),
// which also checks every family is typed and histograms are cumulative.
Json parse_prometheus(const TempDir& dir, const std::string& text) {
  write_file(dir.path() / "metrics.txt", text);
  const std::string command = "/usr/bin/python3 " SYNCHUB_SOURCE_DIR "/tests/support/prometheus_check.py " +
                              dir.str("metrics.txt") + " > " + dir.str("metrics.json");
  EXPECT_EQ(std::system(command.c_str()), 0) << text;
  return Json::parse(read_file(dir.path() / "metrics.json"));
}

class AdminHub {
 public:
  explicit AdminHub(const std::string& outbox = "{outbox: outbox, fsync: false}", const std::string& http = "{port: 0}",
                    const std::string& ca_file = "", const std::string& more_fields = "",
                    const std::string& admin = "{enabled: true, viewer_tokens: [view-1], operator_tokens: [op-1]}")
      : client_({.ca_file = ca_file}) {
    fs::create_directories(dir_.path() / "inbox");
    write_file(dir_.path() / "map.yaml",
               "key: id\nfields:\n  id: {from: id, required: true}\n  name: name\n" + more_fields);
    write_file(dir_.path() / "synchub.yaml", R"(hub:
  name: admin
  http: )" + http + R"(
  admin: )" + admin + R"(
)" + file_orders_connectors(outbox) + R"(flows:
  orders:
    from: crm.orders
    to: erp.orders
    mapping: map.yaml
    retry: {initial_backoff: 10ms, max_backoff: 50ms}
)");
    process_ =
        std::make_unique<Process>(std::vector<std::string>{"run", "-c", dir_.str("synchub.yaml")}, dir_.str("log"));
    base_ = wait_for_hub_url(dir_.path() / "log");
  }
  HttpReply call(const std::string& method, const std::string& path, const std::string& token = "",
                 const std::string& body = "", const std::string& client = "") {
    HttpCall c{method, base_ + path, {}, body};
    if (!token.empty()) c.headers.emplace_back("Authorization", "Bearer " + token);
    if (!client.empty()) c.headers.emplace_back("X-Synchub-Client", client);
    return client_.send(c);
  }
  Json get(const std::string& path) {
    HttpReply r = call("GET", path, "view-1");
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    return Json::parse(r.body);
  }
  // Waits until the flow's status satisfies `ok`.
  Json flow_until(const std::function<bool(const Json&)>& ok) {
    Json flow;
    eventually(
        [&] {
          flow = get("/api/v1/flows/orders");
          return ok(flow);
        },
        std::chrono::seconds(10));
    return flow;
  }
  // The file appears whole (hidden, then renamed): the source reads with `settle: 0s`, and could
  // otherwise take the file while it is still empty.
  void drop(const std::string& name, const std::string& lines) {
    write_file(dir_.path() / "inbox" / ("." + name), lines);
    fs::rename(dir_.path() / "inbox" / ("." + name), dir_.path() / "inbox" / name);
  }
  const std::string& base() const { return base_; }
  const TempDir& dir() const { return dir_; }

 private:
  TempDir dir_;
  std::unique_ptr<Process> process_;
  std::string base_;
  HttpClient client_;
};

TEST(AdminApi, RoutesRolesAndErrors) {
  AdminHub hub;
  EXPECT_EQ(hub.call("GET", "/healthz").status, 200);
  EXPECT_EQ(hub.call("GET", "/readyz").status, 200);
  HttpReply anonymous = hub.call("GET", "/api/v1/flows");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(Json::parse(anonymous.body)["error"], "unauthorized");
  EXPECT_EQ(anonymous.header("www-authenticate"), "Bearer");
  EXPECT_EQ(hub.call("GET", "/api/v1/flows", "wrong").status, 401);
  EXPECT_EQ(hub.call("GET", "/metrics").status, 401);
  EXPECT_EQ(hub.call("POST", "/api/v1/flows/orders/pause", "view-1").status, 403);
  HttpReply unknown = hub.call("GET", "/api/v1/nothing", "view-1");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(Json::parse(unknown.body)["error"], "not_found");
  EXPECT_EQ(hub.call("GET", "/api/v1/flows/nope", "view-1").status, 404);
  HttpReply wrong = hub.call("PUT", "/api/v1/flows", "op-1");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.header("allow"), "GET, HEAD");
  EXPECT_EQ(hub.call("GET", "/api/v1/flows/orders/pause", "op-1").status, 405);
  EXPECT_EQ(hub.call("GET", "/api/v1/dlq?limit=0", "view-1").status, 400);
  EXPECT_EQ(hub.call("GET", "/api/v1/dlq?since=yesterday", "view-1").status, 400);
  EXPECT_EQ(hub.call("GET", "/api/v1/dlq?since=2024-03-01", "view-1").status, 200);
  EXPECT_EQ(hub.call("GET", "/api/v1/dlq?since=2024-03-01T08:00:00%2B08:00", "view-1").status, 200);
  EXPECT_EQ(hub.call("GET", "/api/v1/dlq/999", "view-1").status, 404);

  EXPECT_EQ(hub.get("/api/v1/whoami")["role"], "viewer");
  EXPECT_EQ(Json::parse(hub.call("GET", "/api/v1/whoami", "op-1").body)["role"], "operator");

  // The dashboard's files are open (the page asks for a token), with a strict CSP.
  HttpReply page = hub.call("GET", "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.header("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("<script src=\"/dashboard.js\""), std::string::npos);
  EXPECT_NE(page.header("content-security-policy").find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(page.header("x-content-type-options"), "nosniff");
  EXPECT_EQ(hub.call("GET", "/dashboard.js").header("content-type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(hub.call("GET", "/dashboard.css").header("content-type"), "text/css; charset=utf-8");
  EXPECT_EQ(hub.call("GET", "/favicon.svg").header("content-type"), "image/svg+xml");
  for (const char* view : {"/summary.js", "/map.js", "/charts.js", "/flow.js", "/sources.js", "/dlq.js", "/trace.js"})
    EXPECT_NE(page.body.find(std::string("<script src=\"") + view + "\""), std::string::npos) << view;
  EXPECT_EQ(hub.call("POST", "/", "op-1").status, 405);
  EXPECT_EQ(hub.call("GET", "/dashboard.map").status, 404);

  Json flows = hub.get("/api/v1/flows");
  ASSERT_EQ(flows["flows"].size(), 1u);
  EXPECT_EQ(flows["flows"][0]["name"], "orders");
  EXPECT_EQ(flows["flows"][0]["from"], "crm.orders");
  EXPECT_EQ(flows["flows"][0]["to"], "erp.orders");
}

// One table answers every route: HEAD on each GET route (GET's header without the body), 405
// with the methods the path has, and the list of the routes with their role and help.
TEST(AdminApi, HeadWrongMethodsAndTheRouteList) {
  AdminHub hub;
  const HttpReply health = hub.call("GET", "/healthz");
  const HttpReply head = hub.call("HEAD", "/healthz");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
  EXPECT_EQ(head.header("content-length"), std::to_string(health.body.size()));
  EXPECT_EQ(head.header("content-type"), "application/json");
  const HttpReply page = hub.call("HEAD", "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.body, "");
  EXPECT_EQ(page.header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(hub.call("HEAD", "/api/v1/flows").status, 401);  // the token first, as for GET
  const HttpReply flows = hub.call("HEAD", "/api/v1/flows", "view-1");
  EXPECT_EQ(flows.status, 200);
  EXPECT_EQ(flows.body, "");
  EXPECT_GT(std::stoul(flows.header("content-length")), 0u);
  const HttpReply metrics = hub.call("HEAD", "/metrics", "view-1");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.body, "");
  EXPECT_EQ(metrics.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(hub.call("HEAD", "/api/v1/flows/nope", "view-1").status, 404);

  const HttpReply pause = hub.call("DELETE", "/api/v1/flows/orders/pause", "op-1");
  EXPECT_EQ(pause.status, 405);
  EXPECT_EQ(pause.header("allow"), "POST");
  EXPECT_EQ(Json::parse(pause.body)["error"], "method_not_allowed");
  EXPECT_EQ(hub.call("PUT", "/api/v1/dlq/1", "op-1").header("allow"), "GET, HEAD, DELETE");
  EXPECT_EQ(hub.call("GET", "/api/v1/dlq/replay", "view-1").header("allow"), "POST");
  EXPECT_EQ(hub.call("POST", "/healthz").header("allow"), "GET, HEAD");
  EXPECT_EQ(hub.call("POST", "/api/v1/flows", "view-1").status, 405);  // no POST for anyone
  // The charts' series: one step a minute over the last hour, for the flow and for its source.
  const Json series = hub.get("/api/v1/flows/orders/series");
  EXPECT_EQ(series["window"], "1h");
  EXPECT_EQ(series["points"].size(), 60u);
  EXPECT_EQ(hub.get("/api/v1/sources/crm.orders/series?window=24h")["points"].size(), 96u);
  EXPECT_EQ(hub.call("GET", "/api/v1/flows/orders/series?window=1y", "view-1").status, 400);
  // Under /api/ a caller without a token learns nothing, not even whether a path exists.
  EXPECT_EQ(hub.call("GET", "/api/v1/nothing").status, 401);
  EXPECT_EQ(hub.call("DELETE", "/api/v1/flows").status, 401);

  EXPECT_EQ(hub.call("GET", "/api/v1/routes").status, 401);
  const Json routes = hub.get("/api/v1/routes")["routes"];
  std::map<std::string, std::string> roles;  // "METHOD path" -> role
  for (const auto& r : routes) {
    EXPECT_FALSE(r["help"].get<std::string>().empty()) << r;
    roles[r["method"].get<std::string>() + " " + r["path"].get<std::string>()] = r["role"];
  }
  EXPECT_EQ(roles.size(), routes.size()) << "a route listed twice: " << routes;
  EXPECT_EQ(roles["GET /healthz"], "open");
  EXPECT_EQ(roles["GET /"], "open");
  EXPECT_EQ(roles["GET /dashboard.js"], "open");
  EXPECT_EQ(roles["GET /api/v1/flows/{name}/runs"], "viewer");
  EXPECT_EQ(roles["POST /api/v1/flows/{name}/trigger"], "operator");
  EXPECT_EQ(roles["POST /api/v1/dlq/replay"], "operator");
  EXPECT_EQ(roles["DELETE /api/v1/dlq/{id}"], "operator");
  EXPECT_EQ(roles["GET /metrics"], "viewer");
  // Every listed route is served (its captures filled in): none answers "no route" or 405.
  for (const auto& r : routes) {
    std::string path = r["path"];
    for (const auto& [capture, value] : {std::pair{"{name}", "orders"}, std::pair{"{id}", "1"}})
      if (size_t at = path.find(capture); at != std::string::npos) path.replace(at, std::strlen(capture), value);
    const HttpReply reply = hub.call(r["method"], path, "op-1");
    EXPECT_NE(reply.status, 405) << path;
    EXPECT_EQ(reply.body.find("no route"), std::string::npos) << path << ": " << reply.body;
    if (r["method"] != "GET") continue;
    // HEAD answers as GET does (status, type, length), without the body.
    const HttpReply head = hub.call("HEAD", path, "op-1");
    EXPECT_EQ(head.status, reply.status) << "HEAD " << path;
    EXPECT_EQ(head.body, "") << "HEAD " << path;
    EXPECT_EQ(head.header("content-type"), reply.header("content-type")) << "HEAD " << path;
    EXPECT_FALSE(head.header("content-length").empty()) << "HEAD " << path;
    // The same length, where the answer does not change from one call to the next (/metrics does:
    // its process CPU seconds, for one).
    const bool same_answer = path.find("/api/v1/") == std::string::npos && path != "/metrics";
    if (same_answer || path == "/api/v1/routes" || path == "/api/v1/whoami") {
      EXPECT_EQ(head.header("content-length"), std::to_string(reply.body.size())) << "HEAD " << path;
    }
  }
}

TEST(AdminApi, CountsPauseResumeAndDeadLetters) {
  AdminHub hub;
  hub.drop("a.jsonl", "{\"order_id\":\"A\",\"id\":\"A\",\"name\":\"华信\"}\n{\"order_id\":\"B\",\"name\":\"no id\"}\n");
  Json flow = hub.flow_until([](const Json& f) { return f["counts"]["read"] == 2; });
  EXPECT_EQ(flow["counts"]["created"], 1);
  EXPECT_EQ(flow["counts"]["dead_lettered"], 1);
  EXPECT_EQ(flow["last_error"]["message"], "key: the key expression gave null") << flow;

  // Paused: new input waits on the topic (lag) until resumed.
  EXPECT_EQ(hub.call("POST", "/api/v1/flows/orders/pause", "op-1").status, 202);
  flow = hub.flow_until([](const Json& f) { return f["state"] == "paused"; });
  EXPECT_EQ(flow["state"], "paused");
  hub.drop("b.jsonl", "{\"order_id\":\"C\",\"id\":\"C\"}\n");
  flow = hub.flow_until([](const Json& f) { return f["lag_events"] == 1 && f["lag_seconds"] > 0.05; });
  EXPECT_EQ(flow["lag_events"], 1);
  EXPECT_GT(flow["lag_seconds"], 0.05);  // the age of the waiting event
  EXPECT_LT(flow["lag_seconds"], 60);
  EXPECT_EQ(flow["counts"]["read"], 2);
  EXPECT_EQ(hub.call("POST", "/api/v1/flows/orders/resume", "op-1").status, 202);
  flow = hub.flow_until([](const Json& f) { return f["counts"]["read"] == 3; });
  EXPECT_EQ(flow["counts"]["created"], 2);
  EXPECT_EQ(flow["lag_events"], 0);
  EXPECT_EQ(flow["lag_seconds"], 0);
  EXPECT_EQ(flow["dead_letters"], 1);
  EXPECT_EQ(flow["read_per_minute"].size(), 30u);
  EXPECT_EQ(hub.call("POST", "/api/v1/flows/orders/trigger", "op-1").status, 202);

  // The dead letter: listed, shown with its input, replayed (fails again), discarded.
  Json list = hub.get("/api/v1/dlq?flow=orders");
  ASSERT_EQ(list["entries"].size(), 1u);
  EXPECT_EQ(list["next_after"], nullptr);
  const int64_t id = list["entries"][0]["id"];
  Json entry = hub.get("/api/v1/dlq/" + std::to_string(id));
  EXPECT_EQ(entry["input"], "{\"order_id\":\"B\",\"name\":\"no id\"}");
  EXPECT_EQ(entry["stage"], "mapping");
  EXPECT_EQ(hub.call("POST", "/api/v1/dlq/" + std::to_string(id) + "/replay", "view-1").status, 403);
  EXPECT_EQ(hub.call("POST", "/api/v1/dlq/" + std::to_string(id) + "/replay", "op-1").status, 202);
  auto attempts_reach = [&](int n) { return hub.get("/api/v1/dlq/" + std::to_string(id))["attempts"] == n; };
  eventually([&] { return attempts_reach(2); }, std::chrono::seconds(5));
  entry = hub.get("/api/v1/dlq/" + std::to_string(id));
  EXPECT_EQ(entry["attempts"], 2);
  EXPECT_EQ(entry["status"], "pending");
  EXPECT_EQ(Json::parse(hub.call("POST", "/api/v1/dlq/replay?flow=orders", "op-1").body)["requested"], 1);
  // A name that is no flow is refused, not answered "0 requested".
  HttpReply unknown = hub.call("POST", "/api/v1/dlq/replay?flow=nonexistent", "op-1");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_NE(unknown.body.find("no flow nonexistent"), std::string::npos) << unknown.body;
  eventually([&] { return attempts_reach(3); }, std::chrono::seconds(5));
  EXPECT_EQ(hub.call("DELETE", "/api/v1/dlq/" + std::to_string(id), "op-1").status, 200);
  EXPECT_EQ(hub.get("/api/v1/dlq/" + std::to_string(id))["status"], "discarded");
  EXPECT_EQ(hub.call("DELETE", "/api/v1/dlq/" + std::to_string(id), "op-1").status, 404);

  // Runs: the history the flow recorded.
  int64_t read = 0;
  eventually(
      [&] {
        read = 0;
        const Json runs = hub.get("/api/v1/flows/orders/runs");
        for (const auto& run : runs["runs"]) read += run["read"].get<int64_t>();
        return read >= 3;
      },
      std::chrono::seconds(5));
  EXPECT_EQ(read, 3) << hub.get("/api/v1/flows/orders/runs");
  // The same runs, summed over the last 5 minutes, hour and day.
  Json windows = hub.get("/api/v1/flows/orders")["windows"];
  for (const char* w : {"5m", "1h", "24h"}) {
    EXPECT_EQ(windows[w]["read"], 3) << w << windows;
    EXPECT_EQ(windows[w]["created"], 2) << w << windows;
  }
  EXPECT_EQ(windows["5m"]["read_per_second"], 0.01);

  // Metrics: parsed by the Prometheus client library's own text parser.
  HttpReply metrics = hub.call("GET", "/metrics", "view-1");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  const Json families = parse_prometheus(hub.dir(), metrics.body);
  auto value = [&](const std::string& family, const std::string& sample, const Json& labels) -> Json {
    for (const auto& s : families[family]["samples"])
      if (s["name"] == sample && s["labels"] == labels) return s["value"];
    return nullptr;
  };
  EXPECT_EQ(families["synchub_records"]["type"], "counter");  // the parser drops _total from a counter's name
  EXPECT_EQ(value("synchub_records", "synchub_records_total", {{"flow", "orders"}, {"outcome", "created"}}), 2.0);
  EXPECT_EQ(value("synchub_dlq_entries", "synchub_dlq_entries", {{"flow", "orders"}}), 0.0);
  EXPECT_EQ(value("synchub_flow_lag_seconds", "synchub_flow_lag_seconds", {{"flow", "orders"}}), 0.0);
  EXPECT_EQ(families["synchub_retries"]["type"], "counter");
  EXPECT_EQ(families["synchub_sink_request_duration_seconds"]["type"], "histogram");
  // Every sink write was timed: the count equals the batches written (3 records, 2 or 3 batches).
  const Json writes = value("synchub_sink_request_duration_seconds", "synchub_sink_request_duration_seconds_count",
                            {{"connector", "erp"}});
  ASSERT_TRUE(writes.is_number()) << metrics.body;
  EXPECT_GE(writes.get<double>(), 2.0);
  EXPECT_GT(value("process_resident_memory_bytes", "process_resident_memory_bytes", Json::object()).get<double>(), 1e6);
  EXPECT_GT(value("process_start_time_seconds", "process_start_time_seconds", Json::object()).get<double>(), 1.7e9);
}

// Dead letters an admin can work through: one entry per key with every failed input in its history,
// resolved when a later version lands, grouped by reason, searched by key, replayed and discarded
// in bulk, corrected and replayed with the edit recorded.
TEST(AdminApi, DeadLettersOnePerKeyResolvedGroupedSearchedAndWorkedThrough) {
  AdminHub hub("{outbox: outbox, fsync: false}", "{port: 0}", "",
               "  amount: {from: amount, type: \"decimal(10,2)\"}\n");
  hub.drop("a.jsonl",
           "{\"order_id\":\"SO-1\",\"name\":\"v1\"}\n{\"order_id\":\"SO-1\",\"name\":\"v2\"}\n"
           "{\"order_id\":\"SO-1\",\"name\":\"v3\"}\n{\"order_id\":\"SO-2\",\"id\":\"SO-2\",\"amount\":\"abc\"}\n"
           "{\"order_id\":\"SO-3\",\"id\":\"SO-3\",\"amount\":\"x1\"}\n{\"order_id\":\"SO-4\",\"name\":\"w\"}\n"
           "{\"order_id\":\"SO-5\",\"name\":\"old\"}\n");
  hub.flow_until([](const Json& f) { return f["counts"]["read"] == 7; });
  hub.drop("b.jsonl", "{\"order_id\":\"SO-5\",\"id\":\"SO-5\",\"name\":\"new\"}\n");
  Json flow = hub.flow_until([](const Json& f) { return f["counts"]["created"] == 1; });
  EXPECT_EQ(flow["counts"]["dead_lettered"], 7) << "every failure is counted";
  EXPECT_EQ(flow["dead_letters"], 4) << "entries: SO-1 to SO-4; SO-5 landed later";
  EXPECT_EQ(flow["dead_letters_pending"], 4);
  const Json families = parse_prometheus(hub.dir(), hub.call("GET", "/metrics", "view-1").body);
  EXPECT_EQ(families["synchub_dead_letters_pending"]["samples"][0]["value"], 4.0);

  auto entry_of = [&](const std::string& key) {
    const Json list = hub.get("/api/v1/dlq?flow=orders&status=all&key=" + key);
    EXPECT_EQ(list["entries"].size(), 1u) << key << list;
    return list["entries"][0];
  };
  const Json so1 = entry_of("SO-1");
  EXPECT_EQ(so1["failures"], 3);
  EXPECT_EQ(so1["status"], "pending");
  const std::string so1_path = "/api/v1/dlq/" + std::to_string(so1["id"].get<int64_t>());
  Json detail = hub.get(so1_path);
  EXPECT_EQ(detail["input"], "{\"order_id\":\"SO-1\",\"name\":\"v3\"}") << "the newest input";
  ASSERT_EQ(detail["history"].size(), 3u) << detail;
  EXPECT_EQ(detail["history"][0]["input"], "{\"order_id\":\"SO-1\",\"name\":\"v1\"}");
  EXPECT_EQ(detail["history"][1]["kind"], "failed");
  const Json so5 = entry_of("SO-5");
  EXPECT_EQ(so5["status"], "resolved");
  EXPECT_NE(so5["resolved"]["by"].get<std::string>().find("crm.orders/"), std::string::npos) << so5;
  EXPECT_EQ(hub.get("/api/v1/dlq?flow=orders&status=all&key=so-")["entries"].size(), 5u)
      << "a part of the key, any case";
  EXPECT_EQ(hub.get("/api/v1/dlq?flow=orders&key=so-")["entries"].size(), 4u) << "pending entries unless asked";
  EXPECT_EQ(hub.call("GET", "/api/v1/dlq?status=lost", "view-1").status, 400);

  // Grouped by reason: the missing id (SO-1, SO-4) and the bad amount (SO-2, SO-3).
  const Json groups = hub.get("/api/v1/dlq?flow=orders&status=pending&group_by=reason");
  ASSERT_EQ(groups["groups"].size(), 2u) << groups;
  EXPECT_EQ(groups["total"], 4);
  EXPECT_EQ(groups["groups"][0]["count"], 2);
  EXPECT_EQ(groups["groups"][1]["count"], 2);
  const std::string amount_reason = entry_of("SO-2")["reason"];
  EXPECT_EQ(entry_of("SO-3")["reason"], amount_reason) << "one cause, one reason, whatever the value";
  const std::string id_reason = so1["reason"];

  // Bulk: discard by a filter, replay by ids (an unknown one skipped); viewers may not.
  const std::string by_reason = Json{{"flow", "orders"}, {"reason", amount_reason}}.dump();
  EXPECT_EQ(hub.call("POST", "/api/v1/dlq/discard", "view-1", by_reason).status, 403);
  EXPECT_EQ(hub.call("POST", "/api/v1/dlq/discard", "op-1", "").status, 400) << "discard names a selection";
  EXPECT_EQ(hub.call("POST", "/api/v1/dlq/discard", "op-1", R"({"idz":[1]})").status, 400);
  HttpReply discarded = hub.call("POST", "/api/v1/dlq/discard", "op-1", by_reason);
  EXPECT_EQ(discarded.status, 200);
  EXPECT_EQ(Json::parse(discarded.body)["discarded"], 2) << discarded.body;
  const int64_t so4 = entry_of("SO-4")["id"];
  HttpReply replayed = hub.call("POST", "/api/v1/dlq/replay", "op-1", Json{{"ids", {so4, 999999}}}.dump());
  EXPECT_EQ(replayed.status, 202);
  EXPECT_EQ(Json::parse(replayed.body)["requested"], 1) << replayed.body;
  EXPECT_EQ(Json::parse(replayed.body)["skipped"], 1);
  eventually([&] { return entry_of("SO-4")["failures"] == 2; }, std::chrono::seconds(5));
  replayed = hub.call("POST", "/api/v1/dlq/replay", "op-1", Json{{"reason", id_reason}}.dump());
  EXPECT_EQ(Json::parse(replayed.body)["requested"], 2) << replayed.body;
  eventually([&] { return entry_of("SO-1")["failures"] == 4 && entry_of("SO-4")["failures"] == 3; },
             std::chrono::seconds(5));

  // Corrected and replayed: it lands, and the history says who changed what.
  EXPECT_EQ(hub.call("POST", so1_path + "/replay", "op-1", R"({"input":{"id":"SO-1"}})").status, 400);
  EXPECT_EQ(hub.call("POST", so1_path + "/replay", "op-1", R"({"input":"[1,2]"})").status, 400);
  const std::string fixed = R"({"order_id":"SO-1","id":"SO-1","name":"fixed","amount":"12.50"})";
  HttpReply edited = hub.call("POST", so1_path + "/replay", "op-1", Json{{"input", fixed}}.dump());
  EXPECT_EQ(edited.status, 202) << edited.body;
  EXPECT_EQ(Json::parse(edited.body)["edited"], true);
  eventually([&] { return hub.get(so1_path)["status"] == "replayed"; }, std::chrono::seconds(5));
  detail = hub.get(so1_path);
  EXPECT_EQ(detail["input"], fixed);
  const Json& history = detail["history"];
  // 3 failures, the replay of its reason (asked, failed), the edit and its replay
  ASSERT_EQ(history.size(), 7u) << history;
  EXPECT_EQ(history[3]["kind"], "replay_requested");
  EXPECT_EQ(history[3]["by"], "operator token 1");
  EXPECT_EQ(history[4]["kind"], "replay_failed");
  EXPECT_EQ(history[6]["kind"], "replay_requested");
  const Json& edit = history[5];
  EXPECT_EQ(edit["kind"], "edited");
  EXPECT_EQ(edit["by"], "operator token 1");
  EXPECT_EQ(edit["input_before"], "{\"order_id\":\"SO-1\",\"name\":\"v3\"}");
  EXPECT_EQ(edit["input"], fixed);
  EXPECT_FALSE(edit["time"].get<std::string>().empty());
  flow = hub.flow_until([](const Json& f) { return f["counts"]["created"] == 2; });
  EXPECT_EQ(flow["dead_letters"], 1) << "SO-4 alone";

  // The dashboard names itself: its changes are recorded as the token's and the dashboard's.
  const std::string so4_path = "/api/v1/dlq/" + std::to_string(so4);
  EXPECT_EQ(hub.call("DELETE", so4_path, "op-1", "", "dashboard").status, 200);
  EXPECT_EQ(hub.get(so4_path)["history"].back()["by"], "operator token 1 (dashboard)");
}

// A hub without tokens names the dashboard in a dead letter's history, and other callers as before.
TEST(AdminApi, WithoutTokensTheDashboardIsNamedInTheHistory) {
  AdminHub hub("{outbox: outbox, fsync: false}", "{port: 0}", "", "", "{enabled: true}");
  hub.drop("a.jsonl", "{\"order_id\":\"A\",\"name\":\"no id\"}\n{\"order_id\":\"B\",\"name\":\"no id\"}\n");
  hub.flow_until([](const Json& f) { return f["dead_letters"] == 2; });
  const Json entries = hub.get("/api/v1/dlq?flow=orders")["entries"];
  ASSERT_EQ(entries.size(), 2u) << entries;
  const std::string a = "/api/v1/dlq/" + std::to_string(entries[0]["id"].get<int64_t>());
  const std::string b = "/api/v1/dlq/" + std::to_string(entries[1]["id"].get<int64_t>());
  EXPECT_EQ(hub.call("DELETE", a, "", "", "dashboard").status, 200);
  EXPECT_EQ(hub.call("DELETE", b).status, 200);
  EXPECT_EQ(hub.get(a)["history"].back()["by"], "dashboard");
  EXPECT_EQ(hub.get(b)["history"].back()["by"], "operator (no tokens configured)");
}

// HTTPS with the configured certificate; plain HTTP to it and clients that
// do not trust the certificate get nothing.
TEST(AdminApi, ServesHttpsWithTheConfiguredCertificate) {
  TempDir keys;
  const TestCertificate tls = make_test_certificate(keys);
  AdminHub hub("{outbox: outbox, fsync: false}", "{port: 0, tls: {cert: " + tls.cert + ", key: " + tls.key + "}}",
               tls.cert);
  ASSERT_EQ(hub.base().rfind("https://127.0.0.1:", 0), 0u) << hub.base();
  EXPECT_EQ(hub.call("GET", "/healthz").status, 200);
  EXPECT_EQ(hub.get("/api/v1/flows")["flows"].size(), 1u);
  HttpClient untrusting;
  HttpReply refused = untrusting.send({"GET", hub.base() + "/healthz", {}, ""});
  EXPECT_EQ(refused.status, 0);
  EXPECT_FALSE(refused.transport_error.empty());
  HttpReply plain = untrusting.send({"GET", "http://" + hub.base().substr(8) + "/healthz", {}, ""});
  EXPECT_NE(plain.status, 200);
  CommandResult status = run_synchub({"status", "--url", hub.base(), "--token", "view-1", "--ca", tls.cert});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_EQ(run_synchub({"status", "--url", hub.base(), "--token", "view-1"}).exit_code, 2);
}

TEST(StatusCommand, TableJsonAndExitCodes) {
  AdminHub hub;
  hub.drop("a.jsonl", "{\"order_id\":\"A\",\"id\":\"A\"}\n");
  hub.flow_until([](const Json& f) { return f["counts"]["created"] == 1; });
  CommandResult table = run_synchub({"status", "--url", hub.base(), "--token", "view-1"});
  EXPECT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("FLOW"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("orders"), std::string::npos) << table.out;
  EXPECT_EQ(table.out.find("\033["), std::string::npos) << "no colour when not on a terminal";
  CommandResult json = run_synchub({"status", "--url", hub.base(), "--token", "view-1", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const Json status = Json::parse(json.out);
  EXPECT_EQ(status["flows"][0]["counts"]["created"], 1) << json.out;
  ASSERT_EQ(status["sources"].size(), 1u) << json.out;  // the flow's file source
  EXPECT_EQ(status["sources"][0]["records_read"], 1) << json.out;
  CommandResult refused = run_synchub({"status", "--url", hub.base()});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("HTTP 401"), std::string::npos) << refused.err;
  CommandResult nobody = run_synchub({"status", "--url", "http://127.0.0.1:1"});
  EXPECT_EQ(nobody.exit_code, 2);
}

// The DLQ column counts the dead letters still pending, as the API's dead_letters: one discarded
// is gone from it (the flow's dead_lettered count since start keeps it).
TEST(StatusCommand, TheDlqColumnShowsPendingDeadLetters) {
  AdminHub hub;
  hub.drop("a.jsonl", "{\"order_id\":\"A\",\"id\":\"A\"}\n{\"order_id\":\"B\"}\n{\"order_id\":\"C\"}\n");
  hub.flow_until([](const Json& f) { return f["counts"]["dead_lettered"] == 2 && f["dead_letters"] == 2; });
  auto dlq_column = [&] {
    CommandResult table = run_synchub({"status", "--url", hub.base(), "--token", "view-1"});
    std::smatch m;
    // FLOW STATE LAG READ CREATED UPDATED DLQ
    EXPECT_TRUE(std::regex_search(table.out, m, std::regex("\norders +[a-z-]+ +[0-9]+ +3 +1 +0 +([0-9]+) ")))
        << table.out;
    return m.size() > 1 ? m[1].str() : "";
  };
  EXPECT_EQ(dlq_column(), "2");
  const int64_t id = hub.get("/api/v1/dlq?flow=orders")["entries"][0]["id"];
  ASSERT_EQ(hub.call("DELETE", "/api/v1/dlq/" + std::to_string(id), "op-1").status, 200);
  hub.flow_until([](const Json& f) { return f["dead_letters"] == 1; });
  EXPECT_EQ(dlq_column(), "1");
}

TEST(StatusCommand, AFailingFlowExitsOne) {
  TempDir elsewhere;
  write_file(elsewhere.path() / "not-a-folder", "x");  // the outbox is a file: every write fails (transiently)
  AdminHub hub("{outbox: " + elsewhere.str("not-a-folder") + ", fsync: false}");
  hub.drop("a.jsonl", "{\"order_id\":\"A\",\"id\":\"A\"}\n");
  Json flow = hub.flow_until([](const Json& f) { return f["state"] == "failing"; });
  EXPECT_EQ(flow["state"], "failing") << flow;
  EXPECT_GE(flow["retry"]["attempt"].get<int>(), 3);
  CommandResult status = run_synchub({"status", "--url", hub.base(), "--token", "view-1"});
  EXPECT_EQ(status.exit_code, 1) << status.out;
  EXPECT_NE(status.out.find("failing"), std::string::npos) << status.out;
}

}  // namespace
}  // namespace synchub::test
