// The state-store contract for dead letters an admin can work through, on both implementations
// (SQLite and a real PostgreSQL): one entry per flow and key holding the newest input with every
// failure in its history; resolution by a later version in the ledger's own commit; reasons
// grouped; keys searched; edits recorded with who and the input before and after.
#include <gtest/gtest.h>

#include "runtime/base/sqlite.hpp"
#include "runtime/state/postgres.hpp"
#include "runtime/state/state_store.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/test_support.hpp"

namespace synchub::runtime {
namespace {

class DeadLetterContract : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<StateStore> open() {
    if (GetParam() == "sqlite") return open_sqlite_state(dir_.str("state.db"), false);
    if (url_.empty()) url_ = test::shared_postgres().create_database();
    return open_postgres_state(url_);
  }

  // Statements on the store's database, through a connection of their own.
  void raw(const std::string& sql) {
    if (GetParam() == "sqlite") {
      Database db(dir_.str("state.db"), false);
      db.exec(sql);
      return;
    }
    PgConnection db(url_);
    db.exec_script(sql);
  }

  // Lineage rows keyed BOOM make the commit fail after its dead letters are done (a crash there).
  void fail_commits_with_boom() {
    if (GetParam() == "sqlite") {
      Database db(dir_.str("state.db"), false);
      db.exec(
          "CREATE TRIGGER boom BEFORE INSERT ON lineage WHEN NEW.key='BOOM' BEGIN SELECT RAISE(ABORT, 'injected'); "
          "END");
      return;
    }
    PgConnection db(url_);
    db.exec_script(
        "CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected'; END $$ LANGUAGE plpgsql; "
        "CREATE TRIGGER boom BEFORE INSERT ON lineage FOR EACH ROW WHEN (NEW.key='BOOM') EXECUTE FUNCTION boom();");
  }

 private:
  test::TempDir dir_;
  std::string url_;
};

INSTANTIATE_TEST_SUITE_P(Backends, DeadLetterContract, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

DeadLetter failure(const std::string& key, int version, const std::string& error = "HTTP 422: refused") {
  return {0,
          "orders",
          DeadLetterStage::Sink,
          key,
          R"({"id":")" + key + R"(","v":)" + std::to_string(version) + "}",
          error,
          "m1",
          "crm.orders/" + key + "-" + std::to_string(version)};  // one event each
}

FlowBatchCommit with_failures(std::vector<DeadLetter> letters) {
  FlowBatchCommit batch{"orders"};
  batch.dead_letters = std::move(letters);
  return batch;
}

TEST_P(DeadLetterContract, AKeyFailingSevenTimesIsOneEntryWithSevenFailuresInItsHistory) {
  auto state = open();
  for (int v = 1; v <= 7; ++v)
    state->commit_flow_batch(with_failures({failure("SO-7", v, "error " + std::to_string(v))}));
  state->commit_flow_batch(with_failures({failure("SO-8", 1)}));
  state->commit_flow_batch(with_failures({failure("SO-7", 3)}));  // redelivered after a crash: not newer
  EXPECT_EQ(state->count_dead_letters("orders", "pending"), 2) << "one entry per key";
  auto entries = state->dead_letters({.flow = "orders", .status = "", .key = "SO-7"});
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].input, failure("SO-7", 7).input) << "the newest input";
  EXPECT_EQ(entries[0].error, "error 7");
  EXPECT_EQ(entries[0].origin, "crm.orders/SO-7-7");
  EXPECT_EQ(entries[0].attempts, 7);
  auto history = state->dead_letter_history(entries[0].id);
  ASSERT_EQ(history.size(), 7u);
  for (int v = 1; v <= 7; ++v) {
    const auto& item = history[static_cast<size_t>(v - 1)];
    EXPECT_EQ(item.kind, "failed");
    EXPECT_EQ(item.input, failure("SO-7", v).input) << "every input that failed is kept";
    EXPECT_EQ(item.error, "error " + std::to_string(v));
    EXPECT_EQ(item.mapping_version, "m1");
    EXPECT_GT(item.time_ms, 0);
  }
}

TEST_P(DeadLetterContract, ALaterVersionLandingResolvesTheEntryInTheLedgersCommit) {
  auto state = open();
  state->commit_flow_batch(with_failures({failure("SO-1", 1), failure("SO-2", 1)}));
  fail_commits_with_boom();
  FlowBatchCommit landed{"orders", {{"SO-1", "T-1", "h2", "m2", 5}}};
  landed.landed = {{"SO-1", "crm.orders/p0-200", "m2", 0}};
  LineageEvent boom;
  boom.key = "BOOM";
  landed.lineage = {boom};
  EXPECT_ANY_THROW(state->commit_flow_batch(landed)) << "the commit fails after its dead letters";
  EXPECT_FALSE(state->ledger("orders", {"SO-1"})[0]);
  EXPECT_EQ(state->count_dead_letters("orders", "pending"), 2) << "nothing half-done";

  landed.lineage.clear();
  state->commit_flow_batch(landed);
  EXPECT_TRUE(state->ledger("orders", {"SO-1"})[0]);
  EXPECT_EQ(state->count_dead_letters("orders", "pending"), 1);
  auto entry = state->dead_letters({.flow = "orders", .status = "", .key = "SO-1"}).at(0);
  EXPECT_EQ(entry.status, "resolved");
  EXPECT_EQ(entry.resolved_by, "crm.orders/p0-200");
  EXPECT_EQ(entry.resolved_version, "m2");
  EXPECT_FALSE(state->request_replay(entry.id, std::nullopt)) << "resolved is done";
  EXPECT_EQ(state->dead_letters({.flow = "orders", .status = "", .key = "SO-2"}).at(0).status, "pending");
  // Failing again after it landed: a new entry.
  state->commit_flow_batch(with_failures({failure("SO-1", 3)}));
  EXPECT_EQ(state->count_dead_letters("orders", "pending"), 2);
}

