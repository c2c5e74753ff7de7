// Scale-out: three `synchub run` workers share the mock Kafka cluster (its own
// process) and one PostgreSQL database. 50,000 orders arrive file by file in
// a shared inbox; only the worker holding the source's lease reads them, the
// flow's consumer group spreads the partitions over all three, and they write
// to one shared outbox. The lease holder is killed with SIGKILL mid-way and a
// fourth worker is started: at the end every order is in the outbox exactly once.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <thread>

#include "tests/support/kafka_mock.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/test_support.hpp"

namespace synchub::test {
namespace {

constexpr int kFiles = 10;
constexpr int kOrdersPerFile = 5000;
constexpr int kOrders = kFiles * kOrdersPerFile;

std::string worker_config(const TempDir& dir, const std::string& worker, const std::string& bootstrap,
                          const std::string& state_url) {
  const std::string file = dir.str(worker + ".yaml");
  write_file(file, R"(hub: {name: cluster, worker_id: )" + worker + ", data_dir: " + worker +
                       R"(-data, log_format: json}
bus:
  type: kafka
  kafka:
    bootstrap_servers: ")" +
                       bootstrap +
                       R"("
    create_topics: false
    properties: {session.timeout.ms: "6000", heartbeat.interval.ms: "500"}
state: {type: postgresql, url: ")" +
                       state_url +
                       R"(", lease_ttl: 2s}
)" + file_orders_connectors("{outbox: outbox, fsync: false}") +
                       R"(flows:
  orders: {from: crm.orders, to: erp.orders, batch_size: 500}
)");
  return file;
}

// The file appears whole: the file source never reads hidden files.
void drop_orders_file(const TempDir& dir, int n) {
  std::string orders;
  for (int i = n * kOrdersPerFile; i < (n + 1) * kOrdersPerFile; ++i)
    orders += "{\"order_id\":\"SO-" + std::to_string(i) + "\",\"total\":\"" + std::to_string(i) + ".25\"}\n";
  const std::string name = "orders-" + std::to_string(100 + n) + ".jsonl";
  write_file(dir.path() / "inbox" / ("." + name), orders);
  fs::rename(dir.path() / "inbox" / ("." + name), dir.path() / "inbox" / name);
}

// How often each order is in the outbox.
std::map<std::string, int> orders_in_outbox(const TempDir& dir) {
  std::map<std::string, int> seen;
  for (const auto& line : lines_in_dir(dir.path() / "outbox")) {
    const auto start = line.find("\"SO-");
    if (start != std::string::npos) ++seen[line.substr(start + 1, line.find('"', start + 1) - start - 1)];
  }
  return seen;
}

bool polls_the_source(const TempDir& dir, const std::string& worker) {
  return read_file(dir.path() / (worker + ".log")).find("this worker polls the stream") != std::string::npos;
}

TEST(ScaleOut, ThreeWorkersOneKilledMidWayEveryOrderLandsExactlyOnce) {
  KafkaMock kafka;
  kafka.command("topic crm.orders 6 3");
  TempDir dir;
  fs::create_directories(dir.path() / "inbox");
  const std::string url = shared_postgres().create_database();
  std::map<std::string, std::unique_ptr<Process>> workers;
  auto start = [&](const std::string& name) {
    workers[name] = std::make_unique<Process>(
        std::vector<std::string>{"run", "-c", worker_config(dir, name, kafka.bootstrap_servers(), url)},
        dir.str(name + ".log"));
  };
  for (const char* name : {"w1", "w2", "w3"}) start(name);

  // Half of the orders, then wait until the flow is well under way.
  int dropped = 0;
  for (; dropped < kFiles / 2; ++dropped) drop_orders_file(dir, dropped);
  ASSERT_TRUE(eventually([&] { return lines_in_dir(dir.path() / "outbox").size() >= size_t{kOrders / 5}; },
                         std::chrono::seconds(120)))
      << lines_in_dir(dir.path() / "outbox").size() << " of " << kOrders / 5 << " lines\n"
      << read_file(dir.path() / "w1.log");

  // Kill the worker that reads the source (it also holds partitions), start another.
  std::string holder;
  for (const char* name : {"w1", "w2", "w3"})
    if (polls_the_source(dir, name)) holder = name;
  ASSERT_FALSE(holder.empty());
  workers[holder]->kill_hard();
  const size_t at_kill = lines_in_dir(dir.path() / "outbox").size();
  start("w4");
  for (; dropped < kFiles; ++dropped) drop_orders_file(dir, dropped);

  // Up to 5 minutes (AddressSanitizer, two cores): every order there.
  std::map<std::string, int> seen;
  const bool all_there = eventually(
      [&] {
        seen = orders_in_outbox(dir);
        return seen.size() == size_t{kOrders};
      },
      std::chrono::seconds(300), std::chrono::milliseconds(100));
  std::string survivors_log;
  for (const auto& [name, process] : workers)
    if (name != holder) survivors_log += name + ":\n" + read_file(dir.path() / (name + ".log")).substr(0, 4000);
  ASSERT_TRUE(all_there) << seen.size() << " of " << kOrders << " orders; killed " << holder << " at " << at_kill
                         << " lines\n"
                         << survivors_log;
  // Redeliveries of what the killed worker left uncommitted would come now: give them time, then stop.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  for (auto& [name, process] : workers)
    if (name != holder) {
      EXPECT_EQ(process->terminate(), 0) << name << " at its stop:\n" << tail_of(dir.path() / (name + ".log"), 6000);
    }
  seen = orders_in_outbox(dir);
  EXPECT_EQ(seen.size(), size_t{kOrders});
  int twice = 0;
  for (const auto& [order, count] : seen)
    if (count != 1) ++twice;
  EXPECT_EQ(twice, 0) << "orders in the outbox more than once";
  EXPECT_EQ(lines_in_dir(dir.path() / "outbox").size(), size_t{kOrders});
  EXPECT_GT(at_kill, 0u);
  EXPECT_LT(at_kill, size_t{kOrders}) << "the kill came mid-way";
  // Someone else took the source over after the kill.
  bool taken_over = false;
  for (const char* name : {"w1", "w2", "w3", "w4"})
    if (name != holder && polls_the_source(dir, name)) taken_over = true;
  EXPECT_TRUE(taken_over);
}

}  // namespace
}  // namespace synchub::test
