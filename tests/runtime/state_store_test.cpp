// The state-store contract, run against both implementations: SQLite (a
// temp file) and PostgreSQL (a real server started for the test binary):
// cursors, ledger, xref, dead letters, runs, leases, lineage.
#include "runtime/state/state_store.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "runtime/base/clock.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/test_support.hpp"

namespace synchub::runtime {
namespace {

using namespace std::chrono_literals;

class StateStoreContract : public ::testing::TestWithParam<std::string> {
 protected:
  // A store at this test's location; opening it again reopens the same data.
  std::unique_ptr<StateStore> open() {
    if (GetParam() == "sqlite") return open_sqlite_state(dir_.str("state.db"), false);
    if (url_.empty()) url_ = test::shared_postgres().create_database();
    return open_postgres_state(url_);
  }

 private:
  test::TempDir dir_;
  std::string url_;
};

INSTANTIATE_TEST_SUITE_P(Backends, StateStoreContract, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

TEST_P(StateStoreContract, CursorAndSourceRejectsCommitTogether) {
  auto state = open();
  EXPECT_EQ(state->cursor("crm.orders"), "");
  DeadLetter reject{0, "crm.orders", DeadLetterStage::Source, "", "{broken", "malformed JSON", "", "a.jsonl:3"};
  state->commit_source("crm.orders", R"({"file":"a.jsonl","offset":10,"line":4})", {reject});
  EXPECT_EQ(state->cursor("crm.orders"), R"({"file":"a.jsonl","offset":10,"line":4})");
  auto dlq = state->dead_letters({.flow = "crm.orders"});
  ASSERT_EQ(dlq.size(), 1u);
  EXPECT_EQ(dlq[0].input, "{broken");
  EXPECT_EQ(dlq[0].stage, DeadLetterStage::Source);
  EXPECT_EQ(dlq[0].status, "pending");
  EXPECT_EQ(dlq[0].origin, "a.jsonl:3");
}

TEST_P(StateStoreContract, AnEventDeadLetteredAgainIsStillOneDeadLetter) {
  auto state = open();
  DeadLetter d{0, "orders", DeadLetterStage::Mapping, "SO-1", "{}", "customer missing", "v1", "crm.orders/p2-000040"};
  FlowBatchCommit batch;
  batch.flow = "orders";
  batch.dead_letters = {d};
  state->commit_flow_batch(batch);
  state->commit_flow_batch(batch);  // redelivered after a crash or a rebalance
  auto pending = state->dead_letters({.flow = "orders"});
  ASSERT_EQ(pending.size(), 1u);
  DeadLetter republished = d;
  republished.origin = "crm.orders/p0-000007";  // the same record published again (a source re-read)
  batch.dead_letters = {republished};
  state->commit_flow_batch(batch);
  EXPECT_EQ(state->count_dead_letters("orders", "pending"), 1);
  EXPECT_EQ(state->dead_letter_history(pending[0].id).size(), 1u);
  DeadLetter other = d;
  other.origin = "crm.orders/p2-000041";  // the next version of the record: its key's entry takes it
  other.input = R"({"version":2})";
  batch.dead_letters = {other};
  state->commit_flow_batch(batch);
  EXPECT_EQ(state->count_dead_letters("orders", "pending"), 1);
  EXPECT_EQ(state->dead_letter(pending[0].id)->input, R"({"version":2})");
  EXPECT_EQ(state->dead_letter_history(pending[0].id).size(), 2u);
  ASSERT_TRUE(state->discard(pending[0].id));
  batch.dead_letters = {d};  // seen again after it was discarded: new
  state->commit_flow_batch(batch);
  EXPECT_EQ(state->count_dead_letters("orders", "pending"), 1);
  EXPECT_EQ(state->count_dead_letters("orders", "discarded"), 1);
  // A source reject's origin is file:line: a file of the same name dropped again is new input.
  DeadLetter reject{0, "crm.orders", DeadLetterStage::Source, "", "{broken", "malformed JSON", "", "orders.jsonl:3"};
  state->commit_source("crm.orders", "c1", {reject});
  state->commit_source("crm.orders", "c2", {reject});
  EXPECT_EQ(state->count_dead_letters("crm.orders", "pending"), 2);
}

TEST_P(StateStoreContract, LedgerUpsertsAndSurvivesReopen) {
  {
    auto state = open();
    FlowBatchCommit batch{"orders",
                          {{"SO-1", "out.jsonl:1", "h1", "identity", 1}, {"SO-2", "out.jsonl:2", "h2", "identity", 1}}};
    state->commit_flow_batch(batch);
    state->commit_flow_batch({"orders", {{"SO-1", "out2.jsonl:1", "h1b", "v2", 2}}});
  }
  auto state = open();  // migrations run once only
  auto entries = state->ledger("orders", {"SO-1", "SO-2", "SO-3"});
  ASSERT_EQ(entries.size(), 3u);
  ASSERT_TRUE(entries[0]);
  EXPECT_EQ(entries[0]->target_id, "out2.jsonl:1");
  EXPECT_EQ(entries[0]->content_hash, "h1b");
  EXPECT_EQ(entries[0]->mapping_version, "v2");
  ASSERT_TRUE(entries[1]);
  EXPECT_EQ(entries[1]->content_hash, "h2");
  EXPECT_FALSE(entries[2]);
  EXPECT_FALSE(state->ledger("other_flow", {"SO-1"})[0]) << "ledgers are per flow";
}

// The webhook replay cache: a request is remembered by any of its keys, per
// stream, until its window ends, across a reopen; expired ones are forgotten.
TEST_P(StateStoreContract, WritesLeftPartWayAreKeptUntilTheyLand) {
  {
    auto state = open();
    FlowBatchCommit first{"bills"};
    first.progress = {{"SO-1", "h1", "B1", "created:1"}, {"SO-2", "h2", "B2", "created:0"}};
    state->commit_flow_batch(first);
    FlowBatchCommit second{"bills"};
    second.progress = {{"SO-1", "h1", "B1", "created:2"}};  // got further
    state->commit_flow_batch(second);
  }
  auto state = open();
  auto kept = state->write_progress("bills");
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].key, "SO-1");
  EXPECT_EQ(kept[0].resume, "created:2");
  EXPECT_EQ(kept[1].target_id, "B2");
  EXPECT_EQ(kept[1].content_hash, "h2");
  EXPECT_TRUE(state->write_progress("other").empty()) << "per flow";

