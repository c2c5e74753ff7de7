// Reconciliation end to end on files: two folders read whole through the file connector, a real
// SQLite state (dead letters make a document in flight), every class of difference.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "config/hub_config.hpp"
#include "connectors/connector.hpp"
#include "connectors/file/connector.hpp"
#include "connectors/registry.hpp"
#include "runtime/reconcile/export.hpp"
#include "runtime/reconcile/plan.hpp"
#include "runtime/reconcile/reconciler.hpp"
#include "runtime/reconcile/report_text.hpp"
#include "runtime/state/state_store.hpp"
#include "tests/support/files.hpp"

namespace synchub::reconcile {
namespace {

const char* kConfig = R"(hub: {data_dir: data}
connectors:
  crm: {type: file, streams: {orders: {inbox: crm, key: order_no}}}
  erp: {type: file, streams: {orders: {outbox: erp, key: id}}}
flows:
  orders_to_erp: {from: crm.orders, to: erp.orders}
reconciliations:
  orders:
    source: {stream: crm.orders, key: order_no, time: created_at, filter: "status != 'cancelled'"}
    target:
      stream: erp.orders
      key: external_no
      time: order_date
      filter: "status != 'held'"
      waiting: {when: "status == 'held'", reason: "'held for approval'"}
    measures: [total]
    compare: [currency]
    time_zone: Asia/Shanghai
)";

std::string order(const std::string& no, const std::string& total, const std::string& day = "2024-03-01",
                  const std::string& status = "approved", const std::string& currency = "CNY") {
  return R"({"order_no":")" + no + R"(","status":")" + status + R"(","currency":")" + currency + R"(","created_at":")" +
         day + R"(T10:00:00+08:00","total":)" + total + "}";
}

std::string erp_order(const std::string& id, const std::string& no, const std::string& total,
                      const std::string& day = "2024-03-01", const std::string& status = "confirmed",
                      const std::string& currency = "CNY") {
  return R"({"id":")" + id + R"(","external_no":")" + no + R"(","status":")" + status + R"(","currency":")" + currency +
         R"(","order_date":")" + day + R"(","total":")" + total + R"("})";
}

class ReconcileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_file(dir_.path() / "synchub.yaml", kConfig);
    std::filesystem::create_directories(dir_.path() / "crm");
    std::filesystem::create_directories(dir_.path() / "erp");
  }
  void crm(const std::vector<std::string>& lines, const std::string& file = "a.jsonl") {
    write_lines(dir_.path() / "crm" / file, lines);
  }
  void erp(const std::vector<std::string>& lines, const std::string& file = "orders_to_erp-p0-1.jsonl") {
    write_lines(dir_.path() / "erp" / file, lines);
  }
  Report run(RunOptions options = {}) {
    config_ = std::make_unique<config::HubConfig>(
        config::load_hub_config(dir_.str("synchub.yaml"), connectors::builtin_registry().specs()));
    if (!state_) state_ = runtime::open_sqlite_state(dir_.str("state.db"), false);
    const ReconcilePlan plan = compile_plan(config_->reconciliations.at(0));
    RunContext context{*config_, *state_, nullptr, registry_readers(*config_), dir_.str("data")};
    if (!options.now_ms) options.now_ms = 1717200000000;  // 2024-06-01
    return reconcile(plan, context, options);
  }
  // (class, key) of every listed document.
  static std::set<std::pair<std::string, std::string>> listed(const Report& r) {
    std::set<std::pair<std::string, std::string>> out;
    for (const auto& d : r.documents) out.insert({class_name(d.kind), d.key});
    return out;
  }
  static const DocumentDifference* document(const Report& r, const std::string& key) {
    for (const auto& d : r.documents)
      if (d.key == key) return &d;
    return nullptr;
  }
  runtime::StateStore& state() {
    if (!state_) state_ = runtime::open_sqlite_state(dir_.str("state.db"), false);
    return *state_;
  }
  test::TempDir dir_;

 private:
  static void write_lines(const std::filesystem::path& path, const std::vector<std::string>& lines) {
    std::string text;
    for (const auto& l : lines) text += l + "\n";
    test::write_file(path, text);
  }
  std::unique_ptr<config::HubConfig> config_;
  std::unique_ptr<runtime::StateStore> state_;
};

