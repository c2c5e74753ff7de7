// The lineage history a flow writes: one row per record and attempt (written, unchanged, failed,
// dead-lettered), committed with the batch's ledger entries and dead letters, and the documents
// of other flows its records name (the flow's `lineage:` fields).
#include <gtest/gtest.h>

#include "mapping/plan.hpp"
#include "runtime/state/state_xref.hpp"
#include "tests/runtime/flow_runner_fixture.hpp"

namespace synchub::runtime {
namespace {

// Events as a source publishes them: with the position it read each record at (in the CloudEvents
// extension attribute, or in the plain header of events published by earlier versions).
void publish_read(Bus& bus, const std::vector<std::tuple<std::string, std::string, std::string>>& records,
                  std::string_view cursor_header = kCursorHeader) {
  std::vector<OutgoingEvent> events;
  for (const auto& [key, value, position] : records)
    events.push_back({"crm.orders", key, value, {{std::string(cursor_header), position}}});
  bus.publish(events);
}

TEST_F(FlowRunnerTest, EachRecordLeavesItsLineageRowsInTheCommitOfItsBatch) {
  FlowOptions o = options();
  o.lineage = {{"quote", "quotes_to_crm"}};
  auto flow = std::make_unique<FlowRunner>(
      o, *bus_, *state_,
      std::make_unique<ScriptedSink>(pushed_,
                                     [](int push, const connectors::SinkRecord& r) {
                                       if (r.key == "B") return SinkResult::failed(Failure::Permanent, "HTTP 422");
                                       if (r.key == "C" && push == 1)
                                         return SinkResult::failed(Failure::Transient, "HTTP 503");
                                       return ok(r);
                                     }),
      std::make_shared<mapping::IdentityMapper>());
  publish_read(*bus_, {{"A", R"({"id":"A","quote":"Q1"})", "orders.jsonl:1"},
                       {"B", R"({"id":"B","quote":"Q1"})", "orders.jsonl:2"},
                       {"C", R"({"id":"C","quote":"Q2"})", "orders.jsonl:3"}});
  flow->run_once(t0_);                             // A lands, B is dead-lettered, C fails transiently
  flow->run_once(t0_ + std::chrono::seconds(10));  // C lands at its second attempt
  publish_read(*bus_, {{"A", R"({"id":"A","quote":"Q1"})", "orders.jsonl:4"}},  // read again, unchanged,
               kLegacyCursorHeader);                                            // by an earlier version
  flow->run_once(t0_ + std::chrono::seconds(20));
  ASSERT_TRUE(flow->caught_up());

  auto a = state_->lineage("A", 10);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].flow, "orders");
  EXPECT_EQ(a[0].kind, LineageKind::Written);
  EXPECT_EQ(a[0].outcome, "created");
  EXPECT_EQ(a[0].target_id, "T-A");
  EXPECT_EQ(a[0].origin, "crm.orders/p0-000000000000");
  EXPECT_EQ(a[0].position, "orders.jsonl:1");
  EXPECT_GT(a[0].event_ms, 0);
  EXPECT_EQ(a[0].mapping_version, "identity");
  EXPECT_EQ(a[1].kind, LineageKind::Unchanged);
  EXPECT_EQ(a[1].target_id, "T-A") << "the target's id from the ledger";
  EXPECT_EQ(a[1].position, "orders.jsonl:4");
  EXPECT_EQ(a[1].origin, "crm.orders/p0-000000000003");

  auto b = state_->lineage("B", 10);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].kind, LineageKind::DeadLettered);
  EXPECT_EQ(b[0].error, "HTTP 422");
  EXPECT_EQ(state_->dead_letters({.flow = "orders", .status = "", .key = "B"}).size(), 1u);

  auto c = state_->lineage("C", 10);
  ASSERT_EQ(c.size(), 2u) << "one row per attempt";
  EXPECT_EQ(c[0].kind, LineageKind::Failed);
  EXPECT_EQ(c[0].error, "HTTP 503");
  EXPECT_EQ(c[0].attempt, 1);
  EXPECT_EQ(c[1].kind, LineageKind::Written);
  EXPECT_EQ(c[1].attempt, 2);
  EXPECT_EQ(c[1].target_id, state_->ledger("orders", {"C"})[0]->target_id);

  // Each record names its quote (the flow's lineage field), once whatever became of it.
  auto q1 = state_->lineage_links_to("quotes_to_crm", {"Q1"}, 10);
  ASSERT_EQ(q1.size(), 2u);
  EXPECT_EQ(q1[0].key, "A");
  EXPECT_EQ(q1[1].key, "B");
  ASSERT_EQ(state_->lineage_links_to("quotes_to_crm", {"Q2"}, 10).size(), 1u);
  EXPECT_EQ(pushed_.size(), 2u) << "the history changes nothing that is delivered";
}

// The rows are part of the batch's commit: not there while the sink still writes the batch, there
// once it has landed, and not twice when a failed write is redone.
TEST_F(FlowRunnerTest, LineageRowsLandWithTheirBatchOnly) {
  auto flow = runner({}, 0, [](int push) {
    if (push == 1) throw std::runtime_error("cannot flush out/.orders-p0-000000000000.jsonl.tmp: I/O error");
  });
  publish({{"A", R"({"id":"A"})"}});
  EXPECT_TRUE(flow->run_once(t0_));
  EXPECT_TRUE(state_->lineage("A", 10).empty()) << "the sink has not finished the batch";
  try {
    flow->run_once(t0_);
    FAIL() << "the failed write must surface";
  } catch (const std::runtime_error& e) {
    flow->failed(t0_, e.what());
  }
  EXPECT_TRUE(state_->lineage("A", 10).empty()) << "nothing of a batch that did not land";
  EXPECT_TRUE(flow->run_once(t0_ + std::chrono::seconds(2)));
  flow->settle();
  auto rows = state_->lineage("A", 10);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].kind, LineageKind::Written);
  EXPECT_TRUE(state_->ledger("orders", {"A"})[0]);
}

