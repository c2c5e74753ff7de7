// Bad input through the real binary: every bad record reaches the
// dead-letter queue with its reason, every good one is synced, nothing
// crashes; a corrected dead letter replays and lands once.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/end_to_end/e2e_support.hpp"

namespace synchub::test {
namespace {

TEST(BadInput, BadRecordsAreDeadLetteredGoodOnesSyncedAndAFixLandsOnce) {
  TempDir dir;
  const std::string config = write_file_to_file_config(dir);
  std::string good;
  for (int i = 0; i < 50; ++i) good += examples::make_order(static_cast<uint64_t>(i), 3) + "\n";
  const std::string ten_mb(10 * 1024 * 1024, 'z');
  write_file(dir.path() / "inbox/orders/a-good.jsonl", good);
  write_file(dir.path() / "inbox/orders/b-bad.jsonl",
             "{\"order_id\":\"SO-BAD-1\",\"total\":12.5\n"     // malformed JSON
             "{\"order_id\":{\"id\":1},\"total\":\"1.00\"}\n"  // key of the wrong type
             "\"just a string\"\n"                             // not an object
             "{\"customer\":\"C-1\",\"total\":\"3.00\"}\n"     // no key
             "{\"order_id\":\"SO-BIG\",\"blob\":\"" +
                 ten_mb +
                 "\"}\n"                                              // 10 MB line
                 "{\"order_id\":\"SO-UTF\",\"name\":\"\xc3\x28\"}\n"  // invalid UTF-8
                 "{\"order_id\":\"SO-GOOD-AFTER\",\"total\":\"9.99\"}\n");

  CommandResult run = run_synchub({"run", "-c", config, "--once"});
  ASSERT_EQ(run.exit_code, 0) << run.err;

  auto delivered = lines_in_dir(dir.path() / "outbox/sale_orders");
  std::set<std::string> keys;
  for (const auto& l : delivered) keys.insert(order_id_of(l));
  EXPECT_EQ(delivered.size(), 51u);
  EXPECT_EQ(keys.size(), 51u);
  EXPECT_TRUE(keys.count("SO-GOOD-AFTER"));

  CommandResult list = run_synchub({"dlq", "list", "-c", config, "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  auto entries = nlohmann::json::parse(list.out);
  ASSERT_EQ(entries.size(), 6u) << list.out;
  std::map<std::string, std::string> reason_at;
  for (const auto& e : entries) {
    EXPECT_EQ(e["stage"], "source");
    EXPECT_EQ(e["status"], "pending");
    EXPECT_EQ(e["flow"], "crm.orders");
    reason_at[e["origin"].get<std::string>()] = e["error"].get<std::string>();
  }
  EXPECT_NE(reason_at["b-bad.jsonl:1"].find("malformed JSON"), std::string::npos);
  EXPECT_EQ(reason_at["b-bad.jsonl:2"], "key 'order_id' must be a string or an integer");
  EXPECT_EQ(reason_at["b-bad.jsonl:3"], "expected a JSON object");
  EXPECT_EQ(reason_at["b-bad.jsonl:4"], "missing key 'order_id'");
  EXPECT_EQ(reason_at["b-bad.jsonl:5"], "record is 10485791 bytes, over max_record_size (1048576)");
  EXPECT_EQ(reason_at["b-bad.jsonl:6"], "invalid UTF-8");

  // The 10 MB record is kept whole for inspection.
  int64_t big_id = 0, missing_key_id = 0;
  for (const auto& e : entries) {
    if (e["origin"] == "b-bad.jsonl:5") big_id = e["id"];
    if (e["origin"] == "b-bad.jsonl:4") missing_key_id = e["id"];
  }
  CommandResult show = run_synchub({"dlq", "show", "-c", config, std::to_string(big_id)});
  ASSERT_EQ(show.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(show.out)["input"].get<std::string>().size(), 10485791u);

  // Replay without a fix fails again and stays in the queue.
  ASSERT_EQ(run_synchub({"dlq", "replay", "-c", config, std::to_string(missing_key_id)}).exit_code, 0);
  ASSERT_EQ(run_synchub({"run", "-c", config, "--once"}).exit_code, 0);
  auto still = nlohmann::json::parse(run_synchub({"dlq", "show", "-c", config, std::to_string(missing_key_id)}).out);
  EXPECT_EQ(still["status"], "pending");
  EXPECT_EQ(still["attempts"], 2);

  // With the record corrected it lands once.
  write_file(dir.path() / "fixed.json", "{\"order_id\":\"SO-FIXED\",\"customer\":\"C-1\",\"total\":\"3.00\"}\n");
  CommandResult replay =
      run_synchub({"dlq", "replay", "-c", config, std::to_string(missing_key_id), "--input", dir.str("fixed.json")});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  ASSERT_EQ(run_synchub({"run", "-c", config, "--once"}).exit_code, 0);
  ASSERT_EQ(run_synchub({"run", "-c", config, "--once"}).exit_code, 0);
  int fixed = 0;
  for (const auto& l : lines_in_dir(dir.path() / "outbox/sale_orders")) {
    if (order_id_of(l) == "SO-FIXED") {
      ++fixed;
      EXPECT_EQ(l, "{\"order_id\":\"SO-FIXED\",\"customer\":\"C-1\",\"total\":\"3.00\"}");
    }
  }
  EXPECT_EQ(fixed, 1);
  auto done = nlohmann::json::parse(run_synchub({"dlq", "show", "-c", config, std::to_string(missing_key_id)}).out);
  EXPECT_EQ(done["status"], "replayed");
  EXPECT_NE(run_synchub({"dlq", "replay", "-c", config, std::to_string(missing_key_id)}).exit_code, 0)
      << "a replayed dead letter cannot be replayed again";
  CommandResult discard = run_synchub({"dlq", "discard", "-c", config, std::to_string(big_id)});
  EXPECT_EQ(discard.exit_code, 0);
  auto pending = nlohmann::json::parse(run_synchub({"dlq", "list", "-c", config, "--json", "--status", "pending"}).out);
  EXPECT_EQ(pending.size(), 4u);
}

TEST(BadInput, CsvSourceWithBadRowsKeepsGoing) {
  TempDir dir;
  const std::string config = write_file_to_file_config(dir, "", "        format: csv\n");
  write_file(dir.path() / "inbox/orders/a.csv",
             "order_id,customer,total\n"
             "SO-1,\"Acme, Inc.\",100.10\n"
             "SO-2,short\n"
             ",no key,1.00\n"
             "SO-3,上海华联,12345678901234.56\n");
  ASSERT_EQ(run_synchub({"run", "-c", config, "--once"}).exit_code, 0);
  auto delivered = lines_in_dir(dir.path() / "outbox/sale_orders");
  ASSERT_EQ(delivered.size(), 2u);
  std::sort(delivered.begin(), delivered.end());
  EXPECT_EQ(delivered[0], R"({"order_id":"SO-1","customer":"Acme, Inc.","total":"100.10"})");
  EXPECT_EQ(delivered[1], R"({"order_id":"SO-3","customer":"上海华联","total":"12345678901234.56"})");
  auto entries = nlohmann::json::parse(run_synchub({"dlq", "list", "-c", config, "--json"}).out);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0]["error"], "expected 3 fields (as the header), got 2");
  EXPECT_EQ(entries[1]["error"], "empty key 'order_id'");
}

// Readers disagree on a record that names a member twice (the mapping and the
// ledger read the first, a downstream parser the last): it is dead-lettered,
// naming the key, at any depth; the records around it go on.
TEST(BadInput, ARecordThatNamesAKeyTwiceIsDeadLetteredNamingIt) {
  TempDir dir;
  const std::string config = write_file_to_file_config(dir);
  write_file(dir.path() / "inbox/orders/a.jsonl",
             "{\"order_id\":\"SO-1\",\"total\":\"1.00\"}\n"
             "{\"order_id\":\"SO-2\",\"total\":\"1.00\",\"total\":\"2.00\"}\n"
             "{\"order_id\":\"SO-3\",\"lines\":[{\"sku\":\"A\",\"qty\":1,\"sku\":\"B\"}]}\n"
             "{\"order_id\":\"SO-4\",\"total\":\"4.00\"}\n");
  ASSERT_EQ(run_synchub({"run", "-c", config, "--once"}).exit_code, 0);
  auto delivered = lines_in_dir(dir.path() / "outbox/sale_orders");
  std::set<std::string> keys;
  for (const auto& l : delivered) keys.insert(order_id_of(l));
  EXPECT_EQ(keys, (std::set<std::string>{"SO-1", "SO-4"}));
  EXPECT_EQ(delivered.size(), 2u);
  auto entries = nlohmann::json::parse(run_synchub({"dlq", "list", "-c", config, "--json"}).out);
  ASSERT_EQ(entries.size(), 2u);
  std::map<std::string, std::string> reason_at;
  for (const auto& e : entries) {
    EXPECT_EQ(e["stage"], "source");
    reason_at[e["origin"].get<std::string>()] = e["error"].get<std::string>();
  }
  EXPECT_EQ(reason_at["a.jsonl:2"], "duplicate key 'total'");
  EXPECT_EQ(reason_at["a.jsonl:3"], "duplicate key 'sku'");
}

}  // namespace
}  // namespace synchub::test