  FlowBatchCommit landed{"bills", {{"SO-1", "B1", "h1", "identity", 3}}};
  landed.progress_done = {"SO-1"};
  state->commit_flow_batch(landed);
  kept = state->write_progress("bills");
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].key, "SO-2");
}

TEST_P(StateStoreContract, PushedRequestsAreRememberedUntilTheirWindowEnds) {
  const int64_t later = now_ms() + 3'600'000, earlier = now_ms() - 1000;
  {
    auto state = open();
    EXPECT_FALSE(state->push_seen("crm.orders", {"signature:a", "delivery:1"}));
    state->remember_push("crm.orders", {"signature:a", "delivery:1"}, later);
    state->remember_push("crm.orders", {"signature:old"}, earlier);
    state->remember_push("crm.orders", {"signature:a"}, earlier);  // never shortened
  }
  auto state = open();
  EXPECT_TRUE(state->push_seen("crm.orders", {"signature:a"}));
  EXPECT_TRUE(state->push_seen("crm.orders", {"signature:new", "delivery:1"}));
  EXPECT_FALSE(state->push_seen("crm.orders", {"signature:old"})) << "its window has ended";
  EXPECT_FALSE(state->push_seen("crm.invoices", {"signature:a"})) << "per stream";
}

TEST_P(StateStoreContract, XrefAnswersBothDirections) {
  auto state = open();
  state->put_xref("customer", "crm", "C-1001", "erp", "42");
  EXPECT_EQ(state->find_xref("customer", "crm", "C-1001", "erp"), "42");
  EXPECT_EQ(state->find_xref("customer", "erp", "42", "crm"), "C-1001");
  EXPECT_FALSE(state->find_xref("customer", "crm", "C-9", "erp"));
  state->put_xref("customer", "crm", "C-1001", "erp", "43");
  EXPECT_EQ(state->find_xref("customer", "crm", "C-1001", "erp"), "43");
}