TEST_F(ReconcileTest, ACleanSyncAgreesAndListsNothing) {
  crm({order("SO1", "100.10"), order("SO2", "0.30", "2024-03-02"), order("SO3", "5", "2024-03-02")});
  // The ERP writes money as text with two places, the CRM as numbers: 100.10 is 100.1, 5 is 5.00.
  erp({erp_order("1", "SO1", "100.1"), erp_order("2", "SO2", "0.30", "2024-03-02"),
       erp_order("3", "SO3", "5.00", "2024-03-02")});
  const Report r = run();
  EXPECT_EQ(r.error, "");
  EXPECT_TRUE(r.agrees()) << report_table(r);
  EXPECT_TRUE(r.documents.empty()) << report_table(r);
  EXPECT_EQ(r.matched, 3);
  EXPECT_EQ(r.read[0], 3);
  EXPECT_EQ(r.read[1], 3);
  ASSERT_EQ(r.groups.size(), 2u);  // two business days
  EXPECT_EQ(r.groups[0].group, std::vector<std::string>{"2024-03-01"});
  EXPECT_EQ(r.groups[1].count[0], 2);
  EXPECT_EQ(r.groups[1].count[1], 2);
  EXPECT_EQ(r.groups[1].sums[0][0], "5.3");
  EXPECT_TRUE(r.groups[1].agrees());
}

TEST_F(ReconcileTest, EveryDifferenceIsReportedInItsClassAndNothingElse) {
  crm({order("SO1", "100.00"),                                  // agrees
       order("SO2", "20.00"),                                   // missing in the ERP
       order("SO3", "30.00"),                                   // the ERP's total is a cent off
       order("SO4", "40.00"),                                   // two ERP orders
       order("SO5", "50.00", "2024-03-01", "approved", "USD"),  // currency differs
       order("SO6", "60.00"),                                   // held in the ERP: in flight
       order("SO7", "70.00"),                                   // dead-lettered by the flow: in flight
       order("SO8", "80.00", "2024-03-01", "cancelled"),        // cancelled, but in the ERP: extra
       R"({"order_no":"SO10","status":"approved","currency":"CNY","created_at":"yesterday","total":1})"});
  erp({erp_order("1", "SO1", "100.00"), erp_order("3", "SO3", "30.01"), erp_order("4", "SO4", "40.00"),
       erp_order("44", "SO4", "40.00"), erp_order("5", "SO5", "50.00"),
       erp_order("6", "SO6", "60.00", "2024-03-01", "held"), erp_order("8", "SO8", "80.00"),
       erp_order("9", "SO9", "9.00")});
  runtime::FlowBatchCommit batch;
  batch.flow = "orders_to_erp";
  batch.dead_letters.push_back({0, "orders_to_erp", runtime::DeadLetterStage::Sink, "SO7", order("SO7", "70.00"),
                                "422: unknown customer C9", "v1", "crm.orders/p0-000007"});
  state().commit_flow_batch(batch);

  const Report r = run();
  EXPECT_EQ(r.error, "");
  const std::set<std::pair<std::string, std::string>> expected = {
      {"missing", "SO2"},   {"different", "SO3"}, {"duplicated", "SO4"}, {"different", "SO5"},  {"in_flight", "SO6"},
      {"in_flight", "SO7"}, {"extra", "SO8"},     {"extra", "SO9"},      {"unreadable", "SO10"}};
  EXPECT_EQ(listed(r), expected) << report_table(r);
  EXPECT_EQ(r.matched, 1);
  EXPECT_EQ(r.differences(), 7);
  EXPECT_EQ(r.count(DiffClass::InFlight), 2);
  EXPECT_FALSE(r.agrees());

  const auto* cent = document(r, "SO3");
  ASSERT_NE(cent, nullptr);
  ASSERT_EQ(cent->fields.size(), 1u);
  EXPECT_EQ(cent->fields[0].field, "total");
  EXPECT_EQ(cent->fields[0].source, "30");
  EXPECT_EQ(cent->fields[0].target, "30.01");
  EXPECT_EQ(document(r, "SO4")->target_docs, (std::vector<std::string>{"4", "44"}));
  EXPECT_EQ(document(r, "SO5")->fields.at(0).field, "currency");
  EXPECT_EQ(document(r, "SO6")->reason, "held for approval");
  EXPECT_NE(document(r, "SO7")->reason.find("unknown customer C9"), std::string::npos);
  EXPECT_NE(document(r, "SO8")->reason.find("out of its scope"), std::string::npos);
  EXPECT_NE(document(r, "SO10")->reason.find("time"), std::string::npos);

  // The day's totals: each side's in-scope documents (SO4 twice in the ERP).
  ASSERT_EQ(r.groups.size(), 1u);
  EXPECT_EQ(r.groups[0].count[0], 7);  // SO1-SO7
  EXPECT_EQ(r.groups[0].count[1], 7);  // 1, 3, 4, 44, 5, 8, 9 (6 is held: out of scope)
  EXPECT_EQ(r.groups[0].sums[0][0], "370");
  EXPECT_EQ(r.groups[0].sums[1][0], "349.01");
}

