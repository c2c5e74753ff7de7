// Sources a user can see: a hub reading stock, credit and invoices from the ERP simulator (and
// orders from the CRM simulator) while the ERP goes down and comes back. /api/v1/sources shows
// the ERP's sources failing with the ERP's error, the flows reading them say so, /metrics has
// synchub_source_up 0, `synchub status` lists them, an alert fires; then everything reads again,
// last_success moves on and the alert resolves. The scrape's numbers are exact (a cursor time is
// the integer it is, not 1.70407e+09).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <mutex>
#include <regex>

#include "examples/simulators/crm.hpp"
#include "examples/simulators/erp.hpp"
#include "http/http_client.hpp"
#include "http/http_server.hpp"
#include "mapping/datetime.hpp"
#include "tests/support/test_support.hpp"

namespace synchub::test {
namespace {

using Json = nlohmann::ordered_json;

// Collects the alerts the hub posts (synchub's own JSON).
class AlertInbox {
 public:
  AlertInbox() : server_({}, [this](const http::HttpRequest& r) { return receive(r); }) {}
  std::string url() const { return server_.base_url() + "/alerts"; }
  std::vector<Json> alerts() {
    std::lock_guard lock(mu_);
    return alerts_;
  }
  bool has(const std::string& stream, const std::string& status) {
    for (const auto& a : alerts())
      if (a.value("stream", "") == stream && a["status"] == status) return true;
    return false;
  }

 private:
  http::HttpResponse receive(const http::HttpRequest& r) {
    std::lock_guard lock(mu_);
    alerts_.push_back(Json::parse(r.body));
    return http::HttpResponse::json(200, "{}");
  }
  std::mutex mu_;
  std::vector<Json> alerts_;
  http::HttpServer server_;
};

std::string hub_config(const std::string& crm, const std::string& erp, const std::string& alerts) {
  const std::string listing =
      "records: items, pagination: {type: offset, param: offset, size_param: limit, size: 200, first: 0, total: "
      "total}, cursor: {field: modified_at, param: modified_after}, poll_interval: 200ms";
  return R"(hub:
  name: sources
  http: {port: 0}
  admin: {enabled: true, viewer_tokens: [view-1], operator_tokens: [op-1]}
alerts:
  webhook: {url: ")" +
         alerts + R"("}
  failing_for: 500ms
  check_every: 100ms
bus: {fsync: false}
connectors:
  crm:
    type: rest
    base_url: )" +
         crm + R"(
    auth: {type: oauth2, token_url: )" +
         crm + R"(/oauth/token, client_id: synchub, client_secret: crm-demo-secret}
    streams:
      orders:
        path: /orders
        key: order_no
        query: {limit: "200"}
        records: /data
        pagination: {type: cursor, param: cursor, next: next_cursor}
        cursor: {field: updated_at, param: updated_since, tiebreak: id, format: iso}
        poll_interval: 200ms
  erp:
    type: rest
    base_url: )" +
         erp + R"(
    auth: {type: api_key, name: X-Api-Key, value: erp-demo-key}
    timeout: 5s
    streams:
      stock: {path: /stock, key: sku, )" +
         listing + R"(}
      credit: {path: /credit, key: customer_code, )" +
         listing + R"(}
      invoices: {path: /invoices, key: number, )" +
         listing + R"(}
  out:
    type: file
    streams:
      orders: {outbox: out/orders, fsync: false}
      stock: {outbox: out/stock, fsync: false}
      credit: {outbox: out/credit, fsync: false}
      invoices: {outbox: out/invoices, fsync: false}
      invoices_copy: {outbox: out/invoices_copy, fsync: false}
flows:
  orders_out: {from: crm.orders, to: out.orders}
  stock_out: {from: erp.stock, to: out.stock}
  credit_out: {from: erp.credit, to: out.credit}
  invoices_out: {from: erp.invoices, to: out.invoices}
  invoices_copy: {from: erp.invoices, to: out.invoices_copy}
)";
}

class SourcesHub {
 public:
  SourcesHub(const std::string& crm, const std::string& erp, const std::string& alerts) {
    write_file(dir_.path() / "synchub.yaml", hub_config(crm, erp, alerts));
    EXPECT_EQ(run_synchub({"validate", "-c", dir_.str("synchub.yaml")}).exit_code, 0);
    process_ =
        std::make_unique<Process>(std::vector<std::string>{"run", "-c", dir_.str("synchub.yaml")}, dir_.str("log"));
    base_ = wait_for_hub_url(dir_.path() / "log");
  }
  http::HttpReply call(const std::string& method, const std::string& path, const std::string& token = "view-1") {
    return client_.send({method, base_ + path, {{"Authorization", "Bearer " + token}}, ""});
  }
  Json get(const std::string& path) {
    const http::HttpReply r = call("GET", path);
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    return Json::parse(r.body);
  }
  Json source(const std::string& name) { return get("/api/v1/sources/" + name); }
  // Waits until `ok` holds for the source; its last reading.
  Json source_until(const std::string& name, const std::function<bool(const Json&)>& ok) {
    Json s;
    eventually(
        [&] {
          s = source(name);
          return ok(s);
        },
        std::chrono::seconds(30));
    return s;
  }
  std::string metrics() { return call("GET", "/metrics").body; }
  const std::string& base() const { return base_; }
  std::string log() { return tail_of(dir_.path() / "log", 4000); }

