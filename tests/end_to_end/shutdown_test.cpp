// `synchub run` asked to stop while its Kafka cluster is gone: it waits for
// the batches in flight no longer than hub.shutdown_timeout, then exits
// saying what was not confirmed; a second signal ends it at once. What was
// not confirmed is delivered by the next run: nothing is lost.
#include <gtest/gtest.h>
#include <signal.h>

#include <set>
#include <thread>

#include "tests/support/kafka_mock.hpp"
#include "tests/support/test_support.hpp"

namespace synchub::test {
namespace {

std::string orders(int from, int to) {
  std::string text;
  for (int i = from; i < to; ++i)
    text += "{\"order_id\":\"SO-" + std::to_string(i) + "\",\"total\":\"" + std::to_string(i) + ".10\"}\n";
  return text;
}

// A hub on the mock cluster, file to file, that has moved its first orders; then the cluster goes
// and more orders come.
struct HubWhoseClusterWent {
  TempDir dir;
  std::unique_ptr<KafkaMock> kafka = std::make_unique<KafkaMock>();
  std::unique_ptr<Process> hub;

  HubWhoseClusterWent() {
    kafka->command("topic crm.orders 2 3");
    fs::create_directories(dir.path() / "inbox");
    write_file(dir.path() / "inbox" / "a.jsonl", orders(0, 500));
    write_file(dir.path() / "synchub.yaml",
               "hub: {name: t, log_format: json, shutdown_timeout: 3s}\n"
               "bus:\n  type: kafka\n  kafka:\n    bootstrap_servers: \"" +
                   kafka->bootstrap_servers() + "\"\n    create_topics: false\n" + file_orders_connectors() +
                   "flows:\n  orders: {from: crm.orders, to: erp.orders}\n");
    hub = std::make_unique<Process>(std::vector<std::string>{"run", "-c", dir.str("synchub.yaml")}, dir.str("log"));
    eventually([&] { return lines_in_dir(dir.path() / "outbox").size() >= 500; }, std::chrono::seconds(60),
               std::chrono::milliseconds(100));
    kafka.reset();  // the whole cluster: every broker gone
    write_file(dir.path() / "inbox" / "b.jsonl", orders(500, 1000));
    std::this_thread::sleep_for(std::chrono::seconds(2));  // read, and waiting for the gone cluster
  }
};

TEST(Shutdown, AHubWhoseClusterIsGoneStopsWithinItsTimeoutSayingWhatWasNotConfirmed) {
  HubWhoseClusterWent run;
  ASSERT_EQ(lines_in_dir(run.dir.path() / "outbox").size(), 500u) << tail_of(run.dir.path() / "log", 3000);
  run.hub->signal(SIGTERM);
  // 3 s of timeout; the bound leaves room for a slow machine, and is far from librdkafka's minutes.
  std::optional<int> code = run.hub->wait_for(std::chrono::seconds(40));
  if (!code) run.hub->kill_hard();
  ASSERT_TRUE(code.has_value()) << "still running 40 s after SIGTERM:\n" << tail_of(run.dir.path() / "log", 3000);
  // 3: the batches in flight waited for the cluster past the timeout, and the log says so.
  EXPECT_EQ(*code, 3) << tail_of(run.dir.path() / "log", 3000);
  EXPECT_NE(read_file(run.dir.path() / "log").find("exiting without confirming the batches in flight"),
            std::string::npos);
  EXPECT_EQ(lines_in_dir(run.dir.path() / "outbox").size(), 500u);
}

TEST(Shutdown, ASecondSignalEndsTheHubAtOnce) {
  HubWhoseClusterWent run;
  run.hub->signal(SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  run.hub->signal(SIGTERM);
  std::optional<int> code = run.hub->wait_for(std::chrono::seconds(2));
  if (!code) run.hub->kill_hard();
  ASSERT_TRUE(code.has_value()) << "the second SIGTERM was ignored";
  EXPECT_EQ(*code, 130);
}

}  // namespace
}  // namespace synchub::test