TEST_P(DeadLetterContract, InOneBatchAKeyThatFailsLandsAndFailsAgainEndsWithItsLastFailure) {
  auto state = open();
  FlowBatchCommit batch = with_failures({failure("SO-1", 1), failure("SO-1", 3)});
  batch.landed = {{"SO-1", "crm.orders/SO-1-2", "m1", 1}};  // between the two failures
  state->commit_flow_batch(batch);
  auto entries = state->dead_letters({.flow = "orders", .status = "", .key = "SO-1"});
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].status, "resolved");
  EXPECT_EQ(entries[1].status, "pending");
  EXPECT_EQ(entries[1].input, failure("SO-1", 3).input);
}

TEST_P(DeadLetterContract, ReasonsAreGroupedWithCounts) {
  EXPECT_EQ(dead_letter_reason(R"(customer: value "C9" has no xref in crm)"),
            "customer: value \"…\" has no xref in crm");
  EXPECT_EQ(dead_letter_reason("lines[12].unit_price:  expected decimal"), "lines[#].unit_price: expected decimal");
  EXPECT_EQ(dead_letter_reason("gave up after 7 attempts: HTTP 503 from 10.0.0.1"),
            "gave up after # attempts: HTTP 503 from #");
  EXPECT_EQ(dead_letter_reason("amount 1,234.50 over limit 1000.00"), "amount # over limit #");
  // A target's JSON error body: its member names and messages say the cause; their values vary.
  EXPECT_EQ(dead_letter_reason(R"(create of SO-43 answered HTTP 422: {"error":"unknown customer CUS-000009"})"),
            R"(create of SO-# answered HTTP 422: {"error":"unknown customer CUS-#"})");
  EXPECT_EQ(dead_letter_reason(R"(HTTP 422: {"error": "customer_code is required", "field": "customer_code"})"),
            R"(HTTP 422: {"error": "customer_code is required", "field": "…"})");
  EXPECT_EQ(dead_letter_reason(R"(HTTP 400: {"message":"value \"C9\" is not a party"})"),
            R"(HTTP 400: {"message":"value "…" is not a party"})");
  EXPECT_EQ(dead_letter_reason(R"(key "SO-1": refused)"), R"(key "…": refused)");
  auto state = open();
  state->commit_flow_batch(with_failures({failure("A", 1, R"(customer: value "C9" has no xref in crm)"),
                                          failure("B", 1, R"(customer: value "C12" has no xref in crm)"),
                                          failure("C", 1, R"(customer: value "C7" has no xref in crm)"),
                                          failure("D", 1, "HTTP 422: credit limit exceeded"),
                                          failure("E", 1, "lines[3].unit_price: expected decimal")}));
  auto groups = state->dead_letter_reasons({.flow = "orders", .status = "pending"});
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0].reason, "customer: value \"…\" has no xref in crm");
  EXPECT_EQ(groups[0].count, 3);
  EXPECT_EQ(groups[0].example_error, R"(customer: value "C7" has no xref in crm)") << "the newest";
  EXPECT_EQ(groups[1].count, 1);
  EXPECT_EQ(groups[2].count, 1);
  auto members = state->dead_letters({.flow = "orders", .reason = groups[0].reason});
  ASSERT_EQ(members.size(), 3u);
  EXPECT_EQ(members[0].key, "A");
}

TEST_P(DeadLetterContract, KeysAreFoundByAPartAndIdsBySelection) {
  auto state = open();
  state->commit_flow_batch(with_failures(
      {failure("SO-1001", 1), failure("SO-1002", 1), failure("so-2001", 1), failure("INV_1", 1), failure("INVX1", 1)}));
  EXPECT_EQ(state->dead_letters({.flow = "orders", .key_search = "SO-100"}).size(), 2u);
  EXPECT_EQ(state->dead_letters({.flow = "orders", .key_search = "so-"}).size(), 3u) << "ASCII case ignored";
  EXPECT_EQ(state->dead_letters({.flow = "orders", .key_search = "001"}).size(), 2u) << "any part";
  EXPECT_EQ(state->dead_letters({.flow = "orders", .key_search = "V_"}).size(), 1u) << "_ is no wildcard";
  EXPECT_TRUE(state->dead_letters({.flow = "orders", .key_search = "%"}).empty());
  auto all = state->dead_letters({.flow = "orders"});
  auto picked = state->dead_letters({.ids = {all[1].id, all[3].id, 999999}});
  ASSERT_EQ(picked.size(), 2u);
  EXPECT_EQ(picked[0].key, "SO-1002");
  EXPECT_EQ(picked[1].key, "INV_1");
}