TEST_F(ReconcileTest, TheWindowComparesOnlyPairsWithATimeInIt) {
  crm({order("SO1", "1.00", "2024-03-01"), order("SO2", "2.00", "2024-03-05")});
  erp({erp_order("2", "SO2", "2.00", "2024-03-05")});  // SO1 is missing, but before the window
  RunOptions options;
  options.since_ms = 1709568000000;  // 2024-03-04T16:00:00Z = 2024-03-05 00:00 in Shanghai
  const Report r = run(options);
  EXPECT_TRUE(r.agrees()) << report_table(r);
  EXPECT_EQ(r.matched, 1);
  ASSERT_TRUE(r.since_ms.has_value());
  EXPECT_FALSE(run().agrees());  // without the window SO1 is missing
}

TEST_F(ReconcileTest, AFixedDateRangeInTheConfigIsBusinessDaysInItsZone) {
  // 2024-03-05T01:00+08:00 is still 2024-03-04 in UTC: the range is read in Asia/Shanghai.
  test::write_file(dir_.path() / "synchub.yaml",
                   std::string(kConfig) + "    since: 2024-03-05\n    until: 2024-03-05\n");
  crm({order("SO1", "1.00", "2024-03-04"), order("SO2", "2.00", "2024-03-05"), order("SO3", "3.00", "2024-03-06")});
  erp({erp_order("2", "SO2", "2.00", "2024-03-05")});  // SO1 and SO3 are missing, outside the range
  Report r = run();
  EXPECT_TRUE(r.agrees()) << report_table(r);
  EXPECT_EQ(r.matched, 1);
  EXPECT_EQ(r.in_scope[0], 1);
  RunOptions wider;                // the command line's range wins over the config's
  wider.since_ms = 1709222400000;  // 2024-03-01T00:00+08:00
  r = run(wider);
  EXPECT_EQ(r.count(DiffClass::Missing), 2) << report_table(r);
}

TEST_F(ReconcileTest, ARecordReadTwiceIsOneDocument) {
  // A listing that moved while it was read gives the same record twice: the last reading counts.
  crm({order("SO1", "1.00")}, "a.jsonl");
  crm({order("SO1", "2.00")}, "b.jsonl");
  erp({erp_order("1", "SO1", "2.00")});
  const Report r = run();
  EXPECT_TRUE(r.agrees()) << report_table(r);
}

