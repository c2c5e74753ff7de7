// 20,000 orders file -> file while synchub is killed with SIGKILL at 10
// random moments: at the end every order is in the target exactly once,
// byte for byte as in the source (one file per batch, and files rolled).
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <optional>
#include <random>
#include <thread>

#include "tests/end_to_end/e2e_support.hpp"

namespace synchub::test {
namespace {

// Runs the hub on `config` (written in `dir`) killed at 10 random moments, then once to its end.
// With `working`, each moment is counted from when it holds (the hub is writing).
void twenty_thousand_orders_survive_ten_kills(const TempDir& dir, const std::string& config,
                                              const std::function<bool()>& working = nullptr) {
  const auto source = drop_orders(dir, 20000, 40, 11);
  ASSERT_EQ(source.size(), 20000u);

  const unsigned seed = std::random_device{}();
  std::mt19937 rng(seed);
  SCOPED_TRACE("kill schedule seed " + std::to_string(seed));
  std::uniform_int_distribution<int> moment_ms(30, 700);
  const std::string log = dir.str("synchub.log");
  int kills_mid_work = 0;
  for (int kill = 0; kill < 10; ++kill) {
    Process hub({"run", "-c", config}, log);
    if (working)
      eventually([&] { return !hub.running() || working(); }, std::chrono::seconds(30), std::chrono::milliseconds(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(moment_ms(rng)));
    ASSERT_TRUE(hub.running()) << read_file(log);
    hub.kill_hard();
    size_t delivered = lines_in_dir(dir.path() / "outbox/sale_orders").size();
    kills_mid_work += delivered < 20000 ? 1 : 0;
    std::printf("kill %d: %zu lines in the target\n", kill + 1, delivered);
  }
  // The kills must hit the sync while it works, not after it is done.
  EXPECT_GE(kills_mid_work, 5);

  // A last run drains what is left and exits on its own.
  CommandResult last = run_synchub({"run", "-c", config, "--once"});
  ASSERT_EQ(last.exit_code, 0) << last.out << last.err;

  std::map<std::string, int> seen;
  for (const auto& line : lines_in_dir(dir.path() / "outbox/sale_orders")) {
    std::string key = order_id_of(line);
    ASSERT_TRUE(source.count(key)) << "unexpected record " << line.substr(0, 80);
    EXPECT_EQ(line, source.at(key)) << key;
    ++seen[key];
  }
  size_t duplicated = 0;
  for (const auto& [key, n] : seen) duplicated += n > 1 ? 1 : 0;
  EXPECT_EQ(seen.size(), 20000u) << "lost " << 20000 - seen.size();
  EXPECT_EQ(duplicated, 0u);
  // Every input file was archived and nothing went to the dead-letter queue.
  EXPECT_TRUE(fs::is_empty(dir.path() / "inbox/orders/archive") == false);
  size_t inbox_files = 0;
  for (const auto& e : fs::directory_iterator(dir.path() / "inbox/orders")) inbox_files += e.is_regular_file() ? 1 : 0;
  EXPECT_EQ(inbox_files, 0u);
  CommandResult dlq = run_synchub({"dlq", "list", "-c", config, "--json"});
  EXPECT_EQ(dlq.out, "[]\n");
}

TEST(CrashSafety, TwentyThousandOrdersSurviveTenKillsExactlyOnce) {
  TempDir dir;
  twenty_thousand_orders_survive_ten_kills(dir, write_file_to_file_config(dir));
}

// The same with the sink's files rolled: a kill lands while a file is open and several batches
// are in it; the last run's clean stop closes it.
TEST(CrashSafety, RolledFilesSurviveTenKillsExactlyOnce) {
  TempDir dir;
  std::string config = read_file(write_file_to_file_config(dir));
  const std::string outbox = "        outbox: outbox/sale_orders\n";
  config.insert(config.find(outbox) + outbox.size(), "        roll: {max_records: 1200, max_age: 300ms}\n");
  write_file(dir.str("synchub.yaml"), config);
  auto open_file = [&] {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir.path() / "outbox/sale_orders", ec))
      if (e.path().filename().string().ends_with(".open")) return true;
    return false;
  };
  auto outbox_bytes = [&] {
    uintmax_t bytes = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir.path() / "outbox/sale_orders", ec)) bytes += e.file_size(ec);
    return bytes;
  };
  // Each run is killed once it has written into an open file (the last run's file is open already).
  std::optional<uintmax_t> at_start;
  int kills_in_open_file = 0;
  twenty_thousand_orders_survive_ten_kills(dir, dir.str("synchub.yaml"), [&] {
    if (!at_start) at_start = outbox_bytes();
    if (!open_file() || outbox_bytes() <= *at_start) return false;
    at_start.reset();
    ++kills_in_open_file;
    return true;
  });
  EXPECT_GE(kills_in_open_file, 5);
  EXPECT_FALSE(open_file()) << "closed by the clean stop";
}

TEST(CrashSafety, SigtermFinishesTheBatchInFlightAndExitsZero) {
  TempDir dir;
  const std::string config = write_file_to_file_config(dir);
  drop_orders(dir, 3000, 3, 5);
  const std::string log = dir.str("synchub.log");
  Process hub({"run", "-c", config}, log);
  // Stopped once it delivers (a fixed wait stopped a process still starting, on a busy machine).
  eventually([&] { return !hub.running() || !lines_in_dir(dir.path() / "outbox/sale_orders").empty(); },
             std::chrono::seconds(30), std::chrono::milliseconds(20));
  ASSERT_TRUE(hub.running()) << read_file(log);
  EXPECT_EQ(hub.terminate(), 0) << read_file(log);
  // What was written is whole: every line parses to a known order id.
  for (const auto& line : lines_in_dir(dir.path() / "outbox/sale_orders")) EXPECT_FALSE(order_id_of(line).empty());
  CommandResult rest = run_synchub({"run", "-c", config, "--once"});
  ASSERT_EQ(rest.exit_code, 0) << rest.out << rest.err;
  EXPECT_EQ(lines_in_dir(dir.path() / "outbox/sale_orders").size(), 3000u);
}

}  // namespace
}  // namespace synchub::test
