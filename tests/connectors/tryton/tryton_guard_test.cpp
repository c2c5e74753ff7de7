// What the `tryton` connector must not do, against a real Tryton 6.0 server:
// dead-letter orders for a fault of its config (a refused password, a wrong
// url, an unknown warehouse or company), lock its Tryton user out by logging
// in again and again with a refused password, dead-letter an order because
// the server dropped its session during a call, or take over a sale someone
// keyed in by hand.
#include <atomic>
#include <random>
#include <thread>

#include "connectors/tryton/streams.hpp"
#include "http/http_server.hpp"
#include "tests/connectors/tryton/tryton_fixture.hpp"

namespace synchub::connectors {
namespace {

// One sink batch of these (key, order) records.
std::vector<SinkResult> push_all(SinkStream& sink, const std::vector<std::pair<std::string, Json>>& orders) {
  std::vector<std::string> texts;
  for (const auto& [key, value] : orders) texts.push_back(value.dump());
  Batch batch{"t", "b", {}};
  for (size_t i = 0; i < orders.size(); ++i) batch.records.push_back(SinkRecord{orders[i].first, texts[i], "", false});
  std::vector<SinkResult> results = sink.push(batch);
  EXPECT_EQ(results.size(), orders.size());
  return results;
}

Json one_line(const std::string& product, int quantity) {
  return Json::array({{{"product", product}, {"quantity", quantity}}});
}

const std::vector<std::pair<std::string, Json>> kThreeOrders = {{"CRM-8001", order("C0001", one_line("SKU-001", 1))},
                                                                {"CRM-8002", order("C0002", one_line("SKU-002", 1))},
                                                                {"CRM-8003", order("C0001", one_line("SKU-003", 1))}};

// The first result is `reason`, a configuration failure; the others were not sent.
void expect_stopped(const std::vector<SinkResult>& results, const std::string& reason) {
  ASSERT_FALSE(results.empty());
  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(results[i].outcome(), Outcome::Failed);
    EXPECT_EQ(results[i].failure(), Failure::Configuration) << results[i].error;
    EXPECT_NE(results[i].error.find(reason), std::string::npos) << results[i].error;
    EXPECT_EQ(results[i].error.rfind("not sent: ", 0) == 0, i > 0) << results[i].error;
  }
}

// The message `pull` throws.
std::string pull_error(SourceStream& source) {
  try {
    source.pull("", 10);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

TEST_F(TrytonTest, ARefusedPasswordStopsTheFlowWithOneLoginAttemptPerPushAcrossStreams) {
  const std::string wrong = "wrong-" + tryton_.password;
  open_connector(replaced(tryton_.connector_yaml("      orders: {entity: sale_orders}\n"
                                                 "      customers: {entity: customers}\n"
                                                 "      invoices: {entity: invoices}\n"),
                          "password: " + tryton_.password, "password: " + wrong));
  auto orders = sink("orders");
  expect_stopped(push_all(*orders, kThreeOrders), "refused the login of 'synchub' at " + tryton_.url);
  EXPECT_EQ(failed_logins(tryton_.user), 1);
  // The flow retries after its backoff: Tryton is not asked again before the login's own wait,
  // whichever stream asks (each refused try delays the user's next logins, the right one too).
  expect_stopped(push_all(*orders, kThreeOrders), "check username and password");
  expect_stopped(push_all(*sink("customers"), {{"C0100", {{"name", "New"}}}}), "check username and password");
  const std::string source_error = pull_error(*source("invoices"));
  EXPECT_NE(source_error.find("Tryton refused the login of 'synchub' at " + tryton_.url + " (database 'synchub')"),
            std::string::npos)
      << source_error;
  EXPECT_NE(source_error.find("check username and password"), std::string::npos) << source_error;
  EXPECT_EQ(source_error.find(wrong), std::string::npos) << source_error;
  EXPECT_EQ(failed_logins(tryton_.user), 1);
  EXPECT_EQ(rpc().model("sale.sale", "search_count", {Json::array()}), 0);  // the right password still logs in
}

// Tryton behind a proxy that asks to be left alone (503 + Retry-After): the same rule as every
// HTTP-speaking part; the sink's failure carries the wait, a source is polled again then.
TEST_F(TrytonTest, AServerAskingToWaitIsHonouredBySinksAndSources) {
  std::atomic<int> calls{0};
  http::HttpServer busy({}, [&](const http::HttpRequest&) {
    ++calls;
    auto r = http::HttpResponse::json(503, R"({"error":"maintenance"})");
    r.headers.emplace_back("Retry-After", "7");
    return r;
  });
  const std::string streams = "      orders: {entity: sale_orders}\n      stock: {entity: stock}\n";
  open_connector(
      replaced(tryton_.connector_yaml(streams), "url: " + tryton_.url + "\n", "url: " + busy.base_url() + "\n"));
  const std::vector<SinkResult> results = push_all(*sink("orders"), {kThreeOrders[0]});
  EXPECT_EQ(results[0].failure(), Failure::Transient) << results[0].error;
  EXPECT_EQ(results[0].retry_after, std::chrono::seconds(7)) << results[0].error;
  try {
    source("stock")->pull("", 10);
    ADD_FAILURE() << "the pull should have been told to wait";
  } catch (const TargetAsksToWait& e) {
    EXPECT_EQ(e.wait, std::chrono::seconds(7)) << e.what();
  }
  EXPECT_GE(calls.load(), 2);
}

TEST_F(TrytonTest, AWrongUrlOrAnUnknownWarehouseOrCompanyStopsTheFlowABadProductIsTheOrdersFault) {
  const std::string streams = "      orders: {entity: sale_orders}\n      stock: {entity: stock}\n";
  const std::string connector = tryton_.connector_yaml(streams);
  open_connector(replaced(connector, "url: " + tryton_.url + "\n", "url: " + tryton_.url + "/tryton\n"));
  expect_stopped(push_all(*sink("orders"), kThreeOrders), "HTTP 405: check the connector's url");

  open_connector(replaced(connector, "    streams:\n", "    warehouse: NOPE\n    streams:\n"));
  expect_stopped(push_all(*sink("orders"), kThreeOrders), "no warehouse with code \"NOPE\"");
  const std::string stock_error = pull_error(*source("stock"));
  EXPECT_NE(stock_error.find("no warehouse with code \"NOPE\": check the connector's `warehouse`"), std::string::npos)
      << stock_error;

  open_connector(replaced(connector, "    streams:\n", "    company: 99\n    streams:\n"));
  expect_stopped(push_all(*sink("orders"), kThreeOrders), "no company with id 99");
  EXPECT_EQ(rpc().model("sale.sale", "search_count", {Json::array()}), 0);

  // A product Tryton does not know is that order's fault alone: it is dead-lettered, the others land.
  open_connector(connector);
  std::vector<std::pair<std::string, Json>> orders = kThreeOrders;
  orders[1].second = order("C0002", one_line("NOPE", 1));
  const std::vector<SinkResult> results = push_all(*sink("orders"), orders);
  EXPECT_EQ(results[0].outcome(), Outcome::Created) << results[0].error;
  EXPECT_EQ(results[1].failure(), Failure::Permanent);
  EXPECT_NE(results[1].error.find("lines[0].product: no product with code NOPE"), std::string::npos)
      << results[1].error;
  EXPECT_EQ(results[2].outcome(), Outcome::Created) << results[2].error;
}

TEST_F(TrytonTest, ASessionDroppedDuringACallIsLoggedInAgainAndEveryOrderLandsOnce) {
  open("      orders: {entity: sale_orders, workflow: confirm}\n");
  // The sink on a session the test sees (the connector's own is inside the connector).
  tryton::ServerOptions options{tryton_.url, tryton_.database, tryton_.user, tryton_.password};
  options.context = {{"company", 1}};
  auto session = std::make_shared<tryton::Session>(options);
  auto orders = tryton::open_sale_sink(tryton::Shared{session, "WH"}, stream_settings("orders"));
  // Someone keeps deleting synchub's sessions (a clean-up, an administrator): some go between
  // the check of a call and its end, and Tryton answers "You are trying to read/write records
  // ... of "Session" that don't exist anymore", after the call was applied or before.
  std::atomic<bool> stop{false};
  // At uneven intervals: on a loaded machine one call may take longer than a fixed interval, and
  // every retry of an order would then lose its session again.
  std::thread deleter([&] {
    runtime::Database db(tryton_.database_file(), false, runtime::Journal::Rollback);
    std::minstd_rand random(7);
    while (!stop) {
      try {
        db.exec("DELETE FROM ir_session WHERE create_uid = (SELECT id FROM res_user WHERE login = 'synchub')");
      } catch (const std::exception&) {  // busy for long: next time
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20 + random() % 300));
    }
  });
  std::vector<std::string> references;
  for (int n = 0; n < 40 && (n < 5 || session->sessions_lost() == 0); ++n) {
    const std::string reference = "CRM-9" + std::to_string(100 + n);
    const Json value = order(n % 2 ? "C0001" : "C0002", one_line("SKU-003", 1 + n));
    SinkResult result = SinkResult::failed(Failure::Transient, "not pushed yet");
    for (int attempt = 0; attempt < 50; ++attempt) {  // the runtime retries what is transient
      result = push_one(*orders, reference, value);
      if (result.failure() != Failure::Transient) break;
    }
    EXPECT_EQ(result.failure(), Failure::None) << reference << ": " << result.error;
    references.push_back(reference);
  }
  stop = true;
  deleter.join();
  EXPECT_GE(session->sessions_lost(), 1) << "no session was dropped during a call: the test proved nothing";
  for (const std::string& reference : references) {
    const Json sales = sales_with_reference(reference);
    ASSERT_EQ(sales.size(), 1u) << reference;
    EXPECT_EQ(sales[0]["state"], "processing") << reference;
  }
}

// A draft sale keyed in by `clerk` (a Tryton user), `quantity` of SKU-001 for C0001.
int64_t hand_made_sale(tryton::Rpc& clerk, const std::string& reference, int quantity) {
  const Json product = clerk.model("product.product", "search_read",
                                   {Json::array({Json::array({"code", "=", "SKU-001"})}), 0, 1, nullptr,
                                    Json::array({"sale_uom", "list_price"})})[0];
  const Json party =
      clerk.model("party.party", "search_read",
                  {Json::array({Json::array({"code", "=", "C0001"})}), 0, 1, nullptr, Json::array({"addresses"})})[0];
  const Json line = {{"type", "line"},           {"product", product["id"]},
                     {"quantity", quantity},     {"unit", product["sale_uom"]},
                     {"description", "by hand"}, {"unit_price", product["list_price"]}};
  const Json sale = {{"reference", reference},
                     {"party", party["id"]},
                     {"invoice_address", party["addresses"][0]},
                     {"shipment_address", party["addresses"][0]},
                     {"lines", Json::array({Json::array({"create", Json::array({line})})})}};
  return clerk.model("sale.sale", "create", {Json::array({sale})})[0].get<int64_t>();
}

TEST_F(TrytonTest, ASaleKeyedInByHandIsRefusedWithTheReasonUnlessTheStreamAdoptsIt) {
  open(
      "      orders: {entity: sale_orders, workflow: draft}\n"
      "      adopting: {entity: sale_orders, workflow: draft, adopt: true}\n");
  tryton::ServerOptions options{tryton_.url, tryton_.database, tryton_.credit_user, tryton_.password};
  options.context = {{"company", 1}};
  tryton::Rpc clerk(std::make_shared<tryton::Session>(options));
  const int64_t by_clerk = hand_made_sale(clerk, "CRM-7001", 4);
  // The same by hand as synchub's own Tryton user: made by it, but without synchub's note.
  const int64_t by_hand_as_synchub = hand_made_sale(rpc(), "CRM-7002", 4);
  const Json crm_order = order("C0001", one_line("SKU-002", 2));
  auto orders = sink("orders");
  for (const auto& [reference, id] : {std::pair{"CRM-7001", by_clerk}, std::pair{"CRM-7002", by_hand_as_synchub}}) {
    const SinkResult refused = push_one(*orders, reference, crm_order);
    EXPECT_EQ(refused.failure(), Failure::Permanent) << refused.error;
    EXPECT_NE(refused.error.find("sale id " + std::to_string(id) + " with reference " + reference +
                                 " was not created by synchub (set `adopt: true` on the stream to take it over)"),
              std::string::npos)
        << refused.error;
    const Json sale = rpc().model("sale.sale", "read", {Json::array({id}), Json::array({"state", "lines"})})[0];
    EXPECT_EQ(sale["state"], "draft");
    ASSERT_EQ(sale["lines"].size(), 1u);
    const Json line =
        rpc().model("sale.line", "read", {sale["lines"], Json::array({"quantity", "description", "product.code"})})[0];
    EXPECT_EQ(line["quantity"], 4.0);  // as the clerk left it
    EXPECT_EQ(line["description"], "by hand");
  }

  const SinkResult adopted = push_one(*sink("adopting"), "CRM-7001", crm_order);
  EXPECT_EQ(adopted.outcome(), Outcome::Updated) << adopted.error;
  EXPECT_EQ(adopted.target_id, std::to_string(by_clerk));
  const Json lines = rpc().model("sale.line", "search_read",
                                 {Json::array({Json::array({"sale", "=", by_clerk})}), 0, nullptr, nullptr,
                                  Json::array({"quantity", "product.code"})});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["quantity"], 2.0);

  // synchub's own sale, created just before a crash lost its ledger entry: found by its note
  // and creator, taken over, no second sale.
  const SinkResult created = push_one(*orders, "CRM-7003", crm_order);
  ASSERT_EQ(created.outcome(), Outcome::Created) << created.error;
  const Json note =
      rpc().model("sale.sale", "read", {Json::array({std::stoll(created.target_id)}), Json::array({"comment"})});
  EXPECT_EQ(note[0]["comment"], "Created by synchub for order CRM-7003.");
  const SinkResult again = push_one(*orders, "CRM-7003", order("C0001", one_line("SKU-002", 3)), "");
  EXPECT_EQ(again.outcome(), Outcome::Updated) << again.error;
  EXPECT_EQ(again.target_id, created.target_id);
  EXPECT_EQ(sales_with_reference("CRM-7003").size(), 1u);
}

}  // namespace
}  // namespace synchub::connectors