TEST_F(ReconcileTest, ARecordWhoseAmountCannotBeReadIsOneUnreadablePairNotAlsoAMissingOne) {
  crm({order("SO1", "1.00"), order("SO2", "2.00")});
  erp({erp_order("1", "SO1", "1.00"), erp_order("2", "SO2", "two yuan")});
  const Report r = run();
  const std::set<std::pair<std::string, std::string>> expected = {{"unreadable", "SO2"}};
  EXPECT_EQ(listed(r), expected) << report_table(r);
  const auto* broken = document(r, "SO2");
  ASSERT_NE(broken, nullptr);
  EXPECT_EQ(broken->source_docs, std::vector<std::string>{"SO2"});
  EXPECT_EQ(broken->target_docs, std::vector<std::string>{"2"});
  EXPECT_NE(broken->reason.find("target 2: total: expected an amount"), std::string::npos) << broken->reason;
  EXPECT_EQ(r.matched, 1);
}

TEST_F(ReconcileTest, KeysThatDifferArePairedThroughTheCrossReferenceOrTheLedger) {
  // The ERP numbers its orders itself: ERP-7 is the CRM's SO1.
  crm({order("SO1", "1.00"), order("SO2", "2.00"), order("SO3", "3.00")});
  erp({R"({"id":"ERP-7","external_no":"x","status":"confirmed","currency":"CNY","order_date":"2024-03-01","total":"1.00"})",
       R"({"id":"ERP-8","external_no":"y","status":"confirmed","currency":"CNY","order_date":"2024-03-01","total":"2.50"})"});
  std::string config = test::read_file(dir_.path() / "synchub.yaml");
  config.replace(config.find("key: external_no"), 16, "key: id");
  test::write_file(dir_.path() / "synchub.yaml", config + "    match: {by: xref, entity: order}\n");
  state().put_xref("order", "crm", "SO1", "erp", "ERP-7");
  state().put_xref("order", "crm", "SO2", "erp", "ERP-8");
  Report r = run();
  std::set<std::pair<std::string, std::string>> expected = {{"different", "SO2"}, {"missing", "SO3"}};
  EXPECT_EQ(listed(r), expected) << report_table(r);
  EXPECT_EQ(r.matched, 1);
  EXPECT_NE(document(r, "SO3")->reason.find("no cross-reference order crm -> erp"), std::string::npos);

  // The same through the flow's ledger: the target id it wrote each record as.
  test::write_file(dir_.path() / "synchub.yaml", config + "    match: {by: ledger}\n    flow: orders_to_erp\n");
  runtime::FlowBatchCommit batch;
  batch.flow = "orders_to_erp";
  batch.ledger = {{"SO1", "ERP-7", "h1", "v1", 1}, {"SO2", "ERP-8", "h2", "v1", 1}};
  state().commit_flow_batch(batch);
  r = run();
  EXPECT_EQ(listed(r), expected) << report_table(r);
  EXPECT_NE(document(r, "SO3")->reason.find("never written by flow orders_to_erp"), std::string::npos);
}

TEST_F(ReconcileTest, ARecordReadAgainWithAnotherKeyIsOneDocumentUnderItsLastKey) {
  // The ERP order 1 was re-keyed between two readings (its external number corrected), and
  // order 2 read three times: each is one document, as last read; nothing extra, nothing twice.
  crm({order("SO1", "1.00"), order("SO2", "2.00")});
  erp({erp_order("1", "SO9", "1.00"), erp_order("2", "SO2", "9.00")}, "orders_to_erp-p0-1.jsonl");
  erp({erp_order("2", "SO2", "8.00")}, "orders_to_erp-p0-2.jsonl");
  erp({erp_order("1", "SO1", "1.00"), erp_order("2", "SO2", "2.00")}, "orders_to_erp-p0-3.jsonl");
  const Report r = run();
  EXPECT_TRUE(r.agrees()) << report_table(r);
  EXPECT_EQ(r.matched, 2);
  EXPECT_EQ(r.read[1], 2);
  EXPECT_EQ(r.in_scope[1], 2);
}

