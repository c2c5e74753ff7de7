// Mapping files through the real binary: a flow that maps CRM orders to ERP
// orders (bad records dead-lettered with the field path, cancelled ones
// filtered), and the offline commands `synchub map`, `synchub test`, `validate`.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/test_support.hpp"

namespace synchub::test {
namespace {

const std::string kMapping = std::string(SYNCHUB_SOURCE_DIR) + "/examples/mappings/crm-order-to-erp.yaml";

std::string crm_order(const std::string& no, const std::string& status, const std::string& price) {
  return R"({"id":"88)" + no + R"(","order_no":"SO-)" + no +
         R"(","customer":{"id":"C000001","name":"华信"},)"
         R"("owner":{"id":"U1","name":"王伟"},"status":")" +
         status +
         R"(","currency":"CNY",)"
         R"("created_at":"2024-03-01T08:00:00+08:00","lines":[{"line_no":1,"product_code":"sku-1","name":"模块",)"
         R"("uom":"PCS","quantity":"2.500","unit_price":)" +
         price + R"(,"tax_rate":0.13}]})";
}

std::string write_config(const TempDir& dir, const std::string& mapping) {
  write_file(dir.path() / "synchub.yaml", R"(hub: {name: maptest, log_level: warn}
connectors:
  crm:
    type: file
    streams:
      orders: {key: order_no, inbox: inbox, settle: 0s, poll_interval: 50ms}
  erp:
    type: file
    streams:
      sale_orders: {outbox: outbox}
flows:
  orders:
    from: crm.orders
    to: erp.sale_orders
    mapping: )" + mapping + "\n");
  return dir.str("synchub.yaml");
}

TEST(MappingFlow, MapsFiltersAndDeadLettersWithTheFieldPath) {
  TempDir dir;
  const std::string config = write_config(dir, kMapping);
  write_file(dir.path() / "inbox/orders.jsonl",
             crm_order("1", "approved", "100.10") + "\n" + crm_order("2", "cancelled", "5.00") + "\n" +
                 crm_order("3", "draft", "\"abc\"") + "\n" + crm_order("4", "submitted", "0.1") + "\n");
  CommandResult run = run_synchub({"run", "-c", config, "--once"});
  ASSERT_EQ(run.exit_code, 0) << run.err;

  auto delivered = lines_in_dir(dir.path() / "outbox");
  ASSERT_EQ(delivered.size(), 2u);
  auto first = nlohmann::json::parse(delivered[0]);
  EXPECT_EQ(first["bill_no"], "SO-1");
  EXPECT_EQ(first["customer_code"], "KHD5207");
  EXPECT_EQ(first["bill_date"], "2024-03-01 00:00:00");
  EXPECT_NE(delivered[0].find(R"("amount":250.25,"tax_amount":32.53)"), std::string::npos) << delivered[0];
  EXPECT_NE(delivered[1].find(R"("total_amount":0.25,"total_tax":0.03)"), std::string::npos) << delivered[1];

  auto dlq = nlohmann::json::parse(run_synchub({"dlq", "list", "-c", config, "--json"}).out);
  ASSERT_EQ(dlq.size(), 1u);
  EXPECT_EQ(dlq[0]["stage"], "mapping");
  EXPECT_EQ(dlq[0]["key"], "SO-3");
  EXPECT_EQ(dlq[0]["mapping_version"], "crm-order-to-erp/1");
  EXPECT_EQ(dlq[0]["error"], "lines[0].unit_price: expected a number, got \"abc\" (field entries[0].price)");

  // An input that is not a record is refused before anything is replayed.
  const std::string id = std::to_string(dlq[0]["id"].get<int64_t>());
  write_file(dir.path() / "empty.json", "");
  const CommandResult empty = run_synchub({"dlq", "replay", "-c", config, id, "--input", dir.str("empty.json")});
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_NE(empty.err.find("not a JSON object"), std::string::npos) << empty.err;
  EXPECT_EQ(nlohmann::json::parse(run_synchub({"dlq", "show", "-c", config, id}).out)["status"], "pending");

  // Corrected, it lands once.
  write_file(dir.path() / "fixed.json", crm_order("3", "draft", "3.00"));
  ASSERT_EQ(run_synchub({"dlq", "replay", "-c", config, id, "--input", dir.str("fixed.json")}).exit_code, 0);
  ASSERT_EQ(run_synchub({"run", "-c", config, "--once"}).exit_code, 0);
  delivered = lines_in_dir(dir.path() / "outbox");
  ASSERT_EQ(delivered.size(), 3u);
  EXPECT_NE(delivered[2].find(R"("bill_no":"SO-3")"), std::string::npos);
  EXPECT_NE(delivered[2].find(R"("total_amount":7.5)"), std::string::npos) << delivered[2];
}

TEST(MapCommand, ReportsBadRecordsWithLineNumbersAndKeepsGoing) {
  TempDir dir;
  write_file(dir.path() / "in.jsonl",
             crm_order("1", "approved", "1.00") + "\n\n" + "{broken\n" + crm_order("2", "cancelled", "1.00") + "\n" +
                 crm_order("3", "draft", "\"x\"") + "\n" + crm_order("4", "draft", "2") + "\n");
  CommandResult r = run_synchub({"map", "-m", kMapping, "-i", dir.str("in.jsonl")});
  EXPECT_EQ(r.exit_code, 1);
  std::istringstream out(r.out);
  std::string line;
  std::vector<std::string> bills;
  while (std::getline(out, line)) bills.push_back(nlohmann::json::parse(line)["bill_no"]);
  EXPECT_EQ(bills, (std::vector<std::string>{"SO-1", "SO-4"}));
  std::istringstream err(r.err);
  std::vector<nlohmann::json> reports;
  while (std::getline(err, line))
    if (!line.empty() && line[0] == '{') reports.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(reports.size(), 2u) << r.err;
  EXPECT_EQ(reports[0]["line"], 3);
  EXPECT_NE(reports[0]["error"].get<std::string>().find("invalid JSON"), std::string::npos);
  EXPECT_EQ(reports[1]["line"], 5);
  EXPECT_EQ(reports[1]["key"], "SO-3");
  EXPECT_EQ(reports[1]["error"], "lines[0].unit_price: expected a number, got \"x\" (field entries[0].price)");
  EXPECT_NE(r.err.find("2 mapped, 1 filtered out, 2 failed"), std::string::npos);
}

