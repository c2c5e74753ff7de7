// CRM -> ERP through both simulators while they inject faults (5xx, 429
// bursts with Retry-After, latency spikes, dropped connections after the
// work was done, malformed bodies): every order ends up in the ERP exactly
// once with amounts equal to the cent, and no request came before its
// Retry-After.
#include <gtest/gtest.h>

#include <cstdlib>
#include <mutex>

#include "examples/simulators/crm.hpp"
#include "examples/simulators/erp.hpp"
#include "http/http_server.hpp"
#include "http/signing.hpp"
#include "mapping/decimal.hpp"
#include "tests/end_to_end/vendor_sim_support.hpp"
#include "tests/support/test_support.hpp"

namespace synchub::test {
namespace {

using Json = nlohmann::ordered_json;
using mapping::Decimal;

using vendor::dec;  // exact decimals of the simulators' answers

std::string write_config(const TempDir& dir, const std::string& crm, const std::string& erp) {
  write_file(dir.path() / "synchub.yaml", R"(hub: {name: l2c, log_level: error}
bus: {fsync: false}
connectors:
  crm:
    type: rest
    base_url: )" + crm + R"(
    auth: {type: oauth2, token_url: )" + crm + R"(/oauth/token, client_id: synchub, client_secret: crm-demo-secret}
    timeout: 10s
    streams:
      orders:
        path: /orders
        key: order_no
        query: {limit: "200"}
        records: /data
        pagination: {type: cursor, param: cursor, next: next_cursor}
        cursor: {field: updated_at, param: updated_since, tiebreak: id}
        poll_interval: 100ms
  erp:
    type: rest
    base_url: )" + erp + R"(
    auth: {type: api_key, name: X-Api-Key, value: erp-demo-key}
    timeout: 10s
    streams:
      sale_orders:
        write: {mode: upsert, path: /sales_orders, update_path: "/sales_orders/{id}",
                lookup_path: "/sales_orders?external_no={key}", lookup_records: items, id: id}
flows:
  orders:
    from: crm.orders
    to: erp.sale_orders
    mapping: )" + std::string(SYNCHUB_SOURCE_DIR) +
                                              R"(/examples/simulators/crm-order-to-erp-any-customer.yaml
    batch_size: 200
    retry: {initial_backoff: 20ms, max_backoff: 500ms}
)");
  return dir.str("synchub.yaml");
}

TEST(Simulators, FiveThousandOrdersLandExactlyOnceThroughFaults) {
  simulators::FaultOptions faults;
  faults.error_rate = 0.2;
  faults.throttle_rate = 0.002;
  faults.retry_after_seconds = 1;
  faults.latency_rate = 0.0005;
  faults.latency = std::chrono::milliseconds(2000);
  faults.drop_rate = 0.02;
  faults.malformed_rate = 0.02;
  simulators::CrmOptions crm_options;
  crm_options.orders = 5000;
  crm_options.seed = 11;
  crm_options.faults = faults;
  simulators::ErpOptions erp_options;
  erp_options.faults = faults;
  erp_options.faults.seed = 12;
  simulators::CrmSimulator crm(crm_options);
  simulators::ErpSimulator erp(erp_options);

  TempDir dir;
  const std::string config = write_config(dir, crm.base_url(), erp.base_url());
  CommandResult run = run_synchub({"run", "-c", config, "--once"});
  ASSERT_EQ(run.exit_code, 0) << run.err;

  // What should be there: every order that is not cancelled and has lines,
  // with totals computed here, independently, in exact decimals.
  std::map<std::string, Decimal> expected;
  for (const auto& o : crm.orders()) {
    if (o["status"] == "cancelled" || o["lines"].empty()) continue;
    Decimal total;
    for (const auto& l : o["lines"]) {
      Decimal discount = l.contains("discount_rate") ? dec(l["discount_rate"]) : Decimal(0);
      total = total +
              (dec(l["quantity"]) * dec(l["unit_price"]) * (Decimal(1) - discount)).round(2, mapping::Rounding::HalfUp);
    }
    expected[o["order_no"].get<std::string>()] = total;
  }
  auto stored = erp.orders();
  EXPECT_EQ(stored.size(), expected.size());
  EXPECT_EQ(erp.creates(), static_cast<int>(expected.size()));  // never created twice
  int wrong = 0;
  for (const auto& [no, total] : expected) {
    auto it = stored.find(no);
    if (it == stored.end() || !(dec(it->second["total"]) == total) ||
        it->second["total"].dump().find('.') == std::string::npos) {
      if (++wrong <= 3)
        ADD_FAILURE() << no << ": expected " << total.str() << ", ERP has "
                      << (it == stored.end() ? std::string("nothing") : it->second["total"].dump());
    }
  }
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(erp.early_retries(), 0) << "requests came before Retry-After elapsed";
  // Nothing was dead-lettered: every failure was transient.
  CommandResult dlq = run_synchub({"dlq", "list", "-c", config, "--json"});
  EXPECT_EQ(dlq.out, "[]\n") << dlq.out;
}

TEST(Simulators, CrmSendsSignedWebhooksForNewAndEditedOrders) {
  std::mutex mu;
  std::vector<std::string> verdicts;
  int calls = 0;
  http::HttpServer receiver({}, [&](const http::HttpRequest& req) {
    std::lock_guard lock(mu);
    if (++calls == 1) return http::HttpResponse::json(503, R"({"error":"busy"})");  // retried by the CRM
    const std::string ts = req.header("X-Synchub-Timestamp");
    const bool signed_ok = req.header("X-Synchub-Signature") == http::webhook_signature("s3cret", ts, req.body);
    Json order = Json::parse(req.body, nullptr, false);
    verdicts.push_back(signed_ok && order.is_object() && order.contains("order_no") ? "ok" : "bad: " + req.body);
    return http::HttpResponse::json(202, R"({"accepted":1})");
  });
  simulators::CrmOptions options;
  options.orders = 10;  // already there: no webhooks
  options.webhook_url = receiver.base_url() + "/hooks/crm/orders";
  options.webhook_secret = "s3cret";
  simulators::CrmSimulator crm(options);
  crm.trickle(3, 2);  // three new orders, two edits
  eventually([&] { return crm.webhooks_sent() >= 5; }, std::chrono::seconds(5));
  EXPECT_EQ(crm.webhooks_sent(), 5);
  std::lock_guard lock(mu);
  EXPECT_EQ(verdicts, std::vector<std::string>(5, "ok"));
}

}  // namespace
}  // namespace synchub::test