TEST_P(StateStoreContract, DeadLetterLifecycle) {
  auto state = open();
  FlowBatchCommit batch;
  batch.flow = "orders";
  batch.dead_letters.push_back(
      {0, "orders", DeadLetterStage::Mapping, "SO-1", "{}", "lines[3].unit_price: bad", "v1", "t/0/1"});
  batch.dead_letters.push_back({0, "orders", DeadLetterStage::Sink, "SO-2", "{}", "HTTP 422", "v1", "t/0/2"});
  state->commit_flow_batch(batch);
  EXPECT_EQ(state->count_dead_letters("orders", "pending"), 2);
  auto all = state->dead_letters({.flow = "orders"});
  ASSERT_EQ(all.size(), 2u);
  // Paging.
  auto page = state->dead_letters({.flow = "orders", .after_id = all[0].id, .limit = 10});
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].key, "SO-2");

  EXPECT_TRUE(state->request_replay(all[0].id, std::string(R"({"fixed":true})")));
  auto requests = state->replay_requests("orders", 10);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].input, R"({"fixed":true})");
  // Failing again puts it back to pending with the new error.
  state->commit_flow_batch({"orders", {}, {}, {}, {{requests[0].id, "", {}, "", "", "still bad", "v2"}}});
  auto entry = state->dead_letter(all[0].id);
  EXPECT_EQ(entry->status, "pending");
  EXPECT_EQ(entry->error, "still bad");
  EXPECT_EQ(entry->attempts, 2);
  EXPECT_TRUE(state->request_replay(all[0].id, std::nullopt));
  state->commit_flow_batch({"orders", {}, {}, {all[0].id}, {}});
  EXPECT_EQ(state->dead_letter(all[0].id)->status, "replayed");
  EXPECT_FALSE(state->request_replay(all[0].id, std::nullopt)) << "a replayed entry is done";
  EXPECT_FALSE(state->discard(all[0].id));
  EXPECT_TRUE(state->discard(all[1].id));
  EXPECT_EQ(state->dead_letter(all[1].id)->status, "discarded");
  EXPECT_EQ(state->count_dead_letters("orders", "pending"), 0);
}

TEST_P(StateStoreContract, RunHistoryNewestFirst) {
  auto state = open();
  for (int i = 0; i < 3; ++i) {
    RunRecord r;
    r.flow = "orders";
    r.started_ms = 1000 * i;
    r.finished_ms = 1000 * i + 500;
    r.read = 10 * i;
    r.created = i;
    state->record_run(r);
  }
  auto runs = state->runs("orders", 2);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].read, 20);
  EXPECT_EQ(runs[1].read, 10);
}

TEST_P(StateStoreContract, ReconciliationRunsAreKeptWithTheirReports) {
  auto state = open();
  const std::string report = R"({"name":"orders","note":"华信 100.10"})";
  const int64_t first = state->record_reconciliation({.id = 0,
                                                      .name = "orders",
                                                      .started_ms = 1000,
                                                      .finished_ms = 1500,
                                                      .differences = 2,
                                                      .in_flight = 1,
                                                      .failed = false,
                                                      .report = report});
  const int64_t second = state->record_reconciliation({.id = 0,
                                                       .name = "invoices",
                                                       .started_ms = 2000,
                                                       .finished_ms = 2100,
                                                       .differences = 0,
                                                       .in_flight = 0,
                                                       .failed = true,
                                                       .report = "{}"});
  EXPECT_GT(second, first);
  auto all = state->reconciliation_runs("", 10);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, second);  // newest first
  EXPECT_TRUE(all[0].failed);
  EXPECT_EQ(all[0].report, "");  // listings leave the reports out
  auto orders = state->reconciliation_runs("orders", 10);
  ASSERT_EQ(orders.size(), 1u);
  EXPECT_EQ(orders[0].differences, 2);
  EXPECT_EQ(orders[0].in_flight, 1);
  EXPECT_EQ(orders[0].finished_ms, 1500);
  auto one = state->reconciliation_run(first);
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->report, report);
  EXPECT_EQ(one->name, "orders");
  EXPECT_FALSE(state->reconciliation_run(second + 100).has_value());
}

TEST_P(StateStoreContract, TextsKeepEveryByteTheyCan) {
  auto state = open();
  // Input is kept byte for byte (it may be why the record was refused); keys and errors are text.
  const std::string input = std::string("{\"name\":\"华信\",\"bad\":\"\xff\xfe\"}") + std::string(1, '\0') + "tail";
  state->commit_source("crm.orders", "c1",
                       {{0, "crm.orders", DeadLetterStage::Source, "华信-1", input, "invalid UTF-8", "", "a:1"}});
  auto d = state->dead_letters({.flow = "crm.orders"});
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].input, input);
  EXPECT_EQ(d[0].key, "华信-1");
  // A key repeated in one batch: the last entry wins, in both stores.
  state->commit_flow_batch({"orders", {{"K", "t1", "h1", "v", 1}, {"K", "t2", "h2", "v", 2}}});
  EXPECT_EQ(state->ledger("orders", {"K"})[0]->target_id, "t2");
  // Keys with quotes, backslashes and commas travel through the batch lookup intact.
  const std::string odd = R"(a"b\c,{d})";
  state->commit_flow_batch({"orders", {{odd, "t3", "h3", "v", 3}}});
  auto found = state->ledger("orders", {"nope", odd});
  EXPECT_FALSE(found[0]);
  ASSERT_TRUE(found[1]);
  EXPECT_EQ(found[1]->key, odd);
  EXPECT_EQ(found[1]->target_id, "t3");
}

