// The flow runner on a real embedded bus and SQLite state, with a scripted
// sink standing in for a target system that fails on purpose.
#include "runtime/flow_runner.hpp"

#include <gtest/gtest.h>

#include <map>

#include "mapping/plan.hpp"
#include "runtime/state/state_xref.hpp"
#include "tests/runtime/flow_runner_fixture.hpp"

namespace synchub::runtime {
namespace {

TEST_F(FlowRunnerTest, DeliversEachRecordOnceAndSkipsUnchangedContent) {
  auto flow = runner();
  publish({{"A", R"({"id":"A","v":1})"}, {"B", R"({"id":"B","v":1})"}, {"C", R"({"id":"C","v":1})"}});
  EXPECT_TRUE(flow->run_once(t0_));
  ASSERT_EQ(pushed_.size(), 3u);
  EXPECT_FALSE(pushed_[0].known_to_target);
  EXPECT_TRUE(flow->caught_up());

  // The same records again (a source re-read) and one real change.
  publish({{"A", R"({"id":"A","v":1})"}, {"B", R"({"id":"B","v":2})"}, {"C", R"({"id":"C","v":1})"}});
  EXPECT_TRUE(flow->run_once(t0_));
  ASSERT_EQ(pushed_.size(), 4u);
  EXPECT_EQ(pushed_[3].key, "B");
  EXPECT_TRUE(pushed_[3].known_to_target) << "a changed record updates, never duplicates";
  EXPECT_EQ(flow->current_run().unchanged, 2);
  EXPECT_EQ(flow->current_run().updated, 1);
  EXPECT_EQ(flow->current_run().created, 3);
  auto ledger = state_->ledger("orders", {"B"});
  ASSERT_TRUE(ledger[0]);
  EXPECT_EQ(ledger[0]->target_id, "T-B");
  EXPECT_EQ(ledger[0]->mapping_version, "identity");
}

TEST_F(FlowRunnerTest, RedeliveryAfterALostOffsetCommitIsSkipped) {
  publish({{"A", R"({"id":"A"})"}, {"B", R"({"id":"B"})"}});
  runner()->run_once(t0_);
  ASSERT_EQ(pushed_.size(), 2u);
  // As if the process died after the ledger commit and before the offset commit.
  bus_->subscribe("synchub.orders", "crm.orders")->commit({{0, 0}});
  auto restarted = runner();
  EXPECT_TRUE(restarted->run_once(t0_));
  EXPECT_EQ(pushed_.size(), 2u);
  EXPECT_EQ(restarted->current_run().unchanged, 2);
  EXPECT_TRUE(restarted->caught_up());
}

TEST_F(FlowRunnerTest, ABatchTheSinkIsStillWritingIsRecordedOnlyOnceItSettles) {
  auto flow = runner({}, 0, [](int) {});
  publish({{"A", R"({"id":"A"})"}, {"B", R"({"id":"B"})"}});
  EXPECT_TRUE(flow->run_once(t0_));
  ASSERT_EQ(pushed_.size(), 2u);
  EXPECT_FALSE(state_->ledger("orders", {"A"})[0]) << "not in the ledger before the sink has finished";
  EXPECT_EQ(bus_->subscribe("synchub.orders", "crm.orders")->lag(), 2) << "offsets wait too";
  EXPECT_EQ(flow->status().created, 0);
  EXPECT_FALSE(flow->caught_up());
  EXPECT_FALSE(flow->run_once(t0_));  // nothing new: settles the batch
  ASSERT_TRUE(state_->ledger("orders", {"A"})[0]);
  EXPECT_EQ(state_->ledger("orders", {"A"})[0]->target_id, "T-A");
  EXPECT_EQ(bus_->subscribe("synchub.orders", "crm.orders")->lag(), 0);
  EXPECT_EQ(flow->status().created, 2);
  EXPECT_TRUE(flow->caught_up());

  // The next batch is checked against the settled one: B unchanged, A changed.
  publish({{"A", R"({"id":"A","v":2})"}, {"B", R"({"id":"B"})"}});
  EXPECT_TRUE(flow->run_once(t0_));
  flow->settle();
  ASSERT_EQ(pushed_.size(), 3u);
  EXPECT_TRUE(pushed_[2].known_to_target);
  EXPECT_EQ(flow->status().unchanged, 1);
}

TEST_F(FlowRunnerTest, ABatchWhoseBackgroundWriteFailsIsRedoneAndLandsOnce) {
  auto flow = runner({}, 0, [](int push) {
    if (push == 1) throw std::runtime_error("cannot flush out/.orders-p0-000000000000.jsonl.tmp: I/O error");
  });
  publish({{"A", R"({"id":"A"})"}, {"B", R"({"id":"B"})"}});
  EXPECT_TRUE(flow->run_once(t0_));
  try {
    flow->run_once(t0_);
    FAIL() << "the failed write must surface";
  } catch (const std::runtime_error& e) {
    flow->failed(t0_, e.what());  // as the hub does
  }
  EXPECT_EQ(flow->state(), FlowState::BackingOff);
  EXPECT_FALSE(state_->ledger("orders", {"A"})[0]);
  EXPECT_TRUE(flow->run_once(t0_ + std::chrono::seconds(2)));
  flow->settle();
  ASSERT_EQ(pushed_.size(), 4u);
  EXPECT_FALSE(pushed_[2].known_to_target) << "the first write never landed";
  EXPECT_EQ(pushed_[2].batch_id, pushed_[0].batch_id) << "same batch id: the file is replaced, not added";
  EXPECT_TRUE(state_->ledger("orders", {"B"})[0]);
  EXPECT_EQ(flow->status().created, 2);
  EXPECT_TRUE(flow->caught_up());
}

TEST_F(FlowRunnerTest, TransientFailureBacksOffAndKeepsItsPlace) {
  auto flow = runner([](int push, const connectors::SinkRecord& r) {
    return push <= 2 ? SinkResult::failed(Failure::Transient, "HTTP 503") : ok(r);
  });
  publish({{"A", R"({"id":"A"})"}, {"B", R"({"id":"B"})"}});
  EXPECT_TRUE(flow->run_once(t0_));
  EXPECT_EQ(flow->state(), FlowState::BackingOff);
  EXPECT_TRUE(pushed_.empty());
  EXPECT_FALSE(flow->run_once(t0_ + std::chrono::milliseconds(100))) << "waits out the backoff";
  EXPECT_FALSE(flow->caught_up());
  EXPECT_TRUE(flow->run_once(t0_ + std::chrono::seconds(2)));  // second failure
  EXPECT_EQ(flow->state(), FlowState::BackingOff);
  EXPECT_TRUE(flow->run_once(t0_ + std::chrono::seconds(10)));
  EXPECT_EQ(flow->state(), FlowState::Running);
  ASSERT_EQ(pushed_.size(), 2u);
  EXPECT_EQ(pushed_[0].key, "A");
  EXPECT_EQ(pushed_[1].key, "B");
  EXPECT_TRUE(flow->caught_up());
  EXPECT_EQ(state_->count_dead_letters("orders", ""), 0);
}

TEST_F(FlowRunnerTest, RetryAfterFromTheTargetIsHonoured) {
  auto flow = runner([](int push, const connectors::SinkRecord& r) {
    return push == 1 ? SinkResult::failed(Failure::Transient, "HTTP 429", std::chrono::seconds(30)) : ok(r);
  });
  publish({{"A", R"({"id":"A"})"}});
  flow->run_once(t0_);
  EXPECT_FALSE(flow->run_once(t0_ + std::chrono::seconds(29)));
  EXPECT_TRUE(flow->run_once(t0_ + std::chrono::seconds(31)));
  EXPECT_EQ(pushed_.size(), 1u);
}

TEST_F(FlowRunnerTest, OnlyTheRecordsThatFailedAreRetried) {
  auto flow = runner([](int push, const connectors::SinkRecord& r) {
    return push == 1 && r.key == "B" ? SinkResult::failed(Failure::Transient, "timeout") : ok(r);
  });
  publish({{"A", R"({"id":"A"})"}, {"B", R"({"id":"B"})"}, {"C", R"({"id":"C"})"}});
  flow->run_once(t0_);
  EXPECT_EQ(pushed_.size(), 2u);
  flow->run_once(t0_ + std::chrono::seconds(5));
  ASSERT_EQ(pushed_.size(), 3u);
  EXPECT_EQ(pushed_[2].key, "B");
  EXPECT_NE(pushed_[2].batch_id, pushed_[0].batch_id) << "a different set of records is a different batch";
}

// A batch with a transient failure is polled again; what already had its final outcome in it
// (written, or dead-lettered) is neither pushed, dead-lettered nor counted again.
TEST_F(FlowRunnerTest, ARetriedBatchSendsOnlyWhatFailedTransiently) {
  std::map<std::string, int> pushes;
  auto flow = runner([&](int push, const connectors::SinkRecord& r) {
    ++pushes[std::string(r.key)];
    if (r.key == "B") return SinkResult::failed(Failure::Permanent, "HTTP 422: refused");
    if (r.key == "C" && push <= 3) return SinkResult::failed(Failure::Transient, "HTTP 503");
    return ok(r);
  });
  publish({{"A", R"({"id":"A"})"}, {"B", R"({"id":"B"})"}, {"C", R"({"id":"C"})"}, {"D", R"({"id":"D"})"}});
  auto at = t0_;
  for (int i = 0; i < 6 && !flow->caught_up(); ++i) flow->run_once(at += std::chrono::seconds(10));
  ASSERT_TRUE(flow->caught_up());
  EXPECT_EQ(pushes, (std::map<std::string, int>{{"A", 1}, {"B", 1}, {"C", 4}, {"D", 1}}));
  EXPECT_EQ(state_->count_dead_letters("orders", ""), 1);
  EXPECT_EQ(flow->current_run().read, 4);
  EXPECT_EQ(flow->current_run().created, 3);
  EXPECT_EQ(flow->current_run().dead_lettered, 1);
  EXPECT_EQ(flow->current_run().unchanged, 0);
}

// Each attempt lands part of the batch: the wait does not grow while it makes progress.
TEST_F(FlowRunnerTest, AnAttemptThatLandsPartOfTheBatchWaitsNoLongerThanTheFirst) {
  auto flow = runner([&](int push, const connectors::SinkRecord& r) {
    // push 1 lands A, push 2 lands B, push 3 lands C: one more each time
    return r.key[0] - 'A' < push ? ok(r) : SinkResult::failed(Failure::Transient, "HTTP 503");
  });
  publish({{"A", R"({"id":"A"})"}, {"B", R"({"id":"B"})"}, {"C", R"({"id":"C"})"}, {"D", R"({"id":"D"})"}});
  auto at = t0_;
  flow->run_once(at);
  for (int i = 0; i < 3; ++i) {
    // initial_backoff is 1 s (with jitter): 2.5 s is enough while progress resets the wait
    at += std::chrono::milliseconds(2500);
    EXPECT_TRUE(flow->run_once(at)) << "attempt " << i + 2 << " still backing off";
  }
  EXPECT_TRUE(flow->caught_up());
  EXPECT_EQ(pushed_.size(), 4u);
}

TEST_F(FlowRunnerTest, PermanentFailureIsDeadLetteredAndTheFlowGoesOn) {
  auto flow = runner([](int, const connectors::SinkRecord& r) {
    return r.key == "B" ? SinkResult::failed(Failure::Permanent, "HTTP 422: customer C-9 unknown") : ok(r);
  });
  publish({{"A", R"({"id":"A"})"}, {"B", R"({"id":"B","customer":"C-9"})"}, {"C", R"({"id":"C"})"}});
  EXPECT_TRUE(flow->run_once(t0_));
  EXPECT_EQ(flow->state(), FlowState::Running);
  EXPECT_EQ(pushed_.size(), 2u);
  EXPECT_TRUE(flow->caught_up());
  auto dlq = state_->dead_letters({.flow = "orders"});
  ASSERT_EQ(dlq.size(), 1u);
  EXPECT_EQ(dlq[0].key, "B");
  EXPECT_EQ(dlq[0].input, R"({"id":"B","customer":"C-9"})");
  EXPECT_EQ(dlq[0].error, "HTTP 422: customer C-9 unknown");
  EXPECT_EQ(dlq[0].stage, DeadLetterStage::Sink);
  EXPECT_EQ(dlq[0].mapping_version, "identity");
  EXPECT_EQ(dlq[0].origin, "crm.orders/p0-000000000001");
}

TEST_F(FlowRunnerTest, GivesUpAfterMaxAttempts) {
  auto flow =
      runner([](int, const connectors::SinkRecord&) { return SinkResult::failed(Failure::Transient, "down"); }, 2);
  publish({{"A", R"({"id":"A"})"}});
  flow->run_once(t0_);
  EXPECT_EQ(flow->state(), FlowState::BackingOff);
  flow->run_once(t0_ + std::chrono::seconds(5));
  EXPECT_EQ(flow->state(), FlowState::Running);
  auto dlq = state_->dead_letters({.flow = "orders"});
  ASSERT_EQ(dlq.size(), 1u);
  EXPECT_EQ(dlq[0].error, "gave up after 2 attempts: down");
  EXPECT_TRUE(flow->caught_up());
}

// An ERP down for a while: its orders wait for it, however long, and none is dead-lettered;
// reference_attempts (the limit for a customer that is not coming) does not count these.
TEST_F(FlowRunnerTest, ATargetDownForManyAttemptsIsWaitedForNotDeadLettered) {
  FlowOptions o = options();
  o.reference_attempts = 3;
  int pushes = 0;
  FlowRunner flow(o, *bus_, *state_,
                  std::make_unique<ScriptedSink>(
                      pushed_,
                      [&](int, const connectors::SinkRecord& r) {
                        return ++pushes <= 12 ? SinkResult::failed(Failure::Transient, "connection refused") : ok(r);
                      }),
                  std::make_shared<mapping::IdentityMapper>());
  publish({{"A", R"({"id":"A"})"}});
  auto at = t0_;
  for (int i = 0; i < 13; ++i) flow.run_once(at += std::chrono::minutes(1));
  EXPECT_EQ(state_->count_dead_letters("orders", ""), 0);
  ASSERT_EQ(pushed_.size(), 1u);
  EXPECT_EQ(pushed_[0].key, "A");
  EXPECT_TRUE(flow.caught_up());
}

// A multi-step write that failed after the save: the runtime keeps where it stopped (in the state
// store, so across a restart) and hands it back with the same content, never with new content.
TEST_F(FlowRunnerTest, AWriteLeftPartWayGoesOnWhereItStoppedAfterARestart) {
  std::vector<std::pair<std::string, std::string>> seen;  // (target id, resume) per push of A
  auto script = [&](int, const connectors::SinkRecord& r) {
    seen.emplace_back(std::string(r.target_id), std::string(r.resume));
    if (seen.size() > 1) return ok(r);
    SinkResult failed = SinkResult::failed(Failure::Transient, "audit: HTTP 503");
    failed.target_id = "T-A";
    failed.resume = "created:1";
    return failed;
  };
  publish({{"A", R"({"id":"A","v":1})"}});
  runner(script)->run_once(t0_);
  ASSERT_EQ(state_->write_progress("orders").size(), 1u);

  auto restarted = runner(script);
  EXPECT_TRUE(restarted->run_once(t0_));
  ASSERT_EQ(seen.size(), 2u);
  ASSERT_EQ(pushed_.size(), 1u);
  EXPECT_EQ(seen[1], (std::pair<std::string, std::string>{"T-A", "created:1"}));
  EXPECT_TRUE(pushed_.back().known_to_target);
  EXPECT_TRUE(state_->write_progress("orders").empty()) << "landed: nothing to resume";
  EXPECT_EQ(state_->ledger("orders", {"A"})[0]->target_id, "T-A");

  // Changed content is written whole (to the same target id), from the first step.
  SinkResult fail_again = SinkResult::failed(Failure::Transient, "submit: HTTP 503");
  fail_again.target_id = "T-A";
  fail_again.resume = "updated:0";
  int pushes = 0;
  auto changed = runner([&](int, const connectors::SinkRecord& r) {
    seen.emplace_back(std::string(r.target_id), std::string(r.resume));
    return ++pushes == 1 ? fail_again : ok(r);
  });
  publish({{"A", R"({"id":"A","v":2})"}});
  changed->run_once(t0_);
  publish({{"A", R"({"id":"A","v":3})"}});
  changed->run_once(t0_ + std::chrono::seconds(10));
  changed->run_once(t0_ + std::chrono::seconds(20));
  ASSERT_EQ(seen.size(), 5u);  // v1 twice, v2 twice (then in one batch with v3), v3
  EXPECT_EQ(seen[2], (std::pair<std::string, std::string>{"T-A", ""})) << "v2: the ledger's id, from the start";
  EXPECT_EQ(seen[3], (std::pair<std::string, std::string>{"T-A", "updated:0"})) << "v2 again: where it stopped";
  EXPECT_EQ(seen[4], (std::pair<std::string, std::string>{"T-A", ""})) << "v3 is not where v2 stopped";
}

// A target that cannot take anything until its config is fixed: nothing is dead-lettered, however
// often it is tried, and the flow says it is failing; once fixed, everything lands.
TEST_F(FlowRunnerTest, AConfigurationFailureStopsTheFlowWithoutDeadLettering) {
  bool fixed = false;
  auto flow = runner(
      [&](int, const connectors::SinkRecord& r) {
        return fixed ? ok(r) : SinkResult::failed(Failure::Configuration, "login refused: check the password");
      },
      2);
  publish({{"A", R"({"id":"A"})"}, {"B", R"({"id":"B"})"}});
  auto at = t0_;
  for (int i = 0; i < 5; ++i) flow->run_once(at += std::chrono::seconds(20));
  EXPECT_TRUE(flow->configuration_error());
  EXPECT_EQ(flow->status().state, "failing");
  EXPECT_EQ(flow->status().last_error, "login refused: check the password");
  EXPECT_EQ(state_->count_dead_letters("orders", ""), 0);
  EXPECT_TRUE(pushed_.empty());

  fixed = true;
  flow->run_once(at += std::chrono::seconds(20));
  EXPECT_FALSE(flow->configuration_error());
  EXPECT_EQ(pushed_.size(), 2u);
  EXPECT_TRUE(flow->caught_up());
}

// Records held back because the target asked to wait were never sent: however long the wait,
// they are not attempts (no "gave up"), and the flow waits just as long as it was asked.
TEST_F(FlowRunnerTest, RecordsHeldBackByRetryAfterAreNotAttempts) {
  int pushes = 0;
  auto flow = runner(
      [&](int push, const connectors::SinkRecord& r) {
        pushes = push;
        if (push > 5) return ok(r);
        SinkResult held = SinkResult::failed(Failure::Transient, "not sent: the target asked to wait",
                                             std::chrono::milliseconds(700));
        held.attempted = false;
        return held;
      },
      2);
  publish({{"A", R"({"id":"A"})"}});
  auto at = t0_;
  flow->run_once(at);
  // A wait runs from when the target said it (real time, when that is later than the time the
  // test passes): each step is 800 ms after both, so a slow machine does not make it early.
  for (int i = 0; i < 5; ++i) {
    at = std::max(at, Clock::now()) + std::chrono::milliseconds(800);
    EXPECT_TRUE(flow->run_once(at)) << i;
  }
  EXPECT_EQ(pushes, 6);
  EXPECT_EQ(state_->count_dead_letters("orders", ""), 0);
  ASSERT_EQ(pushed_.size(), 1u);
  EXPECT_EQ(flow->status().attempt, 0);
}

TEST_F(FlowRunnerTest, ReplayOfACorrectedDeadLetterLandsOnce) {
  bool target_fixed = false;
  auto flow = runner([&](int, const connectors::SinkRecord& r) {
    return !target_fixed && r.key == "B" ? SinkResult::failed(Failure::Permanent, "bad") : ok(r);
  });
  publish({{"A", R"({"id":"A"})"}, {"B", R"({"id":"B"})"}});
  flow->run_once(t0_);
  auto dlq = state_->dead_letters({.flow = "orders"});
  ASSERT_EQ(dlq.size(), 1u);
  target_fixed = true;
  ASSERT_TRUE(state_->request_replay(dlq[0].id, std::string(R"({"id":"B","fixed":true})")));
  EXPECT_FALSE(flow->caught_up());
  EXPECT_TRUE(flow->run_once(t0_));
  ASSERT_EQ(pushed_.size(), 2u);
  EXPECT_EQ(pushed_[1].value, R"({"id":"B","fixed":true})");
  EXPECT_EQ(pushed_[1].batch_id,
            "replay-" + std::string(12 - std::to_string(dlq[0].id).size(), '0') + std::to_string(dlq[0].id));
  EXPECT_EQ(state_->dead_letter(dlq[0].id)->status, "replayed");
  EXPECT_FALSE(flow->run_once(t0_));
  EXPECT_EQ(pushed_.size(), 2u);
}

TEST_F(FlowRunnerTest, AReplayTheSinkIsStillWritingIsNotReplayedAgain) {
  bool target_fixed = false;
  auto flow = runner(
      [&](int, const connectors::SinkRecord& r) {
        return !target_fixed && r.key == "B" ? SinkResult::failed(Failure::Permanent, "bad") : ok(r);
      },
      0, [](int) {});
  publish({{"A", R"({"id":"A"})"}, {"B", R"({"id":"B"})"}});
  flow->run_once(t0_);
  flow->settle();
  auto dlq = state_->dead_letters({.flow = "orders"});
  ASSERT_EQ(dlq.size(), 1u);
  target_fixed = true;
  ASSERT_TRUE(state_->request_replay(dlq[0].id, std::string(R"({"id":"B","fixed":true})")));
  EXPECT_TRUE(flow->run_once(t0_));
  EXPECT_EQ(state_->dead_letter(dlq[0].id)->status, "replaying") << "marked replayed when the write has settled";
  EXPECT_FALSE(flow->run_once(t0_));
  EXPECT_EQ(state_->dead_letter(dlq[0].id)->status, "replayed");
  ASSERT_EQ(pushed_.size(), 2u);
  EXPECT_EQ(flow->status().unchanged, 0) << "the replay was not taken up a second time";
  EXPECT_EQ(flow->status().created, 2);
}

// Customers flow fills the xref; the orders flow looks customers up in it
// and waits (retries) for one that has not arrived yet.
TEST_F(FlowRunnerTest, OrdersWaitForTheirCustomerCrossReference) {
  StateXref xref(*state_);
  test::write_file(dir_.path() / "orders.yaml",
                   "key: no\nfields:\n  no: no\n  customer: {from: customer, lookup: {xref: customer, from: crm, "
                   "to: erp}}\n  v: v\n");
  auto mapper = std::make_shared<mapping::PlanMapper>(mapping::load_mapping(dir_.str("orders.yaml")), &xref);
  FlowOptions o;
  o.name = "orders";
  o.topic = "crm.orders";
  o.sink_name = "erp.sale_orders";
  o.initial_backoff = std::chrono::seconds(1);
  o.reference_attempts = 4;
  std::vector<Pushed> orders, customers;
  FlowRunner order_flow(o, *bus_, *state_, std::make_unique<ScriptedSink>(orders), mapper);
  o.name = "customers";
  o.topic = "crm.customers";
  o.xref_entity = "customer";
  o.xref_from = "crm";
  o.xref_to = "erp";
  FlowRunner customer_flow(o, *bus_, *state_, std::make_unique<ScriptedSink>(customers),
                           std::make_shared<mapping::IdentityMapper>());
  auto publish_to = [&](const std::string& topic, const std::string& key, const std::string& value) {
    bus_->publish({{topic, key, value, {}}});
  };
  publish_to("crm.customers", "C1", R"({"id":"C1"})");
  EXPECT_TRUE(customer_flow.run_once(t0_));
  EXPECT_EQ(state_->find_xref("customer", "crm", "C1", "erp"), "T-C1");

  publish_to("crm.orders", "O1", R"({"no":"O1","customer":"C2","v":1})");  // C2 is still on its way
  publish_to("crm.orders", "O2", R"({"no":"O2","customer":"C1","v":1})");
  publish_to("crm.orders", "O1", R"({"no":"O1","customer":"C2","v":2})");  // must not overtake v1
  EXPECT_TRUE(order_flow.run_once(t0_));
  EXPECT_EQ(order_flow.state(), FlowState::BackingOff);
  ASSERT_EQ(orders.size(), 1u);
  EXPECT_EQ(orders[0].value, R"({"no":"O2","customer":"T-C1","v":1})");
  EXPECT_TRUE(state_->dead_letters({.flow = "orders"}).empty());

  publish_to("crm.customers", "C2", R"({"id":"C2"})");
  EXPECT_TRUE(customer_flow.run_once(t0_));
  EXPECT_TRUE(order_flow.run_once(t0_ + std::chrono::seconds(2)));
  ASSERT_EQ(orders.size(), 3u);
  EXPECT_EQ(orders[1].value, R"({"no":"O1","customer":"T-C2","v":1})");
  EXPECT_EQ(orders[2].value, R"({"no":"O1","customer":"T-C2","v":2})");
  EXPECT_TRUE(order_flow.caught_up());

  // A customer that never comes: dead-lettered after reference_attempts, the flow goes on.
  publish_to("crm.orders", "O3", R"({"no":"O3","customer":"C9","v":1})");
  auto later = t0_ + std::chrono::seconds(10);
  for (int i = 0; i < 4; ++i, later += std::chrono::seconds(20)) order_flow.run_once(later);
  auto dlq = state_->dead_letters({.flow = "orders"});
  ASSERT_EQ(dlq.size(), 1u);
  EXPECT_EQ(dlq[0].error,
            "gave up after 4 attempts: customer: value \"C9\" has no xref customer crm -> erp (field "
            "customer)");
  EXPECT_TRUE(order_flow.caught_up());
}

// Master data that takes longer than the attempts allow (a slow or failing customer flow): orders
// wait for it as long as the customer flow has work left, then give up only if it never came.
TEST_F(FlowRunnerTest, OrdersWaitForMasterDataAsLongAsItsFlowHasWorkLeft) {
  StateXref xref(*state_);
  test::write_file(dir_.path() / "orders.yaml",
                   "key: no\nfields:\n  no: no\n  customer: {from: customer, lookup: {xref: customer, from: crm, "
                   "to: erp}}\n");
  auto mapper = std::make_shared<mapping::PlanMapper>(mapping::load_mapping(dir_.str("orders.yaml")), &xref);
  FlowOptions o;
  o.name = "orders";
  o.topic = "crm.orders";
  o.initial_backoff = std::chrono::seconds(1);
  o.max_backoff = std::chrono::seconds(2);
  o.reference_attempts = 3;
  std::vector<Pushed> orders, customers;
  FlowRunner order_flow(o, *bus_, *state_, std::make_unique<ScriptedSink>(orders), mapper);
  o.name = "customers";
  o.topic = "crm.customers";
  o.xref_entity = "customer";
  o.xref_from = "crm";
  o.xref_to = "erp";
  bool customers_down = true;
  FlowRunner customer_flow(
      o, *bus_, *state_,
      std::make_unique<ScriptedSink>(customers,
                                     [&](int, const connectors::SinkRecord& r) {
                                       return customers_down ? SinkResult::failed(Failure::Transient, "503") : ok(r);
                                     }),
      std::make_shared<mapping::IdentityMapper>());
  order_flow.wait_for_masters([&] { return !customer_flow.caught_up(); });
  bus_->publish({{"crm.customers", "C1", R"({"id":"C1"})", {}}});
  bus_->publish({{"crm.orders", "O1", R"({"no":"O1","customer":"C1"})", {}}});
  bus_->publish({{"crm.orders", "O9", R"({"no":"O9","customer":"C9"})", {}}});  // C9 never comes
  auto at = t0_;
  customer_flow.run_once(at);
  for (int i = 0; i < 8; ++i) order_flow.run_once(at += std::chrono::seconds(5));  // far past 3 attempts
  EXPECT_TRUE(state_->dead_letters({.flow = "orders"}).empty()) << "the customers are still on their way";
  EXPECT_TRUE(orders.empty());

  customers_down = false;
  customer_flow.run_once(at += std::chrono::seconds(100));
  ASSERT_TRUE(customer_flow.caught_up());
  order_flow.run_once(at += std::chrono::seconds(5));
  ASSERT_EQ(orders.size(), 1u);
  EXPECT_EQ(orders[0].key, "O1");
  auto dlq = state_->dead_letters({.flow = "orders"});
  ASSERT_EQ(dlq.size(), 1u) << "every customer written, C9 is not among them";
  EXPECT_EQ(dlq[0].key, "O9");
}

TEST(BackoffTest, GrowsExponentiallyWithJitterCapsAndHonoursRequests) {
  Backoff b(std::chrono::seconds(1), std::chrono::seconds(10));
  for (int i = 0; i < 50; ++i) {
    auto first = b.next(1);
    EXPECT_GE(first, std::chrono::milliseconds(500));
    EXPECT_LE(first, std::chrono::milliseconds(1000));
    auto third = b.next(3);
    EXPECT_GE(third, std::chrono::milliseconds(2000));
    EXPECT_LE(third, std::chrono::milliseconds(4000));
    auto capped = b.next(30);
    EXPECT_GE(capped, std::chrono::milliseconds(5000));
    EXPECT_LE(capped, std::chrono::milliseconds(10000));
  }
  EXPECT_EQ(b.next(1, std::chrono::seconds(60)), std::chrono::seconds(60));
}

}  // namespace
}  // namespace synchub::runtime
