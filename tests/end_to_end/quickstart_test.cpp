// The quick start (examples/quickstart) as `make demo` runs it, against both
// simulators in this process, until its four flows have moved everything:
// master data and orders to the ERP, stock and credit back to the CRM,
// orders over credit to approval, invoices to the CRM and to finance; each
// amount exact to the cent. Twice: on the embedded bus and state, and as
// `make demo-cluster` runs it (the mock Kafka cluster and PostgreSQL, two
// workers, the first killed with SIGKILL half-way): the same result, every
// order created once.
#include <gtest/gtest.h>

#include <cstdlib>
#include <set>
#include <thread>

#include "connectors/file/csv.hpp"
#include "examples/simulators/crm.hpp"
#include "examples/simulators/erp.hpp"
#include "tests/support/kafka_mock.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/test_support.hpp"

namespace synchub::test {
namespace {

using Json = nlohmann::ordered_json;

// A worker of the cluster: the quick start's config with its own name and data folder, no admin
// API, the Kafka bus and the shared state. Written next to a link to the quick start's mappings.
std::string cluster_worker_config(const TempDir& dir, const std::string& name, const std::string& bootstrap,
                                  const std::string& state_url) {
  std::string config = read_file(std::string(SYNCHUB_SOURCE_DIR) + "/examples/quickstart/synchub.yaml");
  const std::string data_dir = "  data_dir: ${DEMO_DIR}/data\n";
  const size_t at = config.find(data_dir);
  if (at == std::string::npos) throw std::runtime_error("the quick start's config has no data_dir line");
  config.replace(at, data_dir.size(), "  data_dir: ${DEMO_DIR}/" + name + "-data\n  worker_id: " + name + "\n");
  const std::string admin = "  admin: {enabled: true}";
  if (const size_t a = config.find(admin); a != std::string::npos)
    config.replace(a, admin.size(), "  admin: {enabled: false}");
  config += "bus: {type: kafka, kafka: {bootstrap_servers: \"" + bootstrap +
            "\", create_topics: false, properties: {session.timeout.ms: \"6000\", heartbeat.interval.ms: \"500\"}}}\n"
            "state: {type: postgresql, url: \"" +
            state_url + "\", lease_ttl: 2s}\n";
  const std::string file = dir.str(name + ".yaml");
  write_file(file, config);
  return file;
}

// The first line of a finance CSV file (encoding: utf-8-bom).
constexpr const char* kCsvHeader = "\xEF\xBB\xBFinvoice_no,";

class QuickStart : public ::testing::TestWithParam<std::string> {};

// embedded_3000: the quick start at 3,000 orders. Its write-back flows (credit, stock and
// invoices written onto CRM rows) change the CRM's listings while the hub reads them, so rows
// move behind the CRM's offset page tokens all through the run.
INSTANTIATE_TEST_SUITE_P(Buses, QuickStart, ::testing::Values("embedded", "cluster", "embedded_3000"),
                         [](const auto& info) { return info.param; });

TEST_P(QuickStart, TheFourFlowsMoveEverythingExactly) {
  const bool cluster = GetParam() == "cluster";
  const bool large = GetParam() == "embedded_3000";
  simulators::CrmOptions crm_options;
  crm_options.orders = large ? 3000 : 120;
  simulators::CrmSimulator crm(crm_options);
  simulators::ErpOptions erp_options;
  erp_options.strict_customers = true;
  simulators::ErpSimulator erp(erp_options);
  TempDir dir;
  ::setenv("CRM_URL", crm.base_url().c_str(), 1);
  ::setenv("ERP_URL", erp.base_url().c_str(), 1);
  ::setenv("DEMO_DIR", dir.str().c_str(), 1);
  ::setenv("ADMIN_PORT", "0", 1);  // the embedded hub's admin API on any free port
  std::string config = std::string(SYNCHUB_SOURCE_DIR) + "/examples/quickstart/synchub.yaml";
  std::unique_ptr<KafkaMock> kafka;
  std::string first_worker;
  if (cluster) {
    kafka = std::make_unique<KafkaMock>();
    const std::string state = shared_postgres().create_database();
    fs::create_directory_symlink(std::string(SYNCHUB_SOURCE_DIR) + "/examples/quickstart/mappings",
                                 dir.path() / "mappings");
    first_worker = cluster_worker_config(dir, "w1", kafka->bootstrap_servers(), state);
    config = cluster_worker_config(dir, "w2", kafka->bootstrap_servers(), state);
  }
  ASSERT_EQ(run_synchub({"validate", "-c", config}).exit_code, 0);

  size_t expected_orders = 0, walk_ins = 0;
  for (const auto& o : crm.orders()) {
    if (o["status"] == "cancelled" || o["lines"].empty()) continue;  // the mapping's filter
    if (o["customer"].contains("id"))
      ++expected_orders;
    else
      ++walk_ins;  // no customer: dead-lettered by the mapping
  }
  const size_t customers = crm.customers().size(), products = crm.products().size();
  std::string progress;  // what done() saw last
  // The rows of the finance CSV files, without their header lines.
  auto csv_rows = [&] {
    std::vector<std::string> rows;
    for (auto& line : lines_in_dir(dir.path() / "finance-csv"))
      if (!line.starts_with(kCsvHeader)) rows.push_back(std::move(line));
    return rows;
  };
  auto done = [&] {
    // Stock and credit keep changing while orders land: done when the CRM shows the ERP's
    // values now, not just some value.
    size_t with_stock = 0, with_credit = 0, with_invoice = 0, held = 0;
    for (const auto& p : crm.products())
      with_stock += !p["stock_level"].is_null() && p["stock_level"] == erp.stock_of(p["code"]);
    std::map<std::string, Json> erp_customer_of;  // CRM id -> ERP customer
    for (const auto& [code, c] : erp.customers()) erp_customer_of[c["crm_id"]] = c;
    for (const auto& c : crm.customers())
      with_credit += !c["credit_limit"].is_null() && c["credit_used"] == erp_customer_of[c["id"]]["credit_used"] &&
                     c["credit_limit"] == erp_customer_of[c["id"]]["credit_limit"];
    for (const auto& o : crm.orders()) with_invoice += o.contains("invoice");
    auto orders = erp.orders();
    for (const auto& [no, o] : orders) held += o["status"] == "credit_hold";
    const size_t confirmed = orders.size() - held;
    progress = "ERP orders " + std::to_string(orders.size()) + " of " + std::to_string(expected_orders) +
               ", stock as in the ERP " + std::to_string(with_stock) + " of " + std::to_string(products) +
               ", credit as in the ERP " + std::to_string(with_credit) + " of " + std::to_string(customers) +
               ", invoices " + std::to_string(with_invoice) + " of " + std::to_string(confirmed) + ", approvals " +
               std::to_string(erp.approvals().size()) + " of " + std::to_string(held) + ", finance " +
               std::to_string(lines_in_dir(dir.path() / "finance").size()) + ", finance CSV rows " +
               std::to_string(csv_rows().size());
    // At 3,000 orders the CRM has about 20,000 products whose stock goes back one PATCH each:
    // that is throughput, not what this run proves (every order, invoice and approval once).
    return orders.size() == expected_orders && (large || with_stock == products) && with_credit == customers &&
           with_invoice == confirmed && erp.approvals().size() == held && fs::exists(dir.path() / "finance") &&
           lines_in_dir(dir.path() / "finance").size() == confirmed && csv_rows().size() == confirmed;
  };
  {
    std::unique_ptr<Process> first;
    if (cluster)
      first = std::make_unique<Process>(std::vector<std::string>{"run", "-c", first_worker}, dir.str("w1.log"));
    Process hub({"run", "-c", config}, dir.str("log"));
    // 3,000 orders take about 200 s under ASan on two idle cores: room for a loaded machine.
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(large ? 420 : cluster ? 240 : 150);
    while (std::chrono::steady_clock::now() < until && !done()) {
      if (first && erp.orders().size() >= expected_orders / 2) {
        first->kill_hard();  // half-way: its leases and partitions go to the other worker
        first.reset();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(large ? 2000 : 300));  // done() copies every row
    }
    EXPECT_EQ(hub.terminate(), 0) << "the hub's log ends:\n" << tail_of(dir.path() / "log", 4000);
  }
  // The log's end says where it stood (a stall after the first worker's kill was seen once).
  ASSERT_TRUE(done()) << progress << "\n" << tail_of(dir.path() / "log", 8000);

  // 1. Every order once, with its customer's ERP code (from the xref).
  auto erp_orders = erp.orders();
  auto erp_customers = erp.customers();
  std::map<std::string, std::string> code_of;  // CRM id -> ERP code
  for (const auto& [code, c] : erp_customers) code_of[c["crm_id"]] = code;
  EXPECT_EQ(erp_customers.size(), customers);
  EXPECT_EQ(erp.creates(), static_cast<int>(expected_orders));
  size_t held = 0;
  for (const auto& o : crm.orders()) {
    auto it = erp_orders.find(o["order_no"]);
    if (it == erp_orders.end()) continue;
    EXPECT_EQ(it->second["customer_code"], code_of[o["customer"]["id"]]) << o["order_no"];
    held += it->second["status"] == "credit_hold";
  }
  EXPECT_GT(held, 0u) << "some orders should exceed their customer's credit";
  EXPECT_LT(held, erp_orders.size());
  // 2. Stock: what the ERP has on hand, to the thousandth.
  if (!large) {
    for (const auto& p : crm.products()) EXPECT_EQ(p["stock_level"], erp.stock_of(p["code"])) << p["code"];
  }
  // 3. Credit: the ERP's numbers, to the cent; approvals for the held orders.
  for (const auto& c : crm.customers()) {
    const Json& credit = erp_customers[code_of[c["id"]]];
    EXPECT_EQ(c["credit_limit"], credit["credit_limit"]) << c["id"];
    EXPECT_EQ(c["credit_used"], credit["credit_used"]) << c["id"];
    EXPECT_EQ(c["credit_available"], credit["credit_available"]) << c["id"];
    EXPECT_EQ(c["erp_code"], code_of[c["id"]]);
  }
  for (const auto& [no, approval] : erp.approvals()) {
    EXPECT_EQ(erp_orders[no]["status"], "credit_hold");
    EXPECT_EQ(approval["amount"], erp_orders[no]["total"]) << no;
  }
  // 4. Invoices on the CRM orders and in the finance folder, equal to the order totals.
  for (const auto& o : crm.orders()) {
    if (!o.contains("invoice")) continue;
    EXPECT_EQ(o["invoice"]["amount"], erp_orders[o["order_no"]]["total"]) << o["order_no"];
  }
  for (const auto& line : lines_in_dir(dir.path() / "finance")) {
    Json invoice = Json::parse(line);  // (doubles: only for the order number)
    const std::string total = erp_orders[invoice["order_no"].get<std::string>()]["total"];
    EXPECT_NE(line.find("\"amount\":" + total + ","), std::string::npos) << line << " vs " << total;
  }
  // Each CSV file opens in Excel with its Chinese names intact: a UTF-8 byte order mark first.
  for (const auto& file : fs::directory_iterator(dir.path() / "finance-csv")) {
    if (file.path().filename().string()[0] == '.') continue;  // a file being written
    EXPECT_TRUE(read_file(file.path()).starts_with(kCsvHeader)) << file.path();
  }
  std::set<std::string> csv_invoices;  // invoice_no,order_no,customer,currency,amount,status
  for (const auto& row : csv_rows()) {
    std::vector<std::string> cells;
    ASSERT_EQ(connectors::file::parse_csv_row(row, ',', cells), "") << row;
    ASSERT_EQ(cells.size(), 6u) << row;
    EXPECT_TRUE(csv_invoices.insert(cells[0]).second) << "twice: " << row;
    EXPECT_EQ(cells[4], erp_orders[cells[1]]["total"].get<std::string>()) << row;
  }
  // The orders without a customer, and nothing else, wait in the dead-letter queue.
  CommandResult dlq = run_synchub({"dlq", "list", "-c", config, "--json"});
  Json entries = Json::parse(dlq.out);
  EXPECT_EQ(entries.size(), walk_ins) << dlq.out;
  for (const auto& e : entries)
    EXPECT_NE(e["error"].get<std::string>().find("customer.id: required"), std::string::npos);
}

}  // namespace
}  // namespace synchub::test