// An ERP listing paged by offset, without an incremental cursor (the quick start's
// erp.sales_orders): after its last page the cursor starts it again from the top.
class OffsetListing final : public connectors::SourceStream {
 public:
  OffsetListing(std::vector<std::string> records, int& pulls) : records_(std::move(records)), pulls_(pulls) {}
  connectors::PullResult pull(const std::string& cursor, size_t) override {
    if (++pulls_ > 100) throw std::runtime_error("read round and round");
    const size_t at = cursor.starts_with("{\"offset\":") ? std::stoul(cursor.substr(10)) : 0;
    connectors::PullResult out;
    for (size_t i = at; i < records_.size() && i < at + 2; ++i)
      out.records.push_back({std::to_string(i + 1), records_[i], "offset " + std::to_string(i)});
    out.more = at + 2 < records_.size();
    out.next_cursor = out.more ? "{\"offset\":" + std::to_string(at + 2) + "}" : "{}";
    return out;
  }
  std::chrono::milliseconds poll_interval() const override { return std::chrono::seconds(1); }
  std::string accept(const std::string&, connectors::SourceRecord&) const override { return "not replayed"; }

 private:
  std::vector<std::string> records_;
  int& pulls_;  // the reader goes when its side is read
};

TEST_F(ReconcileTest, AnOffsetListingIsReadOnceToItsEnd) {
  crm({order("SO1", "1.00"), order("SO2", "2.00"), order("SO3", "3.00"), order("SO4", "4.00"), order("SO5", "5.00")});
  int pulls = 0;
  const auto config = config::load_hub_config(dir_.str("synchub.yaml"), connectors::builtin_registry().specs());
  auto files = registry_readers(config);
  ReaderFactory readers = [&](const config::StreamRef& ref) -> std::unique_ptr<connectors::SourceStream> {
    if (ref.connector != "erp") return files(ref);
    auto listing = std::make_unique<OffsetListing>(
        std::vector<std::string>{erp_order("1", "SO1", "1.00"), erp_order("2", "SO2", "2.00"),
                                 erp_order("3", "SO3", "3.00"), erp_order("4", "SO4", "4.00"),
                                 erp_order("5", "SO5", "5.00")},
        pulls);
    return listing;
  };
  RunContext context{config, state(), nullptr, readers, dir_.str("data")};
  const Report r = reconcile(compile_plan(config.reconciliations.at(0)), context, {.now_ms = 1717200000000});
  EXPECT_EQ(r.error, "");
  EXPECT_TRUE(r.agrees()) << report_table(r);
  EXPECT_EQ(r.matched, 5);
  EXPECT_EQ(pulls, 3);  // offsets 0, 2, 4: once through
}