TEST(MapCommand, ReadsJsonArraysAndXrefFixtures) {
  TempDir dir;
  write_file(dir.path() / "m.yaml", R"(key: id
fields:
  id: id
  customer: {from: customer, lookup: {xref: customer, from: crm, to: erp}}
)");
  write_file(dir.path() / "xref.yaml", "- {entity: customer, from: crm, id: C1, to: erp, target: KH-1}\n");
  write_file(dir.path() / "in.json",
             "[\n  {\"id\": 1, \"customer\": \"C1\"},\n  {\"id\": 2, \"customer\": \"C2\"}\n]\n");
  CommandResult r =
      run_synchub({"map", "-m", dir.str("m.yaml"), "-i", dir.str("in.json"), "--xref", dir.str("xref.yaml")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "{\"id\":1,\"customer\":\"KH-1\"}\n");
  EXPECT_NE(
      r.err.find(
          R"J({"line":2,"key":"2","error":"customer: value \"C2\" has no xref customer crm -> erp (field customer)"})J"),
      std::string::npos)
      << r.err;
  // one pretty-printed object from stdin
  CommandResult one = run_synchub({"map", "-m", dir.str("m.yaml"), "--xref", dir.str("xref.yaml")},
                                  "{\n  \"id\": 7,\n  \"customer\": \"C1\"\n}\n");
  EXPECT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(one.out, "{\"id\":7,\"customer\":\"KH-1\"}\n");
}

TEST(TestCommand, PassesFailsAndShowsADiff) {
  TempDir dir;
  write_file(dir.path() / "m.yaml", R"Y(fields:
  amount: {expr: "round(qty * price, 2)", type: "decimal(12,2)"}
  name: {from: name, upper: true}
tests:
  - name: rounds half up
    input: {qty: 3, price: 0.335, name: ab}
    expect: {amount: 1.01, name: AB}
  - name: wrong on purpose
    input: {qty: 1, price: 2, name: x}
    expect: {amount: 2, name: Y}
  - name: bad input
    input: {qty: one, price: 2}
    expect_error: "expects numbers"
)Y");
  CommandResult r = run_synchub({"test", dir.str()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("PASS " + dir.str("m.yaml") + ":5 rounds half up"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("FAIL " + dir.str("m.yaml") +
                       ":8 wrong on purpose\n"
                       "    amount: expected 2, got 2.00\n"
                       "    name: expected \"Y\", got \"X\"\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("PASS " + dir.str("m.yaml") + ":11 bad input"), std::string::npos);
  EXPECT_NE(r.out.find("2 passed, 1 failed"), std::string::npos);
  // The shipped example mappings pass their own tests.
  CommandResult examples = run_synchub({"test", std::string(SYNCHUB_SOURCE_DIR) + "/examples"});
  EXPECT_EQ(examples.exit_code, 0) << examples.out << examples.err;
}

// A check's reason is expected and printed whole, however long (issue 23, item 4).
TEST(TestCommand, ExpectsAndPrintsACheckReasonWhole) {
  TempDir dir;
  write_file(dir.path() / "m.yaml", R"Y(fields:
  no: {from: no}
  total: {expr: "sum(lines[*].amount)", type: "decimal(12,2)"}
checks:
  - that: "$out.total == order_amount"
    message: "order {no}: the lines of this sales order sum to {$out.total} but the order amount is {order_amount}"
tests:
  - name: sums differ
    input: {no: SO-7, order_amount: "10.00", lines: [{amount: "4.00"}, {amount: "5.99"}]}
    expect_error: "order SO-7: the lines of this sales order sum to 9.99 but the order amount is 10.00"
  - name: told it matches
    input: {no: SO-8, order_amount: "1.00", lines: [{amount: "2.00"}]}
    expect: {no: SO-8, total: 2.00}
)Y");
  CommandResult r = run_synchub({"test", dir.str()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("PASS " + dir.str("m.yaml") + ":8 sums differ"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("mapping failed: order SO-8: the lines of this sales order sum to 2.00 but the order amount "
                       "is 1.00\n"),
            std::string::npos)
      << r.out;
}

TEST(ValidateCommand, ChecksMappingFilesOfFlows) {
  TempDir dir;
  write_file(dir.path() / "bad.yaml", "fields:\n  a: {expr: \"upper(\"}\n");
  const std::string config = write_config(dir, "bad.yaml");
  CommandResult r = run_synchub({"validate", "-c", config});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(dir.str("bad.yaml") + ":2:20: fields.a.expr: in expression: unexpected end of expression"),
            std::string::npos)
      << r.err;
  write_config(dir, "missing.yaml");
  r = run_synchub({"validate", "-c", config});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(config + ":15:14: flows.orders.mapping: mapping file " + dir.str("missing.yaml") + " not found"),
            std::string::npos)
      << r.err;
  write_config(dir, kMapping);
  r = run_synchub({"validate", "-c", config});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

}  // namespace
}  // namespace synchub::test
