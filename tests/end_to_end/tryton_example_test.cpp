// The "real ERP" walkthrough (examples/tryton) as `make demo-tryton` runs it:
// the CRM simulator in this process, a real Tryton 6.0 (tests/support/
// tryton_server.hpp), `synchub run` between them. Every approved CNY order
// becomes one Tryton sale, confirmed, or refused over its customer's credit
// limit with Tryton's message in the dead-letter queue and an approval
// request; stock and credit come back to the CRM; the invoices an accountant
// posts reach the CRM orders and the finance folder, exact to the cent.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <set>

#include "connectors/tryton/rpc.hpp"
#include "examples/simulators/crm.hpp"
#include "mapping/decimal.hpp"
#include "tests/support/test_support.hpp"
#include "tests/support/tryton_server.hpp"

namespace synchub::test {
namespace {

using Json = nlohmann::ordered_json;
using connectors::tryton::Rpc;

// "0.0" and "0.00" are the same amount.
bool same_amount(const Json& a, const Json& b) {
  if (!a.is_string() || !b.is_string()) return false;
  auto x = mapping::Decimal::parse(a.get<std::string>()), y = mapping::Decimal::parse(b.get<std::string>());
  return x && y && *x == *y;
}

TEST(TrytonExample, OrdersGoToTrytonOnceAndInvoicesStockAndCreditComeBackExactly) {
  TrytonServer tryton;
  simulators::CrmOptions crm_options;
  crm_options.orders = 40;
  simulators::CrmSimulator crm(crm_options);
  TempDir dir;
  ::setenv("CRM_URL", crm.base_url().c_str(), 1);
  ::setenv("DEMO_DIR", dir.str().c_str(), 1);
  ::setenv("ADMIN_PORT", "0", 1);
  ::setenv("TRYTON_URL", tryton.url.c_str(), 1);
  ::setenv("TRYTON_DB", tryton.database.c_str(), 1);
  ::setenv("TRYTON_USER", tryton.user.c_str(), 1);
  ::setenv("TRYTON_PASSWORD", tryton.password.c_str(), 1);
  // The example's config (its admin API on a free port: ADMIN_PORT 0), next to its mappings.
  std::string config = read_file(std::string(SYNCHUB_SOURCE_DIR) + "/examples/tryton/synchub.yaml");
  fs::create_directory_symlink(std::string(SYNCHUB_SOURCE_DIR) + "/examples/tryton/mappings", dir.path() / "mappings");
  write_file(dir.path() / "synchub.yaml", config);
  ASSERT_EQ(run_synchub({"validate", "-c", dir.str("synchub.yaml")}).exit_code, 0);

  std::set<std::string> expected;  // approved CNY orders with a customer and lines
  for (const auto& o : crm.orders())
    if (o["status"] == "approved" && o["currency"] == "CNY" && !o["lines"].empty() && o["customer"].contains("id"))
      expected.insert(o["order_no"].get<std::string>());
  ASSERT_GT(expected.size(), 3u);

  connectors::tryton::ServerOptions options{tryton.url, tryton.database, tryton.user, tryton.password};
  options.context = {{"company", 1}};
  Rpc rpc(std::make_shared<connectors::tryton::Session>(options));
  auto sales = [&] {
    std::map<std::string, Json> by_reference;
    for (Json& s : rpc.model("sale.sale", "search_read",
                             {Json::array({Json::array({"reference", "!=", nullptr})}), 0, nullptr, nullptr,
                              Json::array({"reference", "state", "total_amount", "invoices", "party.code"})}))
      by_reference[s["reference"].get<std::string>()] = s;
    return by_reference;
  };
  auto dead_letters = [&] {
    CommandResult dlq = run_synchub({"dlq", "list", "-c", dir.str("synchub.yaml"), "--json"});
    return Json::parse(dlq.out.empty() ? "[]" : dlq.out);
  };

  Process hub({"run", "-c", dir.str("synchub.yaml")}, dir.str("log"));
  std::string progress;
  std::set<std::string> posted;  // invoices the "accountant" posted
  auto settled = [&] {
    // Phase 1: every expected order is a sale, or dead-lettered with its reason.
    const auto now = sales();
    std::set<std::string> dead;
    for (const Json& d : dead_letters()) dead.insert(d["key"].get<std::string>());
    size_t placed = 0, processing = 0;
    for (const auto& no : expected) {
      auto it = now.find(no);
      const bool sale = it != now.end() && (it->second["state"] == "processing" || it->second["state"] == "quotation");
      placed += sale || (it == now.end() && dead.count(no));
      if (sale && it->second["state"] == "processing") {
        ++processing;
        for (const Json& invoice : it->second["invoices"]) {  // the accountant posts what is confirmed
          const std::string id = std::to_string(invoice.get<int64_t>());
          if (posted.insert(id).second) rpc.model("account.invoice", "post", {Json::array({invoice})});
        }
      }
    }
    // Phase 2: what comes back.
    size_t with_invoice = 0, with_stock = 0, with_credit = 0;
    for (const auto& o : crm.orders()) with_invoice += o.contains("invoice");
    for (const auto& p : crm.products()) with_stock += !p["stock_level"].is_null();
    for (const auto& c : crm.customers()) with_credit += !c["credit_limit"].is_null();
    const size_t finance = fs::exists(dir.path() / "finance") ? lines_in_dir(dir.path() / "finance").size() : 0;
    progress = "placed " + std::to_string(placed) + " of " + std::to_string(expected.size()) + ", processing " +
               std::to_string(processing) + ", invoices in CRM " + std::to_string(with_invoice) + ", finance " +
               std::to_string(finance) + ", stock " + std::to_string(with_stock) + " of " +
               std::to_string(crm.products().size()) + ", credit " + std::to_string(with_credit) + " of " +
               std::to_string(crm.customers().size());
    return placed == expected.size() && with_invoice == processing && finance == processing &&
           with_stock == crm.products().size() && with_credit == crm.customers().size();
  };
  const bool done = eventually(settled, std::chrono::seconds(300), std::chrono::seconds(1));
  EXPECT_EQ(hub.terminate(), 0);
  ASSERT_TRUE(done) << progress << "\n" << read_file(dir.path() / "log").substr(0, 6000);

  // Each order once, for its customer; confirmed or held over the credit limit.
  const auto tryton_sales = sales();
  Json dlq = dead_letters();
  std::map<std::string, std::string> reason;  // order -> dead letter error
  for (const Json& d : dlq) reason[d["key"].get<std::string>()] = d["error"].get<std::string>();
  size_t confirmed = 0, held = 0;
  for (const auto& o : crm.orders()) {
    const std::string no = o["order_no"];
    auto sale = tryton_sales.find(no);
    if (!expected.count(no)) {
      EXPECT_EQ(sale, tryton_sales.end()) << no << " should have stayed in the CRM";
      continue;
    }
    if (sale == tryton_sales.end()) {  // refused at create: Tryton's reason kept
      EXPECT_FALSE(reason[no].empty()) << no;
      continue;
    }
    EXPECT_EQ(sale->second["party."]["code"], o["customer"]["id"]) << no;
    if (sale->second["state"] == "quotation") {
      ++held;
      EXPECT_NE(reason[no].find("credit limit"), std::string::npos) << no << ": " << reason[no];
    } else {
      ++confirmed;
      EXPECT_FALSE(reason.count(no)) << no << ": " << reason[no];
      // The CRM order carries the invoice Tryton made for it, its total to the cent.
      ASSERT_TRUE(o.contains("invoice")) << no;
      EXPECT_TRUE(same_amount(o["invoice"]["amount"], Json(sale->second["total_amount"]["decimal"])))
          << no << ": " << o["invoice"].dump() << " vs " << sale->second["total_amount"].dump();
      EXPECT_EQ(o["invoice"]["status"], "posted");
    }
  }
  EXPECT_GT(confirmed, 0u);
  EXPECT_GT(held, 0u) << "some orders should be over the 30,000,000.00 default credit limit";
  // One approval request per held order; one finance line per posted invoice.
  EXPECT_EQ(lines_in_dir(dir.path() / "approvals").size(), held);
  EXPECT_EQ(lines_in_dir(dir.path() / "finance").size(), confirmed);
  // Credit: Tryton's numbers, exact; stock: what Tryton has on hand.
  for (const Json& party : rpc.model("party.party", "search_read",
                                     {Json::array({Json::array({"code", "like", "C%"})}), 0, nullptr, nullptr,
                                      Json::array({"code", "credit_amount"})})) {
    for (const auto& c : crm.customers()) {
      if (c["id"] != party["code"]) continue;
      EXPECT_TRUE(same_amount(c["credit_used"], Json(party["credit_amount"]["decimal"]))) << c.dump();
    }
  }
  for (const auto& p : crm.products()) EXPECT_EQ(p["stock_level"], "0.000") << p["code"];  // nothing shipped yet
}

}  // namespace
}  // namespace synchub::test