 private:
  TempDir dir_;
  std::unique_ptr<Process> process_;
  std::string base_;
  http::HttpClient client_;
};

// The sample's value text in a scrape, "" when absent.
std::string sample(const std::string& metrics, const std::string& series) {
  const size_t at = metrics.find("\n" + series + " ");
  if (at == std::string::npos) return "";
  const size_t from = at + series.size() + 2;
  return metrics.substr(from, metrics.find('\n', from) - from);
}

int64_t epoch_ms(const Json& iso) {
  auto t = mapping::parse_datetime(iso.get<std::string>(), "", mapping::TimeZone::utc());
  return t ? t->micros / 1000 : 0;
}

TEST(Sources, TheErpGoingDownShowsOnItsSourcesTheirFlowsMetricsStatusAndAlerts) {
  simulators::CrmOptions crm_options;
  crm_options.orders = 20;
  simulators::CrmSimulator crm(crm_options);
  simulators::ErpSimulator erp({});
  http::HttpClient seed;
  for (const char* sku : {"P-1", "P-2"})
    ASSERT_EQ(seed.send({"POST",
                         erp.base_url() + "/products",
                         {{"X-Api-Key", "erp-demo-key"}, {"Content-Type", "application/json"}},
                         Json{{"sku", sku}, {"name", std::string("product ") + sku}}.dump()})
                  .status,
              201);
  AlertInbox inbox;
  SourcesHub hub(crm.base_url(), erp.base_url(), inbox.url());

  // Read: every source polled, nothing wrong.
  Json stock = hub.source_until("erp.stock", [](const Json& s) { return s["records_read"] == 2; });
  EXPECT_EQ(stock["connector"], "erp");
  EXPECT_EQ(stock["stream"], "stock");
  EXPECT_TRUE(stock["state"] == "idle" || stock["state"] == "polling") << stock;
  EXPECT_EQ(stock["last_error"], nullptr);
  EXPECT_EQ(stock["consecutive_failures"], 0);
  EXPECT_FALSE(stock["last_success"].is_null());
  EXPECT_EQ(stock["flows"], Json::array({"stock_out"}));
  Json orders = hub.source_until("crm.orders", [](const Json& s) { return !s["cursor_time"].is_null(); });
  const Json sources = hub.get("/api/v1/sources")["sources"];
  ASSERT_EQ(sources.size(), 4u) << sources;
  for (const auto& s : sources)
    for (const char* field : {"name", "connector", "stream", "state", "last_success", "last_error", "last_error_at",
                              "consecutive_failures", "cursor", "cursor_time", "records_read", "flows"})
      EXPECT_TRUE(s.contains(field)) << field << " missing in " << s;
  EXPECT_EQ(hub.source("erp.invoices")["flows"], Json::array({"invoices_out", "invoices_copy"}));
  EXPECT_EQ(hub.call("GET", "/api/v1/sources/erp.nothing").status, 404);

  // The scrape: the cursor time exact to the second (the CRM's times are whole seconds), every
  // number printed without an exponent.
  std::string metrics;
  eventually(
      [&] {
        orders = hub.source("crm.orders");
        metrics = hub.metrics();
        return sample(metrics, "synchub_source_cursor_timestamp_seconds{source=\"crm.orders\"}") ==
               std::to_string(epoch_ms(orders["cursor_time"]) / 1000);
      },
      std::chrono::seconds(10));
  EXPECT_EQ(sample(metrics, "synchub_source_cursor_timestamp_seconds{source=\"crm.orders\"}"),
            std::to_string(epoch_ms(orders["cursor_time"]) / 1000))
      << orders << "\n"
      << metrics;
  EXPECT_GT(epoch_ms(orders["cursor_time"]), 1'704'067'200'000);
  EXPECT_FALSE(std::regex_search(metrics, std::regex(R"(\n[a-z_]+(\{[^}]*\})? [-+0-9.]*e[-+]?[0-9]+\n)")))
      << "a value printed with an exponent:\n"
      << metrics;
  EXPECT_EQ(sample(metrics, "synchub_source_up{source=\"erp.stock\"}"), "1");
  EXPECT_EQ(sample(metrics, "synchub_source_records_read_total{source=\"erp.stock\"}"), "2");
  const std::string started = sample(metrics, "process_start_time_seconds");
  EXPECT_EQ(started.find('e'), std::string::npos) << started;

  // The ERP goes down: its three sources fail with its answer, the CRM's reads on.
  erp.set_down(true);
  Json invoices = hub.source_until("erp.invoices", [](const Json& s) { return s["state"] == "failing"; });
  EXPECT_GE(invoices["consecutive_failures"].get<int>(), 3);
  EXPECT_NE(invoices["last_error"].get<std::string>().find("503"), std::string::npos) << invoices;
  EXPECT_NE(invoices["last_error"].get<std::string>().find("ERP down for maintenance"), std::string::npos) << invoices;
  EXPECT_FALSE(invoices["last_error_at"].is_null());
  // The last good poll came before the errors, and stays while they last.
  const std::string succeeded = invoices["last_success"];
  EXPECT_LT(epoch_ms(Json(succeeded)), epoch_ms(invoices["last_error_at"]));
  hub.source_until("erp.stock", [](const Json& s) { return s["state"] == "failing"; });
  hub.source_until("erp.credit", [](const Json& s) { return s["state"] == "failing"; });
  EXPECT_NE(hub.source("crm.orders")["state"], "failing");
  // The flows reading it say so.
  Json flow;
  eventually(
      [&] {
        flow = hub.get("/api/v1/flows/invoices_copy");
        return flow["state"] == "source-failing";
      },
      std::chrono::seconds(5));
  EXPECT_EQ(flow["state"], "source-failing") << flow;
  EXPECT_EQ(flow["source"]["name"], "erp.invoices");
  EXPECT_EQ(flow["source"]["state"], "failing");
  EXPECT_NE(flow["source"]["last_error"].get<std::string>().find("503"), std::string::npos) << flow;
  const Json flows = hub.get("/api/v1/flows")["flows"];
  for (const auto& f : flows) EXPECT_TRUE(f["name"] != "orders_out" || f["state"] != "source-failing") << f;
  metrics = hub.metrics();
  EXPECT_EQ(sample(metrics, "synchub_source_up{source=\"erp.invoices\"}"), "0") << metrics;
  EXPECT_EQ(sample(metrics, "synchub_source_up{source=\"crm.orders\"}"), "1") << metrics;
  EXPECT_GE(std::stoi(sample(metrics, "synchub_source_errors_total{source=\"erp.invoices\"}")), 3) << metrics;
  // Milliseconds kept: the seconds read back are the API's time.
  const std::string last = sample(metrics, "synchub_source_last_success_timestamp_seconds{source=\"erp.invoices\"}");
  EXPECT_EQ(std::llround(std::strtod(last.c_str(), nullptr) * 1000), epoch_ms(Json(succeeded))) << last;
  CommandResult status = run_synchub({"status", "--url", hub.base(), "--token", "view-1"});
  EXPECT_EQ(status.exit_code, 1) << status.out;
  EXPECT_TRUE(std::regex_search(status.out, std::regex("\nerp\\.invoices +failing +0 .* GET /invoices"))) << status.out;
  EXPECT_TRUE(std::regex_search(status.out, std::regex("\ninvoices_copy +source-failing "))) << status.out;
  EXPECT_TRUE(eventually([&] { return inbox.has("erp.invoices", "firing"); }, std::chrono::seconds(10)))
      << inbox.alerts().size() << " alerts";

  // Back: read again, last_success moves on, the alert resolves.
  erp.set_down(false);
  invoices = hub.source_until("erp.invoices", [](const Json& s) { return s["consecutive_failures"] == 0; });
  EXPECT_TRUE(invoices["state"] == "idle" || invoices["state"] == "polling") << invoices;
  EXPECT_GT(epoch_ms(invoices["last_success"]), epoch_ms(Json(succeeded)));
  EXPECT_NE(invoices["last_error"], nullptr) << "the last error stays, with its time";
  hub.source_until("erp.stock", [](const Json& s) { return s["consecutive_failures"] == 0; });
  hub.source_until("erp.credit", [](const Json& s) { return s["consecutive_failures"] == 0; });
  eventually([&] { return hub.get("/api/v1/flows/invoices_copy")["state"] != "source-failing"; },
             std::chrono::seconds(5));
  EXPECT_EQ(hub.get("/api/v1/flows/invoices_copy")["source"]["state"], invoices["state"]);
  EXPECT_EQ(sample(hub.metrics(), "synchub_source_up{source=\"erp.invoices\"}"), "1");
  EXPECT_EQ(run_synchub({"status", "--url", hub.base(), "--token", "view-1"}).exit_code, 0);
  EXPECT_TRUE(eventually([&] { return inbox.has("erp.invoices", "resolved"); }, std::chrono::seconds(10))) << hub.log();

  // An operator pauses a source (its system under maintenance): not polled until resumed.
  EXPECT_EQ(hub.call("POST", "/api/v1/sources/erp.stock/pause").status, 403) << "a viewer may not";
  EXPECT_EQ(hub.call("POST", "/api/v1/sources/erp.nothing/pause", "op-1").status, 404);
  ASSERT_EQ(hub.call("POST", "/api/v1/sources/erp.stock/pause", "op-1").status, 202);
  hub.source_until("erp.stock", [](const Json& s) { return s["state"] == "paused"; });
  EXPECT_EQ(sample(hub.metrics(), "synchub_source_up{source=\"erp.stock\"}"), "0");
  ASSERT_EQ(hub.call("POST", "/api/v1/sources/erp.stock/resume", "op-1").status, 202);
  hub.source_until("erp.stock", [](const Json& s) { return s["state"] == "idle" || s["state"] == "polling"; });
}

}  // namespace
}  // namespace synchub::test