// The outbox as the file sink writes it for finance: CSV rolled into files of a few records, with
// a BOM or in GB18030, Chinese text and a formula made inert. The reconciliation reads it back.
TEST_F(ReconcileTest, ARolledCsvOutboxWithABomOrInGb18030IsReadBack) {
  for (const std::string encoding : {"utf-8-bom", "gb18030"}) {
    SCOPED_TRACE(encoding);
    std::filesystem::remove_all(dir_.path() / "erp");
    crm({order("SO1", "100.10", "2024-03-01", "approved", "人民币"),
         order("SO2", "-12.50", "2024-03-01", "approved", "人民币"),
         order("SO3", "3", "2024-03-02", "approved", "人民币"), order("SO4", "4", "2024-03-02", "approved", "=1+1")});
    std::string config = kConfig;
    config.replace(config.find("{outbox: erp, key: id}"), 22,
                   "{outbox: erp, key: id, format: csv, encoding: " + encoding + ", roll: {max_records: 2}}");
    test::write_file(dir_.path() / "synchub.yaml", config);
    const auto hub = config::load_hub_config(dir_.str("synchub.yaml"), connectors::builtin_registry().specs());
    const std::vector<std::string> rows = {erp_order("1", "SO1", "100.10", "2024-03-01", "confirmed", "人民币"),
                                           erp_order("2", "SO2", "-12.50", "2024-03-01", "confirmed", "人民币"),
                                           erp_order("3", "SO3", "3.00", "2024-03-02", "confirmed", "人民币"),
                                           erp_order("4", "SO4", "4.00", "2024-03-02", "confirmed", "=1+1")};
    {
      connectors::file::FileSink sink(*hub.connector("erp")->stream("orders"));
      for (size_t i = 0; i < rows.size(); ++i) {
        const std::string id = "p0-" + std::to_string(i + 1);
        for (const auto& result : sink.push({"orders_to_erp", id, {{id, rows[i], "", false}}}))
          ASSERT_TRUE(result.ok()) << result.error;
        sink.settle();
      }
    }
    size_t files = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir_.path() / "erp"))
      files += e.path().filename().string()[0] != '.' ? 1 : 0;
    EXPECT_EQ(files, 2u) << "two records a file";
    const Report r = run();
    EXPECT_EQ(r.error, "");
    // The inert formula is read back as written ('=1+1): the one difference, and the only one.
    const std::set<std::pair<std::string, std::string>> expected = {{"different", "SO4"}};
    EXPECT_EQ(listed(r), expected) << report_table(r);
    EXPECT_EQ(r.matched, 3);
    EXPECT_EQ(r.read[1], 4);
  }
}

TEST_F(ReconcileTest, TheReportRoundTripsThroughJson) {
  crm({order("SO1", "1.00"), order("SO2", "2.00")});
  erp({erp_order("1", "SO1", "1.50")});
  Report r = run();
  r.id = 7;
  const std::string json = report_json(r);
  EXPECT_EQ(report_json(parse_report_json(json)), json);
  EXPECT_THROW(parse_report_json("{}"), std::runtime_error);
}

