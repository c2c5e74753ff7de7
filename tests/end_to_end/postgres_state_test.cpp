// `synchub run` with its state in PostgreSQL (a real throw-away server):
// a file -> file flow end to end, dead letters and runs kept in the database
// (read back by the CLI), and two workers sharing one source: only the lease
// holder polls it, and the other takes over when the holder is killed.
#include <gtest/gtest.h>

#include "runtime/state/postgres.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/test_support.hpp"

namespace synchub::test {
namespace {

// One worker's config: its own data folder (embedded bus) and outbox, the shared state.
std::string worker_config(const TempDir& dir, const std::string& worker, const std::string& state_url) {
  fs::create_directories(dir.path() / "inbox");
  const std::string file = dir.str(worker + ".yaml");
  write_file(file, R"(hub: {name: pg, data_dir: )" + worker + R"(-data, log_format: json}
state: )" + state_url + "\n" +
                       file_orders_connectors("{outbox: " + worker + "-outbox, fsync: false}") +
                       R"(flows:
  orders: {from: crm.orders, to: erp.orders, retry: {initial_backoff: 10ms, max_backoff: 50ms}}
)");
  return file;
}

TEST(PostgresState, AHubKeepsItsStateInPostgres) {
  TempDir dir;
  const std::string url = shared_postgres().create_database();
  const std::string config = worker_config(dir, "a", url);
  write_file(dir.path() / "inbox" / "1.jsonl", "{\"order_id\":\"A\"}\n{\"order_id\":\"B\"}\n{broken\n");
  CommandResult run = run_synchub({"run", "--once", "-c", config});
  ASSERT_EQ(run.exit_code, 0) << run.err << run.out;
  EXPECT_EQ(lines_in_dir(dir.path() / "a-outbox").size(), 2u);
  CommandResult dlq = run_synchub({"dlq", "list", "-c", config, "--json"});
  ASSERT_EQ(dlq.exit_code, 0) << dlq.err;
  EXPECT_NE(dlq.out.find("malformed JSON"), std::string::npos) << dlq.out;
  EXPECT_EQ(run.out.find("synchub@127.0.0.1"), std::string::npos) << "the URL (it may hold a password) is not logged";

  // Again, with nothing new: the cursor in PostgreSQL says it was all read.
  ASSERT_EQ(run_synchub({"run", "--once", "-c", config}).exit_code, 0);
  EXPECT_EQ(lines_in_dir(dir.path() / "a-outbox").size(), 2u);
}

TEST(PostgresState, ASecondWorkerTakesOverASourceWhenTheHolderDies) {
  TempDir dir;
  const std::string url = shared_postgres().create_database() + "?application_name=synchub";
  const std::string state = "{type: postgresql, url: \"" + url + "\", lease_ttl: 1s}";
  const std::string a_config = worker_config(dir, "a", state), b_config = worker_config(dir, "b", state);
  Process a({"run", "-c", a_config}, dir.str("a.log"));
  auto holds = [&](const std::string& log) {
    return read_file(dir.path() / log).find("this worker polls the stream") != std::string::npos;
  };
  const auto every = std::chrono::milliseconds(25);
  ASSERT_TRUE(eventually([&] { return holds("a.log"); }, std::chrono::seconds(5), every))
      << read_file(dir.path() / "a.log");
  Process b({"run", "-c", b_config}, dir.str("b.log"));
  write_file(dir.path() / "inbox" / "1.jsonl", "{\"order_id\":\"A\"}\n");
  eventually([&] { return !lines_in_dir(dir.path() / "a-outbox").empty(); }, std::chrono::seconds(20), every);
  EXPECT_EQ(lines_in_dir(dir.path() / "a-outbox").size(), 1u);
  EXPECT_FALSE(holds("b.log")) << "b waits while a holds the lease";
  // a is killed once it has recorded its work: the order in the ledger, the file read to its end
  // (archived). Killed before, b would rightly deliver that order again.
  runtime::PgConnection db(url);
  auto recorded = [&] {
    return db.exec("SELECT count(*) FROM ledger").integer(0, 0) == 1 &&
           fs::exists(dir.path() / "inbox" / "archive" / "1.jsonl");
  };
  ASSERT_TRUE(eventually(recorded, std::chrono::seconds(20), every)) << read_file(dir.path() / "a.log");

  a.kill_hard();  // no release: b must wait for the lease to expire
  ASSERT_TRUE(eventually([&] { return holds("b.log"); }, std::chrono::seconds(5), every))
      << read_file(dir.path() / "b.log");
  write_file(dir.path() / "inbox" / "2.jsonl", "{\"order_id\":\"B\"}\n");
  // Up to 20 s: under AddressSanitizer beside other tests, b's first batch can be slow.
  eventually([&] { return !lines_in_dir(dir.path() / "b-outbox").empty(); }, std::chrono::seconds(20), every);
  const auto b_lines = lines_in_dir(dir.path() / "b-outbox");
  ASSERT_EQ(b_lines.size(), 1u) << "b goes on from the shared cursor: only the new file\nb:\n"
                                << read_file(dir.path() / "b.log") << "a:\n"
                                << read_file(dir.path() / "a.log");
  EXPECT_NE(b_lines[0].find("\"B\""), std::string::npos) << b_lines[0];
}

TEST(PostgresState, ConfigNeedsAUrl) {
  TempDir dir;
  write_file(dir.path() / "s.yaml", "state: {type: postgresql}\n");
  CommandResult r = run_synchub({"validate", "-c", dir.str("s.yaml")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("s.yaml:1:8: state: type postgresql needs url"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace synchub::test
