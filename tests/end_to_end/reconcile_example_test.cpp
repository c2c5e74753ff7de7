// Reconciliation on the quick start: after a sync of the CRM and ERP simulators, `synchub
// reconcile` reads both systems live and finds them agreeing (the held and dead-lettered orders
// in flight); then each kind of difference is made by hand (an ERP order deleted, a total
// edited by a cent, a second ERP order for one CRM order, an invoice missing from the finance
// folder, a CRM order stuck in a retry) and exactly those are reported, each in its class.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "examples/simulators/crm.hpp"
#include "examples/simulators/erp.hpp"
#include "mapping/decimal.hpp"
#include "tests/end_to_end/quickstart_config.hpp"
#include "tests/support/test_support.hpp"

namespace synchub::test {
namespace {

using Json = nlohmann::ordered_json;

// "class key" of each listed document of one reconciliation in `synchub reconcile --json`.
std::multiset<std::string> listed(const Json& reports, const std::string& name, bool with_in_flight) {
  std::multiset<std::string> out;
  for (const auto& r : reports)
    if (r["name"] == name)
      for (const auto& d : r["documents"])
        if (with_in_flight || d["class"] != "in_flight")
          out.insert(d["class"].get<std::string>() + " " + d["key"].get<std::string>());
  return out;
}

const Json& report_of(const Json& reports, const std::string& name) {
  for (const auto& r : reports)
    if (r["name"] == name) return r;
  throw std::runtime_error("no report " + name);
}

// Deletes one invoice's lines from the finance folder; false when it was not there.
bool remove_invoice(const fs::path& folder, const std::string& number) {
  bool found = false;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (!entry.is_regular_file() || entry.path().filename().string().starts_with(".")) continue;
    std::string kept;
    for (const auto& line : read_lines(entry.path())) {
      if (line.find("\"invoice_no\":\"" + number + "\"") != std::string::npos)
        found = true;
      else
        kept += line + "\n";
    }
    write_file(entry.path(), kept);
  }
  return found;
}

TEST(ReconcileExample, ACleanSyncAgreesThenEachInjectedDifferenceIsFoundInItsClass) {
  simulators::CrmOptions crm_options;
  crm_options.orders = 150;
  simulators::CrmSimulator crm(crm_options);
  simulators::ErpOptions erp_options;
  erp_options.strict_customers = true;
  simulators::ErpSimulator erp(erp_options);
  TempDir dir;
  const std::string config = write_quickstart_config(dir, crm.base_url(), erp.base_url(), "admin: {enabled: false}");

  std::set<std::string> waiting;  // orders expected in flight: walk-ins (dead-lettered), held over credit
  size_t expected = 0;
  for (const auto& o : crm.orders()) {
    if (o["status"] == "cancelled" || o["lines"].empty()) continue;
    if (o["customer"].contains("id"))
      ++expected;
    else
      waiting.insert(o["order_no"]);
  }
  auto synced = [&] {
    auto orders = erp.orders();
    size_t confirmed = 0;
    for (const auto& [no, o] : orders) confirmed += o["status"] == "confirmed";
    return orders.size() == expected && fs::exists(dir.path() / "finance") &&
           lines_in_dir(dir.path() / "finance").size() == confirmed;
  };
  auto reconcile = [&](const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"reconcile", "-c", config, "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_synchub(args);
  };
  {
    Process hub({"run", "-c", config}, dir.str("log"));
    ASSERT_TRUE(eventually(synced, std::chrono::seconds(150), std::chrono::milliseconds(300)))
        << tail_of(dir.path() / "log", 4000);
    EXPECT_EQ(hub.terminate(), 0);
  }
  for (const auto& [no, o] : erp.orders())
    if (o["status"] == "credit_hold") waiting.insert(no);

  // A clean sync: nothing differs; what waits is in flight, with its reason.
  CommandResult clean = reconcile();
  ASSERT_EQ(clean.exit_code, 0) << clean.out << clean.err;
  const Json reports = Json::parse(clean.out);
  EXPECT_EQ(listed(reports, "orders_in_erp", false), std::multiset<std::string>{}) << clean.out;
  EXPECT_EQ(listed(reports, "invoices_in_finance", true), std::multiset<std::string>{}) << clean.out;
  std::multiset<std::string> in_flight;
  for (const auto& no : waiting) in_flight.insert("in_flight " + no);
  EXPECT_EQ(listed(reports, "orders_in_erp", true), in_flight) << clean.out;
  const Json& orders_report = report_of(reports, "orders_in_erp");
  EXPECT_EQ(orders_report["matched"].get<size_t>() + waiting.size(), orders_report["in_scope"]["source"].get<size_t>());
  for (const auto& d : orders_report["documents"]) {
    const std::string reason = d["reason"];
    EXPECT_TRUE(reason == "held over credit, waiting for approval in OA" ||
                reason.find("dead-lettered") != std::string::npos)
        << d.dump();
  }

  // Differences made by hand, one of each kind.
  std::vector<std::string> confirmed;
  for (const auto& [no, o] : erp.orders())
    if (o["status"] == "confirmed") confirmed.push_back(no);
  ASSERT_GE(confirmed.size(), 4u);
  const std::string deleted = confirmed[0], edited = confirmed[1], doubled = confirmed[2];
  ASSERT_TRUE(erp.delete_order(deleted));
  const std::string total = erp.orders()[edited]["total"];
  const std::string one_cent_more = (*mapping::Decimal::parse(total) + *mapping::Decimal::parse("0.01")).str();
  ASSERT_TRUE(erp.set_order_total(edited, one_cent_more));
  const std::string second_id = erp.add_duplicate_order(doubled);
  ASSERT_NE(second_id, "");
  std::string lost_invoice;
  for (const auto& line : lines_in_dir(dir.path() / "finance")) {
    lost_invoice = Json::parse(line)["invoice_no"];
    break;
  }
  ASSERT_TRUE(remove_invoice(dir.path() / "finance", lost_invoice));
  // A new CRM order whose every write the ERP refuses (503): it stays in the flow's retries.
  std::string stuck;
  for (int i = 0; i < 50 && stuck.empty(); ++i) {
    crm.trickle(1, 0);
    const Json o = crm.orders().back();
    if (o["status"] != "cancelled" && !o["lines"].empty() && o["customer"].contains("id")) stuck = o["order_no"];
  }
  ASSERT_NE(stuck, "");
  erp.fail_writes_of(stuck);
  Process hub({"run", "-c", config}, dir.str("log2"));
  ASSERT_TRUE(eventually([&] { return erp.refused_writes() >= 2; }, std::chrono::seconds(60)))
      << tail_of(dir.path() / "log2", 4000);

  // Read while the hub runs, as an admin would.
  CommandResult found = reconcile({"--csv", dir.str("report.csv"), "--xlsx", dir.str("report.xlsx")});
  EXPECT_EQ(found.exit_code, 1) << found.out << found.err;
  const Json after = Json::parse(found.out);
  EXPECT_EQ(listed(after, "orders_in_erp", false),
            (std::multiset<std::string>{"missing " + deleted, "different " + edited, "duplicated " + doubled}))
      << found.out;
  EXPECT_EQ(listed(after, "invoices_in_finance", true), std::multiset<std::string>{"missing " + lost_invoice})
      << found.out;
  in_flight.insert("in_flight " + stuck);
  EXPECT_EQ(listed(after, "orders_in_erp", true).count("in_flight " + stuck), 1u) << found.out;
  for (const auto& d : report_of(after, "orders_in_erp")["documents"]) {
    if (d["key"] == edited) {
      ASSERT_EQ(d["fields"].size(), 1u) << d.dump();
      EXPECT_EQ(d["fields"][0]["field"], "total");
      EXPECT_EQ(mapping::Decimal::parse(d["fields"][0]["target"].get<std::string>())->str(),
                mapping::Decimal::parse(one_cent_more)->normalized().str());
    }
    if (d["key"] == doubled) {
      EXPECT_EQ(d["target"].size(), 2u) << d.dump();
    }
    if (d["key"] == stuck) {
      EXPECT_NE(d["reason"].get<std::string>().find("flow orders_to_erp"), std::string::npos) << d.dump();
    }
  }
  EXPECT_TRUE(fs::file_size(dir.path() / "report.xlsx") > 0);
  EXPECT_NE(read_file(dir.path() / "report.csv").find("missing," + lost_invoice), std::string::npos);
  EXPECT_EQ(hub.terminate(), 0);
}

}  // namespace
}  // namespace synchub::test