LineageEvent lineage_row(int64_t time_ms, std::string key, LineageKind kind, std::string origin) {
  LineageEvent e;
  e.time_ms = time_ms;
  e.key = std::move(key);
  e.kind = kind;
  e.origin = std::move(origin);
  return e;
}

// The history commits with the batch it belongs to (ledger, dead letters) and is read back by a
// record's key or by the key the mapping gave it in its target, in the order it was written.
TEST_P(StateStoreContract, LineageRowsCommitWithTheirBatchAndAreFoundByKeyOrTargetKey) {
  const int64_t now = now_ms();
  {
    auto state = open();
    FlowBatchCommit orders{"orders", {{"SO1", "17", "h1", "orders/1", now}}};
    LineageEvent written = lineage_row(now, "SO1", LineageKind::Written, "crm.orders/p0-000000000003");
    written.event_ms = now - 5;
    written.position = "/orders#3";
    written.mapping_version = "orders/1";
    written.outcome = "created";
    written.target_id = "17";
    LineageEvent failed = lineage_row(now, "SO2", LineageKind::Failed, "crm.orders/p0-000000000004");
    failed.error = "HTTP 503";
    failed.attempt = 2;
    orders.lineage = {written, failed};
    orders.dead_letters = {{0, "orders", DeadLetterStage::Sink, "SO3", "{}", "HTTP 422", "orders/1", "x/p0-5"}};
    orders.lineage.push_back(lineage_row(now, "SO3", LineageKind::DeadLettered, "crm.orders/p0-000000000005"));
    state->commit_flow_batch(orders);
    FlowBatchCommit invoices{"invoices_to_crm"};  // keyed by its order in the target
    LineageEvent invoice = lineage_row(now + 1, "INV-1", LineageKind::Written, "erp.invoices/p0-000000000000");
    invoice.target_key = "SO1";
    invoices.lineage = {invoice};
    invoices.lineage_links = {{"invoices_to_crm", "INV-1", "orders", "SO1", now}};
    state->commit_flow_batch(invoices);
    state->commit_flow_batch(invoices);  // redelivered: a second row, the same link
  }
  auto state = open();
  auto rows = state->lineage("SO1", 10);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].flow, "orders");
  EXPECT_EQ(rows[0].kind, LineageKind::Written);
  EXPECT_EQ(rows[0].origin, "crm.orders/p0-000000000003");
  EXPECT_EQ(rows[0].event_ms, now - 5);
  EXPECT_EQ(rows[0].position, "/orders#3");
  EXPECT_EQ(rows[0].mapping_version, "orders/1");
  EXPECT_EQ(rows[0].outcome, "created");
  EXPECT_EQ(rows[0].target_id, "17");
  EXPECT_EQ(rows[1].flow, "invoices_to_crm");
  EXPECT_EQ(rows[1].key, "INV-1");
  EXPECT_EQ(rows[1].target_key, "SO1");
  EXPECT_LT(rows[1].id, rows[2].id) << "oldest first";
  EXPECT_EQ(state->lineage("SO1", 1).back().id, rows[2].id) << "the newest rows when there are more";
  EXPECT_EQ(state->lineage("INV-1", 10).size(), 2u);
  auto retried = state->lineage("SO2", 10);
  ASSERT_EQ(retried.size(), 1u);
  EXPECT_EQ(retried[0].kind, LineageKind::Failed);
  EXPECT_EQ(retried[0].error, "HTTP 503");
  EXPECT_EQ(retried[0].attempt, 2);
  EXPECT_EQ(state->lineage("SO3", 10).at(0).kind, LineageKind::DeadLettered);
  EXPECT_EQ(state->dead_letters({.flow = "orders", .status = "", .key = "SO3"}).size(), 1u);
  EXPECT_TRUE(state->dead_letters({.flow = "orders", .status = "", .key = "SO1"}).empty());

  auto led_to = state->lineage_links_to("orders", {"17", "SO1"}, 10);
  ASSERT_EQ(led_to.size(), 1u) << "one link, however often it was recorded";
  EXPECT_EQ(led_to[0].flow, "invoices_to_crm");
  EXPECT_EQ(led_to[0].key, "INV-1");
  EXPECT_EQ(led_to[0].upstream_ref, "SO1");
  EXPECT_TRUE(state->lineage_links_to("other", {"SO1"}, 10).empty()) << "per upstream flow";
  auto names = state->lineage_links_from("INV-1");
  ASSERT_EQ(names.size(), 1u);
  EXPECT_EQ(names[0].upstream_flow, "orders");
}

