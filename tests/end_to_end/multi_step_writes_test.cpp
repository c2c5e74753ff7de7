// 900 orders become bills in an ERP that saves, submits and audits them in
// three calls, refuses duplicate bill numbers and repeated steps, fails before
// and after doing the work, and meanwhile synchub is killed with SIGKILL: at
// the end every order is one bill, audited, and nothing is dead-lettered.
// (Issue 22, items 8 and 9: resumable steps; a create refused as existing is
// looked up and adopted.)
#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <thread>

#include "tests/end_to_end/e2e_support.hpp"
#include "tests/support/bill_erp.hpp"

namespace synchub::test {
namespace {

std::string bills_hub_config(const TempDir& dir, const std::string& erp_url, const std::string& done_codes) {
  const std::string path = dir.str("synchub.yaml");
  write_file(path, R"(hub:
  name: bills
  log_level: warn
bus:
  partitions: 2
connectors:
  crm:
    type: file
    streams:
      orders: {key: order_id, inbox: inbox/orders, settle: 0s, poll_interval: 50ms}
  erp:
    type: rest
    base_url: )" + erp_url +
                       R"(
    concurrency: 4
    errors: {code: code, ok: ['0'], message: msg, transient: [BUSY], exists: [DUPLICATE], done: [)" +
                       done_codes + R"(]}
    streams:
      bills:
        write:
          mode: create
          path: /bills/save
          lookup_method: POST
          lookup_path: /bills/query
          lookup_body: '{"no": {key}}'
          lookup_records: rows
          then: ['POST /bills/{id}/submit', 'POST /bills/{id}/audit']
flows:
  bills:
    from: crm.orders
    to: erp.bills
    batch_size: 50
    retry: {initial_backoff: 20ms, max_backoff: 200ms}
)");
  return path;
}

TEST(MultiStepWrites, NineHundredBillsSavedSubmittedAuditedOnceThroughFaultsAndKills) {
  TempDir dir;
  BillErp erp({.before_work = 0.05, .busy = 0.05, .after_work = 0.10, .seed = 7});
  const std::string config = bills_hub_config(dir, erp.base_url(), "ALREADY");
  const auto source = drop_orders(dir, 900, 9, 5);

  const unsigned seed = std::random_device{}();
  std::mt19937 rng(seed);
  SCOPED_TRACE("kill schedule seed " + std::to_string(seed));
  std::uniform_int_distribution<int> moment_ms(200, 1500);
  const std::string log = dir.str("synchub.log");
  int kills_mid_work = 0;
  for (int kill = 0; kill < 6; ++kill) {
    Process hub({"run", "-c", config}, log);
    std::this_thread::sleep_for(std::chrono::milliseconds(moment_ms(rng)));
    ASSERT_TRUE(hub.running()) << tail_of(log, 4000);
    hub.kill_hard();
    size_t audited = 0;
    for (const auto& [no, bill] : erp.bills()) audited += bill.state == "audited" ? 1 : 0;
    kills_mid_work += audited < source.size() ? 1 : 0;
    std::printf("kill %d: %zu bills, %zu audited\n", kill + 1, erp.bills().size(), audited);
  }
  EXPECT_GE(kills_mid_work, 3);  // the kills hit the sync while it works

  CommandResult last = run_synchub({"run", "-c", config, "--once"});
  ASSERT_EQ(last.exit_code, 0) << last.out << last.err << tail_of(log, 4000);

  const auto bills = erp.bills();
  size_t audited = 0;
  for (const auto& [no, bill] : bills) {
    EXPECT_TRUE(source.count(no)) << "a bill for no order: " << no;
    audited += bill.state == "audited" ? 1 : 0;
  }
  EXPECT_EQ(bills.size(), source.size()) << "one bill per order (the ERP refuses a second)";
  EXPECT_EQ(audited, source.size());
  CommandResult dlq = run_synchub({"dlq", "list", "-c", config, "--json"});
  EXPECT_TRUE(dlq.out == "[]\n") << dlq.err << dlq.out.substr(0, 800);

  // The faults that make this hard did happen.
  auto counts = erp.counts();
  for (const char* what : {"after:save", "after:submit", "after:audit", "BUSY"}) EXPECT_GT(counts[what], 0) << what;
  std::printf("faults: after save %d, after submit %d, after audit %d, busy %d; refused as duplicate %d, as done %d\n",
              counts["after:save"], counts["after:submit"], counts["after:audit"], counts["BUSY"], counts["DUPLICATE"],
              counts["ALREADY"]);
}

// Without a code for "done already", a step repeated is an error for good: a retry must go on at
// the step that failed, never save or submit again.
TEST(MultiStepWrites, ARetryGoesOnAtTheStepThatFailedAndSendsNoStepTwice) {
  TempDir dir;
  BillErp erp({.before_work = 0.10, .busy = 0.05, .after_work = 0, .seed = 3});
  const std::string config = bills_hub_config(dir, erp.base_url(), "");
  const auto source = drop_orders(dir, 900, 9, 6);
  CommandResult run = run_synchub({"run", "-c", config, "--once"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;

  size_t audited = 0;
  for (const auto& [no, bill] : erp.bills()) audited += bill.state == "audited" ? 1 : 0;
  EXPECT_EQ(audited, source.size());
  CommandResult dlq = run_synchub({"dlq", "list", "-c", config, "--json"});
  EXPECT_TRUE(dlq.out == "[]\n") << dlq.err << dlq.out.substr(0, 800);
  auto counts = erp.counts();
  EXPECT_EQ(counts["DUPLICATE"], 0);
  EXPECT_EQ(counts["ALREADY"], 0);
  EXPECT_GT(counts["before:submit"] + counts["before:audit"], 50);
}

}  // namespace
}  // namespace synchub::test
