// Errors no wait can clear (issue 22, item 10): a bus batch that cannot be
// decoded, a data folder that stopped taking writes (read-only, or full) while
// synchub ran. `run --once`
// stops on them within a bounded time, exits 4 naming the error, commits
// nothing past it; after the fix a run delivers everything once.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <thread>

#include "runtime/base/sqlite.hpp"
#include "tests/support/test_support.hpp"

namespace synchub::test {
namespace {

class Stuck : public ::testing::Test {
 protected:
  void write_config(const std::string& flow_extra, const std::string& inbox_settle = "0s") {
    write_file(dir_.path() / "synchub.yaml",
               "hub: {name: t, log_format: json}\n"
               "connectors:\n"
               "  crm:\n    type: file\n    streams:\n"
               "      orders: {key: order_id, inbox: inbox, poll_interval: 50ms, settle: " +
                   inbox_settle +
                   "}\n"
                   "  erp:\n    type: file\n    streams:\n      orders: {outbox: outbox, fsync: false}\n"
                   "flows:\n  orders: {from: crm.orders, to: erp.orders, retry: {initial_backoff: 50ms, "
                   "max_backoff: 400ms}" +
                   flow_extra + "}\n");
  }
  void drop_orders(const std::string& file, int from, int to) {
    std::string text;
    for (int i = from; i < to; ++i)
      text += "{\"order_id\":\"SO-" + std::to_string(i) + "\",\"total\":\"" + std::to_string(i) + ".10\"}\n";
    write_file(dir_.path() / "inbox" / ("." + file), text);
    fs::rename(dir_.path() / "inbox" / ("." + file), dir_.path() / "inbox" / file);
  }
  CommandResult run_once() { return run_synchub({"run", "--once", "-c", dir_.str("synchub.yaml")}); }
  std::map<std::string, int> delivered() {
    std::map<std::string, int> seen;
    for (const auto& line : lines_in_dir(dir_.path() / "outbox")) ++seen[line.substr(13, line.find('"', 13) - 13)];
    return seen;
  }

  TempDir dir_;
};

TEST_F(Stuck, ABusBatchThatCannotBeReadStopsRunOnceNamingIt) {
  fs::create_directories(dir_.path() / "inbox");
  write_config(", enabled: false");  // published, not consumed yet
  drop_orders("a.jsonl", 0, 50);
  ASSERT_EQ(run_once().exit_code, 0);
  {
    runtime::Database bus(dir_.str("data/bus.db"), false, runtime::Journal::Rollback);
    bus.exec("UPDATE batches SET data = x'0102030405060708090a0b0c0d0e0f10'");
  }
  write_config("");
  const auto started = std::chrono::steady_clock::now();
  CommandResult stuck = run_once();
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(stuck.exit_code, 4) << stuck.err;
  EXPECT_NE(stuck.err.find("flow orders"), std::string::npos) << stuck.err;
  EXPECT_NE(stuck.err.find("corrupt event batch"), std::string::npos) << stuck.err;
  EXPECT_LT(took, std::chrono::seconds(60));
  EXPECT_TRUE(delivered().empty());
}

// Makes the data folder refuse writes: read-only permissions for an ordinary user; for root,
// whom permissions do not stop (and a tmpfs in use cannot be remounted read-only), a small tmpfs of
// its own, filled up.
class DataFolder {
 public:
  explicit DataFolder(const fs::path& path) : path_(path) {
    fs::create_directories(path);
    if (::geteuid() != 0) return;
    mounted_ = ::mount("tmpfs", path.c_str(), "tmpfs", 0, "size=16m") == 0;
  }
  ~DataFolder() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  bool can_refuse_writes() const { return ::geteuid() != 0 || mounted_; }
  void refuse_writes(bool refuse) {
    if (mounted_) {
      const fs::path filler = path_ / "filler";
      if (!refuse) {
        fs::remove(filler);
        return;
      }
      std::ofstream out(filler, std::ios::binary);
      const std::string block(1 << 16, 'x');
      while (out.write(block.data(), static_cast<std::streamsize>(block.size())) && out.flush()) {
      }
      return;
    }
    for (const auto& e : fs::directory_iterator(path_)) ::chmod(e.path().c_str(), refuse ? 0444 : 0644);
    ::chmod(path_.c_str(), refuse ? 0555 : 0755);
  }

 private:
  fs::path path_;
  bool mounted_ = false;
};

TEST_F(Stuck, ADataFolderThatRefusesWritesStopsRunOnceAndTheFixedRunDeliversOnce) {
  fs::create_directories(dir_.path() / "inbox");
  DataFolder data(dir_.path() / "data");
  if (!data.can_refuse_writes()) GTEST_SKIP() << "root without the right to mount a tmpfs";
  write_config("", "1s");
  drop_orders("a.jsonl", 0, 100);
  CommandResult first = run_once();
  ASSERT_EQ(first.exit_code, 0) << first.err;
  ASSERT_EQ(delivered().size(), 100u);

  // The next file is still being written (its line is not complete) when the data folder stops
  // taking writes (read-only, or full); then its lines come.
  // Its writer pauses for less than `settle` (generous: the hub must have started by then, or the
  // half line counts as the file's complete last line).
  write_config("", "5s");
  write_file(dir_.path() / "inbox" / "b.jsonl", "{\"order_id\":\"SO-100\",");
  Process hub({"run", "--once", "-c", dir_.str("synchub.yaml")}, dir_.str("hub.log"));
  // Once the hub has opened its files (a loaded machine can take longer than any fixed sleep):
  // refused at start, it would only fail to open them.
  ASSERT_TRUE(eventually([&] { return read_file(dir_.path() / "hub.log").find("hub started") != std::string::npos; },
                         std::chrono::seconds(60)))
      << tail_of(dir_.path() / "hub.log", 2000);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  data.refuse_writes(true);
  std::string rest = "\"total\":\"100.10\"}\n";
  for (int i = 101; i < 200; ++i)
    rest += "{\"order_id\":\"SO-" + std::to_string(i) + "\",\"total\":\"" + std::to_string(i) + ".10\"}\n";
  {
    std::ofstream append(dir_.path() / "inbox" / "b.jsonl", std::ios::app);
    append << rest;
  }
  std::optional<int> code = hub.wait_for(std::chrono::seconds(90));
  data.refuse_writes(false);
  ASSERT_TRUE(code.has_value()) << "still retrying after 90 s: " << tail_of(dir_.path() / "hub.log", 2000);
  EXPECT_EQ(*code, 4) << read_file(dir_.path() / "hub.log");
  const std::string log = read_file(dir_.path() / "hub.log");
  // The source (publishing) or the flow (committing its batch), whichever wrote first, with the file.
  EXPECT_NE(log.find("synchub run --once: stopped, "), std::string::npos) << tail_of(dir_.path() / "hub.log", 2000);
  EXPECT_NE(log.find((dir_.path() / "data").string()), std::string::npos) << tail_of(dir_.path() / "hub.log", 2000);

  CommandResult fixed = run_once();
  ASSERT_EQ(fixed.exit_code, 0) << fixed.err;
  auto seen = delivered();
  EXPECT_EQ(seen.size(), 200u);
  for (const auto& [key, n] : seen) EXPECT_EQ(n, 1) << key;
}

}  // namespace
}  // namespace synchub::test
