// The data folder's files lost or damaged between two runs, as an operator
// might find them: a bus log deleted or emptied beside its surviving offsets,
// a state store deleted, emptied or corrupt. Each stops `synchub run` with an
// error naming the file and the way out, instead of skipping or re-sending
// everything silently; the documented way out then works.
#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/test_support.hpp"

namespace synchub::test {
namespace {

class DataFiles : public ::testing::Test {
 protected:
  DataFiles() {
    fs::create_directories(dir_.path() / "inbox");
    write_file(dir_.path() / "synchub.yaml", "hub: {name: t, log_format: json}\n" + file_orders_connectors() +
                                                 "flows:\n  orders: {from: crm.orders, to: erp.orders}\n");
  }
  void drop_orders(const std::string& file, int from, int to) {
    std::string text;
    for (int i = from; i < to; ++i)
      text += "{\"order_id\":\"SO-" + std::to_string(i) + "\",\"total\":\"" + std::to_string(i) + ".10\"}\n";
    write_file(dir_.path() / "inbox" / file, text);
  }
  CommandResult run_once(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"run", "--once", "-c", dir_.str("synchub.yaml")};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_synchub(args);
  }
  size_t delivered() { return lines_in_dir(dir_.path() / "outbox").size(); }
  fs::path data(const std::string& name) { return dir_.path() / "data" / name; }

  TempDir dir_;
};

TEST_F(DataFiles, ABusLogDeletedBesideItsOffsetsStopsTheHubUntilTheOffsetsAreResetOnPurpose) {
  drop_orders("a.jsonl", 0, 300);
  ASSERT_EQ(run_once().exit_code, 0);
  ASSERT_EQ(delivered(), 300u);
  fs::remove(data("bus.db"));
  drop_orders("b.jsonl", 300, 400);
  CommandResult lost = run_once();
  EXPECT_EQ(lost.exit_code, 1) << lost.err;
  EXPECT_NE(lost.err.find(data("bus-offsets.db").string()), std::string::npos) << lost.err;
  EXPECT_NE(lost.err.find("synchub bus reset-offsets"), std::string::npos) << lost.err;
  EXPECT_EQ(delivered(), 300u);

  CommandResult reset = run_synchub({"bus", "reset-offsets", "-c", dir_.str("synchub.yaml")});
  EXPECT_EQ(reset.exit_code, 0) << reset.err;
  CommandResult again = run_once();
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(delivered(), 400u);
}

TEST_F(DataFiles, ABusLogEmptiedBesideItsOffsetsStopsTheHub) {
  drop_orders("a.jsonl", 0, 300);
  ASSERT_EQ(run_once().exit_code, 0);
  fs::resize_file(data("bus.db"), 0);
  drop_orders("b.jsonl", 300, 400);
  CommandResult lost = run_once();
  EXPECT_EQ(lost.exit_code, 1) << lost.err;
  EXPECT_NE(lost.err.find("bus-offsets.db"), std::string::npos) << lost.err;
  EXPECT_EQ(delivered(), 300u);
}

TEST_F(DataFiles, AStateStoreDeletedOrEmptiedBesideAUsedBusIsRefusedUnlessANewOneIsAskedFor) {
  drop_orders("a.jsonl", 0, 300);
  ASSERT_EQ(run_once().exit_code, 0);
  fs::remove(data("state.db"));
  CommandResult deleted = run_once();
  EXPECT_EQ(deleted.exit_code, 1) << deleted.err;
  EXPECT_NE(deleted.err.find(data("state.db").string() + " is missing or empty"), std::string::npos) << deleted.err;
  EXPECT_NE(deleted.err.find("--new-state"), std::string::npos) << deleted.err;
  std::ofstream(data("state.db"), std::ios::trunc).flush();  // 0 bytes
  EXPECT_EQ(run_once().exit_code, 1);
  EXPECT_EQ(delivered(), 300u);
  CommandResult fresh = run_once({"--new-state"});
  EXPECT_EQ(fresh.exit_code, 0) << fresh.err;
}

TEST_F(DataFiles, ADamagedStateStoreIsRefusedNamingTheFile) {
  drop_orders("a.jsonl", 0, 2000);
  ASSERT_EQ(run_once().exit_code, 0);
  {  // garbage over a page in the middle of the file: the ledger's B-tree
    std::fstream f(data("state.db"), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(data("state.db")) / 2));
    const std::string junk(8192, '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  CommandResult damaged = run_once();
  EXPECT_EQ(damaged.exit_code, 1) << damaged.err;
  EXPECT_NE(damaged.err.find(data("state.db").string()), std::string::npos) << damaged.err;
}

}  // namespace
}  // namespace synchub::test
