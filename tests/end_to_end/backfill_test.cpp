// `synchub backfill` against the CRM simulator: orders already synced are
// read again from a date and published to the topic; the flow then finds
// them unchanged (nothing is written twice), and a date half-way re-reads
// about half. Sources without a time cursor, and bad dates, are refused.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "examples/simulators/crm.hpp"
#include "runtime/state/state_store.hpp"
#include "tests/support/test_support.hpp"

namespace synchub::test {
namespace {

using Json = nlohmann::json;

class BackfillSetup {
 public:
  BackfillSetup() : crm_(options()) {
    write_file(dir_.path() / "synchub.yaml", R"(hub: {name: backfill, log_level: warn, log_format: json}
bus: {fsync: false}
connectors:
  crm:
    type: rest
    base_url: )" + crm_.base_url() + R"(
    auth: {type: oauth2, token_url: )" + crm_.base_url() +
                                                 R"(/oauth/token, client_id: synchub, client_secret: crm-demo-secret}
    streams:
      orders:
        path: /orders
        key: order_no
        query: {limit: "100"}
        records: /data
        pagination: {type: cursor, param: cursor, next: next_cursor}
        cursor: {field: updated_at, param: updated_since, tiebreak: id, format: iso}
        poll_interval: 100ms
  files:
    type: file
    streams:
      inbox: {inbox: inbox, key: id}
      orders: {outbox: outbox, fsync: false}
flows:
  orders_to_files: {from: crm.orders, to: files.orders}
  inbox_to_files: {from: files.inbox, to: files.orders, enabled: false}
)");
  }
  static simulators::CrmOptions options() {
    simulators::CrmOptions o;
    o.orders = 600;
    return o;
  }
  CommandResult synchub(std::vector<std::string> args) {
    args.insert(args.end(), {"-c", dir_.str("synchub.yaml")});
    return run_synchub(args);
  }
  size_t written() { return lines_in_dir(dir_.path() / "outbox").size(); }
  // The flow's counts over every run, from the run history in the state file.
  runtime::RunRecord totals() {
    auto state = runtime::open_sqlite_state(dir_.str("data/state.db"), false);
    runtime::RunRecord sum;
    for (const auto& r : state->runs("orders_to_files", 1000)) runtime::add_counts(sum, r);
    return sum;
  }
  const TempDir& dir() const { return dir_; }
  simulators::CrmSimulator& crm() { return crm_; }

 private:
  TempDir dir_;
  simulators::CrmSimulator crm_;
};

TEST(Backfill, ReReadsFromADateAndTheLedgerSkipsWhatIsUnchanged) {
  BackfillSetup s;
  fs::create_directories(s.dir().path() / "inbox");
  ASSERT_EQ(s.synchub({"run", "--once"}).exit_code, 0);
  const size_t all = s.crm().orders().size();
  ASSERT_EQ(s.written(), all);

  CommandResult full = s.synchub({"backfill", "orders_to_files", "--since", "2000-01-01"});
  ASSERT_EQ(full.exit_code, 0) << full.err;
  EXPECT_NE(full.out.find(std::to_string(all) + " records from crm.orders published to topic crm.orders; flows "
                                                "orders_to_files deliver them"),
            std::string::npos)
      << full.out;
  EXPECT_NE(full.err.find("100%"), std::string::npos) << "progress, also when not on a terminal: " << full.err;
  EXPECT_NE(full.err.find("done in"), std::string::npos) << full.err;
  EXPECT_EQ(full.err.find("\033["), std::string::npos) << "no terminal codes in a pipe";

  // The flow reads every order again and writes none of them twice.
  CommandResult again = s.synchub({"run", "--once"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(s.written(), all);
  const runtime::RunRecord totals = s.totals();
  EXPECT_EQ(totals.read, static_cast<int64_t>(2 * all));
  EXPECT_EQ(totals.created, static_cast<int64_t>(all));
  EXPECT_EQ(totals.unchanged, static_cast<int64_t>(all));

  // From the time of the middle order: about half (its neighbours in the same second too).
  const auto orders = s.crm().orders();
  const std::string middle = orders[orders.size() / 2]["updated_at"];
  CommandResult half = s.synchub({"backfill", "orders_to_files", "--since", middle});
  ASSERT_EQ(half.exit_code, 0) << half.err;
  const int64_t reread = std::stoll(half.out.substr(0, half.out.find(' ')));
  EXPECT_GE(reread, static_cast<int64_t>(all / 2) - 5) << half.out;
  EXPECT_LE(reread, static_cast<int64_t>(all / 2) + 10) << half.out;
}

TEST(Backfill, RefusesWhatItCannotDo) {
  BackfillSetup s;
  CommandResult file_source = s.synchub({"backfill", "inbox_to_files", "--since", "2024-01-01"});
  EXPECT_EQ(file_source.exit_code, 1);
  EXPECT_NE(file_source.err.find("files.inbox cannot backfill: its cursor is not a time"), std::string::npos)
      << file_source.err;
  CommandResult bad_date = s.synchub({"backfill", "orders_to_files", "--since", "last tuesday"});
  EXPECT_EQ(bad_date.exit_code, 2);
  EXPECT_NE(bad_date.err.find("--since 'last tuesday' is not a date"), std::string::npos) << bad_date.err;
  EXPECT_EQ(s.synchub({"backfill", "nope", "--since", "2024-01-01"}).exit_code, 2);
  EXPECT_EQ(s.synchub({"backfill", "orders_to_files"}).exit_code, 2);
}

}  // namespace
}  // namespace synchub::test
