// The README's quick start, command by command: each `make` command it shows runs here as a user
// runs it (`make -o build -o deps TARGET`: everything but the install and the release build,
// on this test build's binaries), in a folder of its own (DEMO_DIR) with its admin API on a free
// port (ADMIN_PORT), and what it prints is checked: the records it says moved, the dead letters
// it lists, the reconciliation's verdict.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <regex>
#include <set>

#include "tests/support/test_support.hpp"

namespace synchub::test {
namespace {

// The `make` targets the README's quick start section names, in its ```sh blocks or its text.
std::set<std::string> quick_start_targets() {
  const std::string readme = read_file(SYNCHUB_SOURCE_DIR "/README.md");
  const size_t start = readme.find("\n## Quick start");
  const size_t end = readme.find("\n## ", start + 1);
  const std::string section = readme.substr(start, end - start);
  std::set<std::string> targets;
  const std::regex make(R"((^|[\s`])make ([a-z][a-z0-9-]*))");
  for (auto it = std::sregex_iterator(section.begin(), section.end(), make); it != std::sregex_iterator(); ++it)
    targets.insert((*it)[2]);
  return targets;
}

bool port_is_free(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return free;
}

// A loopback port that is free, and the next one too (the cluster demo's second worker).
int two_free_ports() {
  for (int attempt = 0; attempt < 200; ++attempt) {
    const int port = 20000 + static_cast<int>((::getpid() * 7919 + attempt * 104729) % 40000);
    if (port_is_free(port) && port_is_free(port + 1)) return port;
  }
  throw std::runtime_error("no two free loopback ports");
}

struct Demo {
  CommandResult result;
  std::string output;  // stdout and stderr
  TempDir dir;         // DEMO_DIR
};

// Runs `make TARGET` as the README shows it, but for the install and the release build.
std::unique_ptr<Demo> run_make(const std::string& target) {
  auto demo = std::make_unique<Demo>();
  const std::string folder = demo->dir.str("demo-run");
  ::setenv("DEMO_DIR", folder.c_str(), 1);
  ::setenv("ADMIN_PORT", std::to_string(two_free_ports()).c_str(), 1);
  demo->result = run_program("/usr/bin/make", {"-s", "-C", SYNCHUB_SOURCE_DIR, "-o", "build", "-o", "deps", target,
                                               std::string("DEMO_BUILD=") + SYNCHUB_BUILD_DIR});
  demo->output = demo->result.out + demo->result.err;
  return demo;
}

// The number after `before` in `text` (the first one), or -1.
long number_after(const std::string& text, const std::string& before) {
  const size_t at = text.find(before);
  if (at == std::string::npos) return -1;
  return std::strtol(text.c_str() + at + before.size(), nullptr, 10);
}

TEST(QuickStartCommands, EveryMakeCommandOfTheQuickStartIsRunByATestHere) {
  // make test is this run; make chaos's matrix runs smaller as Chaos.QuickMatrixLosesAndDuplicatesNothing.
  const std::set<std::string> run_here = {"demo", "demo-cluster", "demo-files", "demo-k3cloud", "demo-tryton"};
  for (const auto& target : quick_start_targets())
    EXPECT_TRUE(run_here.contains(target) || target == "test" || target == "chaos")
        << "the README's quick start shows `make " << target << "`, which no test runs";
  EXPECT_TRUE(quick_start_targets().contains("demo"));
}

TEST(QuickStartCommands, MakeDemo) {
  const auto demo = run_make("demo");
  const std::string& out = demo->output;
  ASSERT_EQ(demo->result.exit_code, 0) << out;
  EXPECT_NE(out.find("16 passed, 0 failed"), std::string::npos) << "synchub test on the mappings\n" << out;
  EXPECT_EQ(out.find("admin API not reachable"), std::string::npos) << out;
  EXPECT_NE(out.find("synchub_records_total{flow=\"orders_to_erp\",outcome=\"created\"}"), std::string::npos) << out;
  // What each of the four flows moved, as the simulators count it.
  EXPECT_GT(number_after(out, "ERP sales orders "), 50) << out;
  EXPECT_GT(number_after(out, "2. stock:        "), 0) << out;
  EXPECT_GT(number_after(out, "3. credit:       "), 0) << out;
  EXPECT_GT(number_after(out, "invoices:     ERP "), 0) << out;
  EXPECT_GT(number_after(out, "finance drop "), 0) << out;
  // The dead letters it lists: the walk-in orders, which have no customer.
  const size_t dead_letters = out.find("\ndead letters:\n");
  ASSERT_NE(dead_letters, std::string::npos) << out;
  EXPECT_NE(out.find("customer.id: required value is missing", dead_letters), std::string::npos) << out;
  // One order's path: its ERP sales order, its invoice in the CRM and in both finance files.
  const size_t trace = out.find("(synchub trace SO");
  ASSERT_NE(trace, std::string::npos) << out;
  for (const char* hop :
       {"written created -> ", "invoices_to_crm  INV-", "invoices_to_finance  INV-", "invoices_to_finance_csv  INV-"})
    EXPECT_NE(out.find(hop, trace), std::string::npos) << hop << "\n" << out;
  EXPECT_NE(out.find("the systems agree; the report for finance"), std::string::npos) << out;
  EXPECT_TRUE(std::filesystem::exists(demo->dir.path() / "demo-run" / "reconciliation.xlsx"));
}

}  // namespace
}  // namespace synchub::test

