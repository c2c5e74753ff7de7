// Lineage on the quick start: after a sync of the CRM and ERP simulators, `synchub trace ORDER
// --json` shows the CRM order's write to the ERP under the ERP's id, then the invoice the ERP
// raised for it (found through the invoice flows' `lineage: {order_no: orders_to_erp}`) and its
// writes to the CRM and to the finance files, each at the file and line that really hold it;
// GET /api/v1/trace/{order} answers the same while the hub runs. The command reads the state
// store only: the connectors' settings (their URLs, their secrets) need not be set.
#include <gtest/gtest.h>

#include <cstdlib>

#include "examples/simulators/crm.hpp"
#include "examples/simulators/erp.hpp"
#include "http/http_client.hpp"
#include "tests/end_to_end/quickstart_config.hpp"
#include "tests/support/test_support.hpp"

namespace synchub::test {
namespace {

using Json = nlohmann::ordered_json;

const Json& document(const Json& trace, const std::string& flow) {
  for (const auto& d : trace["documents"])
    if (d["flow"] == flow) return d;
  throw std::runtime_error("no document of flow " + flow + " in " + trace.dump());
}

// The event that wrote the document (the first "written" one).
const Json& written(const Json& document) {
  for (const auto& e : document["events"])
    if (e["kind"] == "written") return e;
  throw std::runtime_error("nothing written in " + document.dump());
}

// Line `line` (1-based) of `file`, a target id "name:line" of a file sink's outbox.
std::string line_at(const fs::path& outbox, const std::string& target_id) {
  const size_t colon = target_id.rfind(':');
  const auto lines = read_lines(outbox / target_id.substr(0, colon));
  const size_t line = std::stoul(target_id.substr(colon + 1));
  return line >= 1 && line <= lines.size() ? lines[line - 1] : "";
}

TEST(TraceExample, AnOrderLeadsToItsErpSalesOrderItsInvoiceAndTheFinanceLinesHoldingIt) {
  simulators::CrmOptions crm_options;
  crm_options.orders = 60;
  simulators::CrmSimulator crm(crm_options);
  simulators::ErpOptions erp_options;
  erp_options.strict_customers = true;
  simulators::ErpSimulator erp(erp_options);
  TempDir dir;
  const std::string config =
      write_quickstart_config(dir, crm.base_url(), erp.base_url(), "admin: {enabled: true}");
  size_t expected = 0;
  for (const auto& o : crm.orders())
    expected += o["status"] != "cancelled" && !o["lines"].empty() && o["customer"].contains("id");
  auto synced = [&] {
    auto orders = erp.orders();
    size_t confirmed = 0;
    for (const auto& [no, o] : orders) confirmed += o["status"] == "confirmed";
    return orders.size() == expected && fs::exists(dir.path() / "finance") && fs::exists(dir.path() / "finance-csv") &&
           lines_in_dir(dir.path() / "finance").size() == confirmed &&
           lines_in_dir(dir.path() / "finance-csv").size() >= confirmed;
  };
  std::string order;  // a confirmed order: it has an invoice
  Json from_api;
  {
    Process hub({"run", "-c", config}, dir.str("log"));
    const std::string url = wait_for_hub_url(dir.path() / "log");
    ASSERT_TRUE(eventually(synced, std::chrono::seconds(150), std::chrono::milliseconds(300)))
        << tail_of(dir.path() / "log", 4000);
    for (const auto& [no, o] : erp.orders())
      if (o["status"] == "confirmed" && order.empty()) order = no;
    ASSERT_FALSE(order.empty());
    http::HttpClient client;
    const http::HttpReply reply = client.send({"GET", url + "/api/v1/trace/" + order, {}, ""});
    ASSERT_EQ(reply.status, 200) << reply.body;
    from_api = Json::parse(reply.body);
    EXPECT_EQ(client.send({"GET", url + "/api/v1/trace/NO-SUCH-ORDER", {}, ""}).status, 404);
    EXPECT_EQ(hub.terminate(), 0);
  }
  ::unsetenv("CRM_URL");  // the connectors' settings: not needed to read the state
  ::unsetenv("ERP_URL");
  CommandResult traced = run_synchub({"trace", "-c", config, order, "--json"});
  ASSERT_EQ(traced.exit_code, 0) << traced.err;
  const Json trace = Json::parse(traced.out);

  // The CRM order, written to the ERP under the ERP's id, read where the CRM listing had it.
  const Json& sales_order = trace["documents"][0];
  EXPECT_EQ(sales_order["flow"], "orders_to_erp");
  EXPECT_EQ(sales_order["key"], order);
  const std::string erp_id = erp.orders()[order]["id"];
  EXPECT_EQ(written(sales_order)["outcome"], "created");
  EXPECT_EQ(written(sales_order)["target_id"], erp_id);
  EXPECT_EQ(written(sales_order)["mapping_version"], "quickstart-orders/1");
  EXPECT_EQ(written(sales_order)["origin"].get<std::string>().rfind("crm.orders/p0-", 0), 0u);
  EXPECT_EQ(written(sales_order)["position"].get<std::string>().rfind("/orders", 0), 0u);
  EXPECT_EQ(sales_order["ledger"]["target_id"], erp_id);
  EXPECT_EQ(document(from_api, "orders_to_erp")["events"][0], sales_order["events"][0]) << "one builder for both";

  // Its invoice, reached through the link, in the finance files at the line named.
  const Json& finance = document(trace, "invoices_to_finance");
  const std::string invoice = finance["key"];
  EXPECT_EQ(invoice.rfind("INV-", 0), 0u);
  EXPECT_EQ(finance["depth"], 1);
  EXPECT_EQ(finance["via"], (Json{{"flow", "orders_to_erp"}, {"key", order}, {"ref", order}}));
  EXPECT_EQ(finance["names"], (Json::array({Json{{"flow", "orders_to_erp"}, {"ref", order}}})));
  const std::string jsonl_line = line_at(dir.path() / "finance", written(finance)["target_id"]);
  EXPECT_NE(jsonl_line.find("\"invoice_no\":\"" + invoice + "\""), std::string::npos)
      << written(finance)["target_id"] << ": " << jsonl_line;
  EXPECT_NE(jsonl_line.find("\"order_no\":\"" + order + "\""), std::string::npos) << jsonl_line;
  const Json& csv = document(trace, "invoices_to_finance_csv");
  EXPECT_EQ(csv["key"], invoice);
  EXPECT_EQ(line_at(dir.path() / "finance-csv", written(csv)["target_id"]).rfind(invoice + "," + order + ",", 0), 0u)
      << written(csv)["target_id"];
  // ... and on the CRM order, which the invoice flow keys by its order.
  const Json& on_crm = document(trace, "invoices_to_crm");
  EXPECT_EQ(on_crm["key"], invoice);
  EXPECT_EQ(on_crm["target_key"], order);
  EXPECT_EQ(written(on_crm)["kind"], "written");
  bool led_to_invoice = false;
  for (const auto& l : sales_order["led_to"]) led_to_invoice = led_to_invoice || l["key"] == invoice;
  EXPECT_TRUE(led_to_invoice) << sales_order["led_to"].dump();

  CommandResult text = run_synchub({"trace", "-c", config, order});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("orders_to_erp  " + order), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("written created -> " + erp_id), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("  invoices_to_finance  " + invoice + "  names orders_to_erp " + order), std::string::npos)
      << text.out;
  EXPECT_EQ(run_synchub({"trace", "-c", config, "NO-SUCH-ORDER"}).exit_code, 1);
}

}  // namespace
}  // namespace synchub::test