TEST_P(StateStoreContract, LineageOlderThanTheRetentionIsForgotten) {
  auto state = open();
  const int64_t now = now_ms(), old = now - 40LL * 86'400'000;
  FlowBatchCommit batch{"orders"};
  batch.lineage = {lineage_row(old, "SO1", LineageKind::Written, "o/p0-1"),
                   lineage_row(now, "SO1", LineageKind::Unchanged, "o/p0-2")};
  batch.lineage_links = {{"invoices", "INV-1", "orders", "SO1", old}, {"invoices", "INV-2", "orders", "SO1", now}};
  state->commit_flow_batch(batch);
  EXPECT_EQ(state->prune_lineage(now - 30LL * 86'400'000), 2);
  auto rows = state->lineage("SO1", 10);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].kind, LineageKind::Unchanged);
  auto links = state->lineage_links_to("orders", {"SO1"}, 10);
  ASSERT_EQ(links.size(), 1u);
  EXPECT_EQ(links[0].key, "INV-2");
  EXPECT_EQ(state->prune_lineage(now - 30LL * 86'400'000), 0);
}

TEST_P(StateStoreContract, ALargeBatchKeepsTheOrderOfItsLineageRows) {
  auto state = open();
  FlowBatchCommit batch{"orders"};
  for (int i = 0; i < 75; ++i)  // more than one statement's worth
    batch.lineage.push_back(lineage_row(now_ms(), i % 2 ? "SO1" : "SO2", LineageKind::Written, std::to_string(i)));
  state->commit_flow_batch(batch);
  auto rows = state->lineage("SO1", 100);
  ASSERT_EQ(rows.size(), 37u);
  for (size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(rows[i].origin, std::to_string(2 * i + 1));
}

TEST_P(StateStoreContract, LeasesHaveOneHolderAndExpire) {
  auto a = open();
  auto b = open();  // another worker's connection
  EXPECT_TRUE(a->acquire_lease("source:crm.orders", "worker-a", 300ms));
  EXPECT_FALSE(b->acquire_lease("source:crm.orders", "worker-b", 300ms)) << "held by a";
  EXPECT_TRUE(b->acquire_lease("source:crm.stock", "worker-b", 300ms)) << "leases are per name";
  EXPECT_TRUE(a->acquire_lease("source:crm.orders", "worker-a", 300ms)) << "the holder renews";
  std::this_thread::sleep_for(400ms);  // a died: its lease runs out
  EXPECT_TRUE(b->acquire_lease("source:crm.orders", "worker-b", 300ms)) << "taken over";
  EXPECT_FALSE(a->acquire_lease("source:crm.orders", "worker-a", 300ms)) << "a comes back: b holds it now";
  b->release_lease("source:crm.orders", "worker-b");
  EXPECT_TRUE(a->acquire_lease("source:crm.orders", "worker-a", 300ms)) << "released: free at once";
}

TEST_P(StateStoreContract, OnlyTheLeaseHolderMovesTheCursor) {
  auto a = open();
  auto b = open();
  ASSERT_TRUE(a->acquire_lease(source_lease("crm.orders"), "worker-a", 300ms));
  a->commit_source("crm.orders", "c1", {}, "worker-a");
  EXPECT_THROW(b->commit_source("crm.orders", "c9", {}, "worker-b"), LeaseLost) << "b never held it";
  EXPECT_EQ(b->cursor("crm.orders"), "c1");
  std::this_thread::sleep_for(400ms);
  a->commit_source("crm.orders", "c2", {}, "worker-a");  // expired, but nobody took it over: still a's
  ASSERT_TRUE(b->acquire_lease(source_lease("crm.orders"), "worker-b", 300ms));
  DeadLetter reject{0, "crm.orders", DeadLetterStage::Source, "K", "{bad", "malformed", "", "f:1"};
  EXPECT_THROW(a->commit_source("crm.orders", "c3", {reject}, "worker-a"), LeaseLost) << "b took it over";
  EXPECT_EQ(a->cursor("crm.orders"), "c2");
  EXPECT_TRUE(a->dead_letters({.flow = "crm.orders"}).empty()) << "nothing of the refused commit is kept";
  b->commit_source("crm.orders", "c4", {}, "worker-b");
  EXPECT_EQ(a->cursor("crm.orders"), "c4");
}

}  // namespace
}  // namespace synchub::runtime