namespace synchub::test {
namespace {

TEST(QuickStartCommands, MakeDemoCluster) {
  const auto demo = run_make("demo-cluster");
  const std::string& out = demo->output;
  ASSERT_EQ(demo->result.exit_code, 0) << out;
  // Both workers polled sources; w1 was killed and w2, still up, answers for the hub.
  EXPECT_NE(out.find("w1 killed"), std::string::npos) << out;
  EXPECT_GT(number_after(out, "sources polled by w1: "), 0) << out;
  EXPECT_GT(number_after(out, ", by w2: "), 0) << out;
  EXPECT_EQ(out.find("admin API not reachable"), std::string::npos) << out;
  EXPECT_GT(number_after(out, "ERP sales orders "), 0) << out;
  EXPECT_NE(out.find("customer.id: required value is missing", out.find("\ndead letters:\n")), std::string::npos)
      << out;
  // Whatever is still on its way when the demo stops is in flight, with its reason: the
  // systems agree.
  EXPECT_NE(out.find("the systems agree; the report for finance"), std::string::npos) << out;
}

TEST(QuickStartCommands, MakeDemoFiles) {
  const auto demo = run_make("demo-files");
  const std::string& out = demo->output;
  ASSERT_EQ(demo->result.exit_code, 0) << out;
  EXPECT_GT(number_after(out, "outbox files: "), 0) << out;
  EXPECT_EQ(number_after(out, ", records: "), 5000) << out;
  EXPECT_NE(out.find("archived inputs: orders-0001.jsonl orders-0002.jsonl"), std::string::npos) << out;
  // The two broken records, each in the dead-letter queue with its reason.
  EXPECT_NE(out.find("malformed JSON"), std::string::npos) << out;
  EXPECT_NE(out.find("missing key 'order_id'"), std::string::npos) << out;
  // It ran in DEMO_DIR, not beside the example's config in the source tree.
  EXPECT_EQ(lines_in_dir(demo->dir.path() / "demo-run" / "outbox" / "sale_orders").size(), 5000u);
}

TEST(QuickStartCommands, MakeDemoK3cloud) {
  const auto demo = run_make("demo-k3cloud");
  const std::string& out = demo->output;
  ASSERT_EQ(demo->result.exit_code, 0) << out;
  EXPECT_NE(out.find("OK: every eligible order is in K3 once and audited"), std::string::npos) << out;
  EXPECT_EQ(out.find("admin API not reachable"), std::string::npos) << out;
  // The order whose header total was corrupted waits in the dead-letter queue.
  EXPECT_NE(out.find("orders", out.find("\ndead letters:\n")), std::string::npos) << out;
}

TEST(QuickStartCommands, MakeDemoTryton) {
  const auto demo = run_make("demo-tryton");
  const std::string& out = demo->output;
  ASSERT_EQ(demo->result.exit_code, 0) << out;
  EXPECT_EQ(out.find("admin API not reachable"), std::string::npos) << out;
  EXPECT_GT(number_after(out, "finance drop: "), 0) << out;
  EXPECT_GT(number_after(out, "   CRM: "), 0) << "orders carrying their Tryton invoice\n" << out;
  // Orders Tryton refused, in the dead-letter queue with Tryton's own reason.
  EXPECT_NE(out.find("orders_to_tryton", out.find("\ndead letters (Tryton's reasons kept):\n")), std::string::npos)
      << out;
}

}  // namespace
}  // namespace synchub::test