TEST_F(ReconcileTest, CsvForExcelHasAByteOrderMarkAndInertFormulas) {
  crm({R"j({"order_no":"=HYPERLINK(\"http://x\")","status":"approved","currency":"CNY","created_at":"2024-03-01","total":1})j"});
  erp({});
  const Report r = run();
  ASSERT_EQ(r.count(DiffClass::Missing), 1);
  write_csv({r}, dir_.str("report.csv"));
  const std::string csv = test::read_file(dir_.path() / "report.csv");
  EXPECT_EQ(csv.rfind("\xEF\xBB\xBF", 0), 0u);
  EXPECT_NE(csv.find("'=HYPERLINK"), std::string::npos);
  EXPECT_EQ(csv.find(",=HYPERLINK"), std::string::npos);
  EXPECT_EQ(inert_cell("-12.50"), "-12.50");  // a negative amount stays a number
  EXPECT_EQ(inert_cell("@SUM(A1)"), "'@SUM(A1)");
}

TEST_F(ReconcileTest, XlsxIsReadBackByAnIndependentReader) {
  crm({order("SO1", "100.10"),
       R"({"order_no":"华信-2","status":"approved","currency":"CNY","created_at":"2024-03-01","total":2})"});
  erp({erp_order("1", "SO1", "100.11")});
  const Report r = run();
  write_xlsx({r}, dir_.str("report.xlsx"));
  // openpyxl (Debian's python3-openpyxl): amounts as numbers shown with two decimals, Chinese intact.
  const std::string script = dir_.str("read.py");
  test::write_file(script, R"(import sys, openpyxl
book = openpyxl.load_workbook(sys.argv[1])
print(book.sheetnames)
groups, docs = book["Groups"], book["Documents"]
row = [c.value for c in groups[2]]
print(row[2], row[3], repr(row[6]), repr(row[7]), groups.cell(2, 7).number_format)
for r in docs.iter_rows(min_row=2, values_only=True):
    print(r[1], r[2], repr(r[7]), repr(r[8]))
)");
  const std::string out_file = dir_.str("out.txt");
  ASSERT_EQ(std::system(("/usr/bin/python3 " + script + " " + dir_.str("report.xlsx") + " > " + out_file).c_str()), 0);
  const std::string out = test::read_file(out_file);
  EXPECT_NE(out.find("['Groups', 'Documents']"), std::string::npos) << out;
  EXPECT_NE(out.find("2 1 102.1 100.11 #,##0.00"), std::string::npos) << out;
  EXPECT_NE(out.find("different SO1 100.1 100.11"), std::string::npos) << out;
  EXPECT_NE(out.find("missing 华信-2"), std::string::npos) << out;
}

TEST(ReconcileConfig, MistakesAreFoundWithTheirPositions) {
  test::TempDir dir;
  test::write_file(dir.path() / "synchub.yaml", R"(connectors:
  crm: {type: file, streams: {orders: {inbox: crm}}}
  erp: {type: file, streams: {orders: {outbox: erp}, sent: {outbox: sent}}}
flows:
  orders_to_erp: {from: crm.orders, to: erp.orders}
reconciliations:
  orders:
    source: {stream: crm.orders, key: "order_no +"}
    target: {stream: erp.orders, key: external_no}
    group_by: [day]
  wrong_flow:
    source: {stream: crm.orders, key: id}
    target: {stream: erp.sent, key: id}
    flow: orders_to_erpp
  zone:
    source: {stream: crm.orders, key: id}
    target: {stream: erp.orders, key: id, fields: {unused: x}}
    time_zone: Asia/Shanghia
)");
  std::vector<std::string> messages;
  try {
    auto config = config::load_hub_config(dir.str("synchub.yaml"), connectors::builtin_registry().specs());
    for (const auto& d : check_reconciliations(config)) messages.push_back(d.str());
  } catch (const config::ConfigError& e) {
    for (const auto& d : e.diagnostics()) messages.push_back(d.str());
  }
  std::string all;
  for (const auto& m : messages) all += m + "\n";
  EXPECT_NE(all.find("synchub.yaml:10:15: reconciliations.orders.group_by: grouping by day needs a time"),
            std::string::npos)
      << all;
  EXPECT_NE(
      all.find("synchub.yaml:14:11: reconciliations.wrong_flow.flow: unknown flow 'orders_to_erpp'; did you mean"),
      std::string::npos)
      << all;
}

TEST(ReconcileConfig, ExpressionMistakesPointIntoTheExpression) {
  test::TempDir dir;
  test::write_file(dir.path() / "synchub.yaml", R"(connectors:
  crm: {type: file, streams: {orders: {inbox: crm}}}
  erp: {type: file, streams: {orders: {outbox: erp}}}
reconciliations:
  orders:
    source: {stream: crm.orders, key: order_no, filter: "status = 1"}
    target: {stream: erp.orders, key: external_no, fields: {unused: x}}
    time_zone: Asia/Shanghia
)");
  auto config = config::load_hub_config(dir.str("synchub.yaml"), connectors::builtin_registry().specs());
  std::string all;
  for (const auto& d : check_reconciliations(config)) all += d.str() + "\n";
  EXPECT_NE(all.find("synchub.yaml:6:65: reconciliations.orders.source.filter:"), std::string::npos) << all;
  EXPECT_NE(all.find("reconciliations.orders.target.fields.unused: 'unused' is not used"), std::string::npos) << all;
  EXPECT_NE(all.find("synchub.yaml:8:16: reconciliations.orders.time_zone: unknown time zone 'Asia/Shanghia'"),
            std::string::npos)
      << all;
}

}  // namespace
}  // namespace synchub::reconcile