TEST_P(DeadLetterContract, AnEditAndEachReplayAreRecordedWithWhoAndTheInputBeforeAndAfter) {
  auto state = open();
  state->commit_flow_batch(with_failures({failure("SO-1", 1)}));
  const auto entry = state->dead_letters({.flow = "orders"}).at(0);
  const std::string fixed = R"({"id":"SO-1","v":1,"customer":"C-1001"})";
  ASSERT_TRUE(state->request_replay(entry.id, fixed, "operator token 2"));
  EXPECT_EQ(state->dead_letter(entry.id)->input, fixed);
  EXPECT_EQ(state->replay_requests("orders", 10).at(0).input, fixed) << "the replay takes the corrected input";
  // The replay fails again: back to pending, in the history.
  state->commit_flow_batch({"orders", {}, {}, {}, {{entry.id, "", {}, "", "", "HTTP 422: still refused", "m2"}}});
  ASSERT_TRUE(state->request_replay(entry.id, std::nullopt, "cli:ana"));  // a replay as it is
  ASSERT_TRUE(state->discard(entry.id, "operator token 1"));              // while it waits for its flow
  auto history = state->dead_letter_history(entry.id);
  ASSERT_EQ(history.size(), 6u);
  EXPECT_EQ(history[0].kind, "failed");
  EXPECT_EQ(history[1].kind, "edited");
  EXPECT_EQ(history[1].actor, "operator token 2");
  EXPECT_EQ(history[1].input_before, failure("SO-1", 1).input);
  EXPECT_EQ(history[1].input, fixed);
  EXPECT_EQ(history[2].kind, "replay_requested");
  EXPECT_EQ(history[2].actor, "operator token 2");
  EXPECT_EQ(history[3].kind, "replay_failed");
  EXPECT_EQ(history[3].input, fixed);
  EXPECT_EQ(history[3].error, "HTTP 422: still refused");
  EXPECT_EQ(history[4].kind, "replay_requested");
  EXPECT_EQ(history[4].actor, "cli:ana");
  EXPECT_EQ(history[5].kind, "discarded");
  EXPECT_EQ(history[5].actor, "operator token 1");
}

TEST_P(DeadLetterContract, ANewerFailureFoldsIntoAnEntryBeingReplayed) {
  auto state = open();
  state->commit_flow_batch(with_failures({failure("SO-1", 1)}));
  const auto entry = state->dead_letters({.flow = "orders"}).at(0);
  ASSERT_TRUE(state->request_replay(entry.id, std::nullopt));
  state->commit_flow_batch(with_failures({failure("SO-1", 2)}));
  auto requests = state->replay_requests("orders", 10);
  ASSERT_EQ(requests.size(), 1u) << "still one entry";
  EXPECT_EQ(requests[0].input, failure("SO-1", 2).input) << "a replay uses the newest input";
}

// A store of an earlier version (before migration 9) with three pending entries of one key: they
// become one entry whose history holds the three failures.
TEST_P(DeadLetterContract, MigratingFoldsAKeysPendingEntriesIntoItsNewest) {
  open();
  raw("DROP TABLE dead_letter_history; ALTER TABLE dead_letters DROP COLUMN reason; ALTER TABLE dead_letters DROP "
      "COLUMN resolved_by; ALTER TABLE dead_letters DROP COLUMN resolved_version; DELETE FROM schema_version WHERE "
      "version=9;");
  std::string inserts;
  for (const auto& [key, n] :
       std::vector<std::pair<std::string, int>>{{"SO-1", 1}, {"SO-1", 2}, {"SO-2", 1}, {"SO-1", 3}})
    inserts +=
        "INSERT INTO dead_letters(flow, stage, key, input, error, mapping_version, origin, status, attempts, "
        "created_ms, updated_ms) VALUES('orders', 'sink', '" +
        key + "', '" + key + "/" + std::to_string(n) + "', 'value \"C" + std::to_string(n) +
        "\" has no xref', 'm1', 'o/" + key + std::to_string(n) + "', 'pending', 1, " + std::to_string(1000 * n) + ", " +
        std::to_string(1000 * n) + ");";
  raw(inserts);
  auto state = open();
  EXPECT_EQ(state->count_dead_letters("orders", "pending"), 2);
  auto so1 = state->dead_letters({.flow = "orders", .status = "", .key = "SO-1"});
  ASSERT_EQ(so1.size(), 1u);
  EXPECT_EQ(so1[0].input, "SO-1/3");
  EXPECT_EQ(so1[0].attempts, 3);
  EXPECT_EQ(so1[0].created_ms, 1000);
  EXPECT_EQ(so1[0].reason, "value \"…\" has no xref");
  auto history = state->dead_letter_history(so1[0].id);
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[0].input, "SO-1/1");
  EXPECT_EQ(history[2].input, "SO-1/3");
}

}  // namespace
}  // namespace synchub::runtime
