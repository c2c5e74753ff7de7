// The Fxiaoke -> K3Cloud example (examples/fxiaoke-to-k3cloud) as `make
// demo-k3cloud` runs it, shortened: both vendor simulators fail about 10 % of
// calls (503, 429, busy answers, connections dropped after the work was
// done), the Fxiaoke token and the K3 session expire every few seconds, 20
// orders share one modification time across a page boundary, and synchub is
// killed (SIGKILL) three times. Every eligible order is in K3 once, audited,
// exact to the cent; the order with a corrupted header total is
// dead-lettered with both sums; stock and receivables reach the CRM.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "examples/simulators/fxiaoke.hpp"
#include "examples/simulators/k3cloud.hpp"
#include "mapping/decimal.hpp"
#include "tests/end_to_end/vendor_sim_support.hpp"
#include "tests/support/test_support.hpp"

namespace synchub::test {
namespace {

using Json = nlohmann::ordered_json;
using mapping::Decimal;

using vendor::dec;  // exact decimals of the simulators' answers

simulators::FaultOptions unkind(uint64_t seed) {
  simulators::FaultOptions f;
  f.error_rate = 0.03;     // 503 before the work
  f.throttle_rate = 0.02;  // 429 with Retry-After
  f.retry_after_seconds = 1;
  f.drop_rate = 0.02;       // the work is done, the answer lost
  f.malformed_rate = 0.01;  // the work is done, the answer cut off
  f.seed = seed;
  return f;
}

std::string cents(const Decimal& d) {
  return d.round(2, mapping::Rounding::HalfUp).rescale(2).str();
}

// The K3 line amounts the example's mapping must produce for a Fxiaoke line.
struct LineAmounts {
  Decimal all, amount, tax;
};
LineAmounts amounts_of(const Json& line) {
  const Decimal all = (dec(line["quantity"]) * dec(line["sales_price"])).round(2, mapping::Rounding::HalfUp);
  const Decimal amount = (all / Decimal::parse("1.13").value()).round(2, mapping::Rounding::HalfUp);
  return {all, amount, all - amount};
}

TEST(K3CloudExample, EveryEligibleOrderIsAuditedOnceExactlyThroughFaultsExpiriesAndKills) {
  simulators::FxiaokeOptions crm_options;
  crm_options.orders = 300;
  crm_options.tie_group = 20;
  crm_options.bad_totals = 1;
  crm_options.token_ttl_ms = 3000;
  crm_options.busy_rate = 0.02;
  crm_options.faults = unkind(11);
  simulators::FxiaokeSimulator crm(crm_options);
  simulators::K3CloudOptions erp_options;
  erp_options.session_ttl_ms = 3000;
  erp_options.busy_rate = 0.02;
  erp_options.faults = unkind(12);
  simulators::K3CloudSimulator erp(erp_options);

  TempDir dir;
  const std::map<std::string, std::string> env = {{"FXIAOKE_URL", crm.base_url()},
                                                  {"FXIAOKE_APP_ID", crm_options.app_id},
                                                  {"FXIAOKE_APP_SECRET", crm_options.app_secret},
                                                  {"FXIAOKE_PERMANENT_CODE", crm_options.permanent_code},
                                                  {"FXIAOKE_OPEN_USER_ID", crm_options.open_user_id},
                                                  {"K3CLOUD_URL", erp.base_url()},
                                                  {"K3CLOUD_ACCT_ID", erp_options.acct_id},
                                                  {"K3CLOUD_USERNAME", erp_options.username},
                                                  {"K3CLOUD_PASSWORD", erp_options.password},
                                                  {"DATA_DIR", dir.str()},
                                                  {"ADMIN_PORT", "0"}};
  for (const auto& [name, value] : env) ::setenv(name.c_str(), value.c_str(), 1);
  const std::string config = std::string(SYNCHUB_SOURCE_DIR) + "/examples/fxiaoke-to-k3cloud/synchub.yaml";
  ASSERT_EQ(run_synchub({"validate", "-c", config}).exit_code, 0);

  // What should arrive: orders in force whose header total is the sum of their lines.
  std::map<std::string, Json> eligible;  // by FBillNo (the order name)
  std::set<std::string> bad_totals;
  for (const auto& o : crm.orders()) {
    if (o["life_status"] == "under_review" || o["life_status"] == "ineffective") continue;
    Decimal sum;
    for (const auto& line : o["lines"]) sum = sum + amounts_of(line).all;
    if (sum == dec(o["order_amount"]))
      eligible[o["name"].get<std::string>()] = o;
    else
      bad_totals.insert(o["name"].get<std::string>());
  }
  ASSERT_EQ(bad_totals.size(), 1u);

  std::string progress;
  auto done = [&] {
    size_t audited = 0, with_stock = 0, with_receivable = 0;
    for (const auto& [no, bill] : erp.bills("SAL_SaleOrder")) audited += bill["FDocumentStatus"] == "C";
    for (const auto& p : crm.products()) {
      const std::string in_k3 = erp.stock_of(p["product_code"]);
      with_stock += !in_k3.empty() && !p["stock_qty__c"].is_null() && dec(p["stock_qty__c"]) == dec(in_k3);
    }
    std::map<std::string, Json> receivable_of;  // by order number
    for (const auto& [no, ar] : erp.receivables()) receivable_of[ar["FORDERNUMBER"]] = ar;
    for (const auto& o : crm.orders())
      if (auto it = receivable_of.find(o["name"]); it != receivable_of.end())
        with_receivable += o["receivable_no__c"] == it->second["FBillNo"];
    progress = "audited " + std::to_string(audited) + " of " + std::to_string(eligible.size()) + ", stock " +
               std::to_string(with_stock) + " of " + std::to_string(crm.products().size()) + ", receivables " +
               std::to_string(with_receivable) + " of " + std::to_string(receivable_of.size());
    return audited == eligible.size() && with_stock == crm.products().size() && with_receivable == eligible.size();
  };
  {
    auto hub = std::make_unique<Process>(std::vector<std::string>{"run", "-c", config}, dir.str("log"));
    int kills = 0;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(300);
    while (std::chrono::steady_clock::now() < until && !done()) {
      // Three SIGKILLs, at a quarter, half and three quarters of the orders audited.
      if (kills < 3 && erp.bills("SAL_SaleOrder").size() >= eligible.size() * (kills + 1) / 4) {
        hub->kill_hard();
        ++kills;
        hub = std::make_unique<Process>(std::vector<std::string>{"run", "-c", config}, dir.str("log"));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    EXPECT_EQ(kills, 3);
    EXPECT_EQ(hub->terminate(), 0) << tail_of(dir.path() / "log", 4000);
  }
  // What is missing, and what the log and the dead-letter queue say about it.
  auto missing = [&] {
    std::string out;
    const auto now_in_k3 = erp.bills("SAL_SaleOrder");
    const std::string log = read_file(dir.path() / "log");
    for (const auto& [no, o] : eligible) {
      auto it = now_in_k3.find(no);
      if (it != now_in_k3.end() && it->second["FDocumentStatus"] == "C") continue;
      const std::string id = o["_id"];
      out += no + " (" + id +
             "): " + (it == now_in_k3.end() ? "not in K3" : "status " + it->second["FDocumentStatus"].dump()) + "\n";
      for (size_t at = log.find(id); at != std::string::npos; at = log.find(id, at + 1)) {
        const size_t start = log.rfind('\n', at) + 1;
        out += "  " + log.substr(start, log.find('\n', at) - start).substr(0, 400) + "\n";
        at = log.find('\n', at);
        if (at == std::string::npos) break;
      }
    }
    // Receivables in K3 whose order does not show them: what updates reached that order.
    std::map<std::string, Json> order_by_name;
    for (const auto& o : crm.orders()) order_by_name[o["name"].get<std::string>()] = o;
    const auto updates = crm.updates();
    for (const auto& [ar_no, ar] : erp.receivables()) {
      const Json& o = order_by_name[ar["FORDERNUMBER"].get<std::string>()];
      if (o.is_null() || o["receivable_no__c"] == ar["FBillNo"]) continue;
      out += "receivable " + ar_no + " of " + ar["FORDERNUMBER"].get<std::string>() + " (" + o["_id"].dump() +
             "): the order shows " + o["receivable_no__c"].dump() + "; updates of it:";
      for (const auto& u : updates)
        if (u["_id"] == o["_id"]) out += " " + u.dump();
      out += "\n";
      for (size_t at = log.find(ar_no); at != std::string::npos; at = log.find(ar_no, at + 1)) {
        const size_t start = log.rfind('\n', at) + 1;
        out += "  " + log.substr(start, log.find('\n', at) - start).substr(0, 400) + "\n";
        at = log.find('\n', at);
        if (at == std::string::npos) break;
      }
    }
    return out + "dead letters: " + run_synchub({"dlq", "list", "-c", config}).out;
  };
  ASSERT_TRUE(done()) << progress << "\n" << missing();

  // Every eligible order once, audited, with the customer and materials by their K3 numbers
  // and each line exact to the cent; nothing else.
  const auto bills = erp.bills("SAL_SaleOrder");
  EXPECT_EQ(bills.size(), eligible.size());
  std::map<std::string, std::string> account_no, product_code;  // Fxiaoke _id -> K3 number
  for (const auto& a : crm.accounts()) account_no[a["_id"]] = a["account_no"];
  for (const auto& p : crm.products()) product_code[p["_id"]] = p["product_code"];
  for (const auto& [no, o] : eligible) {
    auto it = bills.find(no);
    ASSERT_NE(it, bills.end()) << no;
    const Json& bill = it->second;
    EXPECT_EQ(bill["FDocumentStatus"], "C") << no;
    EXPECT_EQ(bill["FCustId.FNumber"], account_no[o["account_id"]]) << no;
    ASSERT_EQ(bill["FSaleOrderEntry"].size(), o["lines"].size()) << no << ": every line of every order";
    std::multiset<std::string> want, got;
    for (const auto& line : o["lines"]) {
      const LineAmounts a = amounts_of(line);
      want.insert(product_code[line["product_id"]] + " " + cents(a.all) + " " + cents(a.amount) + " " + cents(a.tax));
    }
    // As K3 keeps them: the text synchub sent, which must be those exact cents.
    for (const auto& e : bill["FSaleOrderEntry"])
      got.insert(e["FMaterialId.FNumber"].get<std::string>() + " " + e["FAllAmount"].get<std::string>() + " " +
                 e["FAmount"].get<std::string>() + " " + e["FTaxAmount"].get<std::string>());
    EXPECT_EQ(got, want) << no;
  }
  const auto counts = erp.counts();
  EXPECT_GT(erp.sessions_issued(), 1) << "the K3 session expired and was opened again";
  EXPECT_GT(crm.tokens_issued(), 1) << "the Fxiaoke token expired and was fetched again";

  // The corrupted header total, and nothing else, waits in the dead-letter queue, with both sums.
  CommandResult dlq = run_synchub({"dlq", "list", "-c", config, "--json"});
  const Json entries = Json::parse(dlq.out);
  ASSERT_EQ(entries.size(), 1u) << dlq.out;
  const std::string reason = entries[0]["error"];
  EXPECT_NE(reason.find("order " + *bad_totals.begin() + ": its lines sum to "), std::string::npos) << reason;
  EXPECT_NE(reason.find(", the order says "), std::string::npos) << reason;
  EXPECT_EQ(read_file(dir.path() / "log").find(erp_options.password), std::string::npos) << "no secret logged";
  RecordProperty("k3_saves", counts.count("saves") ? counts.at("saves") : 0);
}

}  // namespace
}  // namespace synchub::test