// A record the mapping keys anew (event e-1 is order O1 in the target) is found by either key; a
// wait for a cross-reference is a failed attempt; a dead letter replayed says so.
TEST_F(FlowRunnerTest, WaitsAndReplaysLeaveTheirRowsUnderBothKeys) {
  StateXref xref(*state_);
  test::write_file(dir_.path() / "orders.yaml",
                   "key: no\nfields:\n  no: no\n  customer: {from: customer, lookup: {xref: customer, from: crm, "
                   "to: erp}}\n");
  auto mapper = std::make_shared<mapping::PlanMapper>(mapping::load_mapping(dir_.str("orders.yaml")), &xref);
  bool fixed = false;
  FlowRunner flow(options(), *bus_, *state_,
                  std::make_unique<ScriptedSink>(pushed_,
                                                 [&](int, const connectors::SinkRecord& r) {
                                                   return !fixed && r.key == "O2"
                                                              ? SinkResult::failed(Failure::Permanent, "HTTP 422")
                                                              : ok(r);
                                                 }),
                  mapper);
  state_->put_xref("customer", "crm", "C1", "erp", "E1");
  publish({{"e-1", R"({"no":"O1","customer":"C9"})"}, {"e-2", R"({"no":"O2","customer":"C1"})"}});
  flow.run_once(t0_);  // O1 waits for C9, O2 is refused
  state_->put_xref("customer", "crm", "C9", "erp", "E9");
  flow.run_once(t0_ + std::chrono::seconds(10));
  ASSERT_TRUE(flow.caught_up());
  fixed = true;
  auto dlq = state_->dead_letters({.flow = "orders"});
  ASSERT_EQ(dlq.size(), 1u);
  ASSERT_TRUE(state_->request_replay(dlq[0].id, std::nullopt));
  flow.run_once(t0_ + std::chrono::seconds(20));

  auto o1 = state_->lineage("O1", 10);
  ASSERT_EQ(o1.size(), 1u) << "the wait happened before the mapping gave it its key";
  EXPECT_EQ(o1[0].kind, LineageKind::Written);
  EXPECT_EQ(o1[0].key, "e-1");
  EXPECT_EQ(o1[0].target_key, "O1");
  auto e1 = state_->lineage("e-1", 10);
  ASSERT_EQ(e1.size(), 2u);
  EXPECT_EQ(e1[0].kind, LineageKind::Failed);
  EXPECT_NE(e1[0].error.find("no xref customer crm -> erp"), std::string::npos) << e1[0].error;
  auto o2 = state_->lineage("O2", 10);
  ASSERT_EQ(o2.size(), 2u);
  EXPECT_EQ(o2[0].kind, LineageKind::DeadLettered);
  EXPECT_EQ(o2[1].kind, LineageKind::Replayed);
  EXPECT_EQ(o2[1].outcome, "created");
  EXPECT_EQ(o2[1].origin.rfind("replay-", 0), 0u) << o2[1].origin;
}

// A key's dead letter resolves when a later version lands, in the order the batch met them: a
// version refused by the mapping after one landed (mapping failures are found before the sink
// answers) stays pending.
TEST_F(FlowRunnerTest, ALaterVersionLandingResolvesItsKeysDeadLetter) {
  test::write_file(dir_.path() / "orders.yaml",
                   "key: no\nfields:\n  no: no\n  amount: {from: amount, type: \"decimal(10,2)\"}\n");
  auto mapper = std::make_shared<mapping::PlanMapper>(mapping::load_mapping(dir_.str("orders.yaml")), nullptr);
  FlowRunner flow(options(), *bus_, *state_,
                  std::make_unique<ScriptedSink>(pushed_, [](int, const auto& r) { return ok(r); }), mapper);
  publish({{"K1", R"({"no":"O1","amount":"abc"})"},
           {"K2", R"({"no":"O2","amount":"1.00"})"},
           {"K2", R"({"no":"O2","amount":"x"})"}});
  flow.run_once(t0_);
  publish({{"K1", R"({"no":"O1","amount":"2.00"})"}});
  flow.run_once(t0_ + std::chrono::seconds(10));
  ASSERT_TRUE(flow.caught_up());

  EXPECT_EQ(state_->count_dead_letters("orders", "pending"), 1);
  auto k1 = state_->dead_letters({.flow = "orders", .status = "", .key = "K1"});
  ASSERT_EQ(k1.size(), 1u);
  EXPECT_EQ(k1[0].status, "resolved");
  EXPECT_EQ(k1[0].resolved_by, "crm.orders/p0-000000000003");
  auto k2 = state_->dead_letters({.flow = "orders", .status = "", .key = "K2"});
  ASSERT_EQ(k2.size(), 1u);
  EXPECT_EQ(k2[0].status, "pending") << "its failure came after the version that landed";
  EXPECT_EQ(k2[0].input, R"({"no":"O2","amount":"x"})");
}

}  // namespace
}  // namespace synchub::runtime
