// `synchub run` on the Kafka bus (librdkafka's mock cluster in its own
// process) with its state in PostgreSQL: orders go file -> Kafka -> file
// exactly once, a restart reads nothing again, and kcat sees the CloudEvents
// headers on the topic.
#include <gtest/gtest.h>

#include <set>

#include "tests/support/kafka_mock.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/test_support.hpp"

namespace synchub::test {
namespace {

TEST(KafkaHub, OrdersFlowThroughKafkaExactlyOnceAndARestartReadsNothingAgain) {
  KafkaMock kafka;
  kafka.command("topic crm.orders 4 3");
  TempDir dir;
  fs::create_directories(dir.path() / "inbox");
  std::string orders;
  for (int i = 0; i < 2000; ++i)
    orders += "{\"order_id\":\"SO-" + std::to_string(i) + "\",\"total\":\"" + std::to_string(i) + ".10\"}\n";
  write_file(dir.path() / "inbox" / "orders.jsonl", orders);
  write_file(dir.path() / "synchub.yaml", R"(hub: {name: cluster, log_format: json}
bus:
  type: kafka
  kafka:
    bootstrap_servers: ")" + kafka.bootstrap_servers() +
                                              R"("
    create_topics: false
    properties: {session.timeout.ms: "6000", heartbeat.interval.ms: "500"}
state: ")" + shared_postgres().create_database() +
                                              "\"\n" + file_orders_connectors() + R"(flows:
  orders: {from: crm.orders, to: erp.orders, batch_size: 500}
)");
  CommandResult run = run_synchub({"run", "--once", "-c", dir.str("synchub.yaml")});
  ASSERT_EQ(run.exit_code, 0) << run.err << run.out.substr(0, 3000);
  auto lines = lines_in_dir(dir.path() / "outbox");
  EXPECT_EQ(lines.size(), 2000u);
  std::set<std::string> unique(lines.begin(), lines.end());
  EXPECT_EQ(unique.size(), 2000u);
  EXPECT_NE(lines[0].find("\"total\":\""), std::string::npos) << lines[0];

  CommandResult again = run_synchub({"run", "--once", "-c", dir.str("synchub.yaml")});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(lines_in_dir(dir.path() / "outbox").size(), 2000u) << "committed offsets and cursor: nothing again";

  // The events as any Kafka client sees them: key, value, ce_* headers.
  const std::string kcat = "kcat -b " + kafka.bootstrap_servers() +
                           " -C -t crm.orders -p 0 -o beginning -c 1 -e -f '%k|%h|%s\\n' > " + dir.str("kcat.txt") +
                           " 2> " + dir.str("kcat.err");
  ASSERT_EQ(std::system(kcat.c_str()), 0) << read_file(dir.path() / "kcat.err");
  const std::string seen = read_file(dir.path() / "kcat.txt");
  EXPECT_EQ(seen.rfind("SO-", 0), 0u) << seen;
  EXPECT_NE(seen.find("ce_specversion=1.0"), std::string::npos) << seen;
  EXPECT_NE(seen.find("ce_source=/synchub/crm/orders"), std::string::npos) << seen;
  EXPECT_NE(seen.find("{\"order_id\":\"SO-"), std::string::npos) << seen;
}

}  // namespace
}  // namespace synchub::test
