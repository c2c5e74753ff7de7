// The source poller on the embedded bus and a SQLite state: the cursor moves
// only past batches that are durable, one batch's delivery overlaps the next
// pull, and a failed delivery is read again, never skipped.
#include "runtime/source_poller.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <thread>

#include "runtime/bus/embedded_bus.hpp"
#include "tests/support/files.hpp"

namespace synchub::runtime {
namespace {

// Orders 0..count-1 read in order; the cursor is the next order's number.
// `reads_ahead`: pull() may be handed a cursor that is not committed yet.
class NumberedOrders final : public connectors::SourceStream {
 public:
  explicit NumberedOrders(size_t count, bool reads_ahead = true) : count_(count), reads_ahead_(reads_ahead) {}
  bool reads_ahead() const override { return reads_ahead_; }
  connectors::PullResult pull(const std::string& cursor, size_t max_records) override {
    connectors::PullResult result;
    if (on_pull) on_pull(cursor);
    const size_t from = cursor.empty() ? 0 : std::stoul(cursor);
    const size_t to = std::min(count_, from + max_records);
    for (size_t i = from; i < to; ++i)
      result.records.push_back({"SO-" + std::to_string(i), "{\"n\":" + std::to_string(i) + "}", std::to_string(i)});
    result.next_cursor = std::to_string(to);
    result.more = to < count_;
    return result;
  }
  std::chrono::milliseconds poll_interval() const override { return std::chrono::milliseconds(0); }
  std::string accept(const std::string&, connectors::SourceRecord&) const override { return "not replayable"; }
  std::function<void(const std::string& cursor)> on_pull;

 private:
  size_t count_;
  bool reads_ahead_;
};

// The embedded bus, except that the delivery of the publish numbered `fail_at` (from 1) fails
// when waited for, after its events were stored (as a Kafka delivery report can fail after a send).
class BusFailingOneDelivery final : public Bus {
 public:
  BusFailingOneDelivery(Bus& bus, int fail_at) : bus_(bus), fail_at_(fail_at) {}
  void publish(const std::vector<OutgoingEvent>& events) override { bus_.publish(events); }
  std::unique_ptr<PendingPublish> start_publish(std::vector<OutgoingEvent>&& events) override {
    struct Failed final : PendingPublish {
      void wait() override { throw std::runtime_error("delivery failed"); }
    };
    bus_.publish(events);
    if (++publishes_ == fail_at_) return std::make_unique<Failed>();
    return bus_.start_publish({});
  }
  std::unique_ptr<Consumer> subscribe(const std::string& group, const std::string& topic) override {
    return bus_.subscribe(group, topic);
  }
  int64_t enforce_retention() override { return 0; }

 private:
  Bus& bus_;
  int fail_at_;
  int publishes_ = 0;
};

struct SourcePollerTest : ::testing::Test {
  test::TempDir dir;
  std::unique_ptr<Bus> bus = open_embedded_bus({dir.str("bus.db"), 3, false});
  std::unique_ptr<StateStore> state = open_sqlite_state(dir.str("state.db"), false);
  SourceOptions options{"crm", "orders", "crm.orders", "hub", 100, "worker-1"};

  // Every key on the topic and how often it is there.
  std::map<std::string, int> keys_on_the_bus() {
    std::map<std::string, int> seen;
    auto consumer = bus->subscribe("check", "crm.orders");
    for (auto events = consumer->poll(1000); !events.empty(); events = consumer->poll(1000))
      for (const auto& e : events) ++seen[e.key];
    return seen;
  }
};

TEST_F(SourcePollerTest, TheCursorFollowsOneBatchBehindWhileMoreIsReadyAndCatchesUpAtTheEnd) {
  SourcePoller poller(options, *bus, *state, std::make_unique<NumberedOrders>(250));
  ASSERT_TRUE(poller.poll_once(Clock::now()));  // 0..99 published, in flight
  EXPECT_EQ(state->cursor("crm.orders"), "");
  ASSERT_TRUE(poller.poll_once(Clock::now()));  // 100..199 published; 0..99 committed
  EXPECT_EQ(state->cursor("crm.orders"), "100");
  ASSERT_TRUE(poller.poll_once(Clock::now()));  // 200..249: nothing more, committed at once
  EXPECT_EQ(state->cursor("crm.orders"), "250");
  EXPECT_FALSE(poller.poll_once(Clock::now()));
  EXPECT_TRUE(poller.drained());
  auto seen = keys_on_the_bus();
  EXPECT_EQ(seen.size(), 250u);
  for (const auto& [key, count] : seen) EXPECT_EQ(count, 1) << key;
}

// The file source archives a finished file when handed its end: it must only see committed cursors.
TEST_F(SourcePollerTest, ASourceThatDoesNotReadAheadIsHandedCommittedCursorsOnly) {
  auto source = std::make_unique<NumberedOrders>(250, false);
  int pulls = 0;
  source->on_pull = [&](const std::string& cursor) {
    ++pulls;
    EXPECT_EQ(cursor, state->cursor("crm.orders")) << "pulled from an uncommitted cursor";
  };
  SourcePoller poller(options, *bus, *state, std::move(source));
  while (!poller.drained()) poller.poll_once(Clock::now());
  EXPECT_GE(pulls, 3);
  EXPECT_EQ(state->cursor("crm.orders"), "250");
  EXPECT_EQ(keys_on_the_bus().size(), 250u);
}

TEST_F(SourcePollerTest, AFailedDeliveryIsReadAgainAndNothingIsSkipped) {
  BusFailingOneDelivery failing(*bus, 2);  // the second batch (100..199)
  SourcePoller poller(options, failing, *state, std::make_unique<NumberedOrders>(250));
  poller.poll_once(Clock::now());  // 0..99 in flight
  poller.poll_once(Clock::now());  // 0..99 committed, 100..199 in flight
  EXPECT_EQ(state->cursor("crm.orders"), "100");
  // 200..249 published, then the wait for 100..199 fails: neither cursor is committed.
  EXPECT_FALSE(poller.poll_once(Clock::now()));
  EXPECT_EQ(state->cursor("crm.orders"), "100");
  EXPECT_FALSE(poller.drained());
  // After the back-off the poller reads again from the committed cursor.
  const auto later = Clock::now() + std::chrono::minutes(10);
  while (!poller.drained()) poller.poll_once(later);
  EXPECT_EQ(state->cursor("crm.orders"), "250");
  auto seen = keys_on_the_bus();
  ASSERT_EQ(seen.size(), 250u);  // at least once: every order is there
  EXPECT_EQ(seen["SO-0"], 1);
  EXPECT_EQ(seen["SO-150"], 2);  // its batch was published again
}

// A source whose calls fail for its configuration (a refused login) is stuck after a few polls, so
// that `run --once` stops and says so; a target that is down is not: it is waited for.
TEST_F(SourcePollerTest, AConfigurationErrorOfTheSourceIsStuckATargetThatIsDownIsNot) {
  auto refused = std::make_unique<NumberedOrders>(10);
  refused->on_pull = [](const std::string&) { throw connectors::ConfigurationError("login refused: check it"); };
  SourcePoller poller(options, *bus, *state, std::move(refused));
  auto now = Clock::now();
  for (int i = 0; i < SourcePoller::kLocalFailuresStuck; ++i) poller.poll_once(now += std::chrono::hours(1));
  EXPECT_EQ(poller.stuck(), "source crm.orders: login refused: check it");

  auto down = std::make_unique<NumberedOrders>(10);
  down->on_pull = [](const std::string&) { throw std::runtime_error("answered HTTP 503"); };
  SourcePoller waiting(options, *bus, *state, std::move(down));
  for (int i = 0; i < 2 * SourcePoller::kLocalFailuresStuck; ++i) waiting.poll_once(now += std::chrono::hours(1));
  EXPECT_EQ(waiting.stuck(), "");
}

TEST_F(SourcePollerTest, StoppingCommitsTheBatchInFlight) {
  {
    SourcePoller poller(options, *bus, *state, std::make_unique<NumberedOrders>(250));
    poller.poll_once(Clock::now());
    EXPECT_EQ(state->cursor("crm.orders"), "");
    poller.stop();
  }
  EXPECT_EQ(state->cursor("crm.orders"), "100");
  // A restarted poller goes on from there: nothing read twice.
  SourcePoller restarted(options, *bus, *state, std::make_unique<NumberedOrders>(250));
  while (!restarted.drained()) restarted.poll_once(Clock::now());
  for (const auto& [key, count] : keys_on_the_bus()) EXPECT_EQ(count, 1) << key;
}

TEST_F(SourcePollerTest, AWorkerThatStalledPastItsLeaseCannotMoveTheCursor) {
  options.lease_ttl = std::chrono::milliseconds(300);
  SourcePoller stalled(options, *bus, *state, std::make_unique<NumberedOrders>(250));
  const auto t0 = Clock::now();
  stalled.poll_once(t0);  // 0..99 in flight; its lease is renewed at t0 + 100 ms
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  ASSERT_TRUE(state->acquire_lease(source_lease("crm.orders"), "worker-2", std::chrono::seconds(30)));
  // Its clock stands still (a stall): it does not know yet, reads on, and the commit is refused.
  EXPECT_FALSE(stalled.poll_once(t0));
  EXPECT_EQ(state->cursor("crm.orders"), "");
  EXPECT_TRUE(stalled.drained()) << "the stream is the other worker's now";
  EXPECT_FALSE(stalled.poll_once(Clock::now() + std::chrono::seconds(1))) << "and stays so";
  EXPECT_EQ(state->cursor("crm.orders"), "");
}

// What the admin API shows of a source: polling while it has more, idle once read, backing off at a
// failure, failing from the third in a row (with the error, its time and the count), a good poll
// again clears it; records read; the committed cursor; paused by an operator, not polled.
TEST_F(SourcePollerTest, ItsStatusSaysWhetherItReadsAndWhyNot) {
  auto source = std::make_unique<NumberedOrders>(250);
  bool down = false;
  source->on_pull = [&](const std::string&) {
    if (down) throw std::runtime_error("erp answered HTTP 503: down for maintenance");
  };
  SourcePoller poller(options, *bus, *state, std::move(source));
  poller.set_flows({"orders_to_erp", "orders_to_finance"});
  SourceStatus s = poller.status();
  EXPECT_EQ(s.name, "crm.orders");
  EXPECT_EQ(s.connector, "crm");
  EXPECT_EQ(s.stream, "orders");
  EXPECT_EQ(s.state, "idle");
  EXPECT_EQ(s.last_success_ms, 0);
  EXPECT_EQ(s.flows, (std::vector<std::string>{"orders_to_erp", "orders_to_finance"}));

  auto now = Clock::now();
  poller.poll_once(now);
  s = poller.status();
  EXPECT_EQ(s.state, "polling");  // more to read
  EXPECT_EQ(s.records_read, 100);
  EXPECT_GT(s.last_success_ms, 0);
  while (!poller.drained()) poller.poll_once(now);
  s = poller.status();
  EXPECT_EQ(s.state, "idle");
  EXPECT_EQ(s.records_read, 250);
  EXPECT_EQ(s.read_5m, 250);
  EXPECT_EQ(s.read_24h, 250);
  ASSERT_EQ(s.read_per_minute.size(), 60u);
  EXPECT_EQ(s.read_per_minute.back() + s.read_per_minute[58], 250);
  EXPECT_EQ(s.cursor, "250");
  EXPECT_EQ(s.cursor_time_ms, 0) << "a counter, not a time";
  const int64_t succeeded = s.last_success_ms;

  down = true;
  poller.poll_once(now += std::chrono::hours(1));
  s = poller.status();
  EXPECT_EQ(s.state, "backing_off");
  EXPECT_EQ(s.consecutive_failures, 1);
  EXPECT_EQ(s.last_error, "erp answered HTTP 503: down for maintenance");
  EXPECT_GT(s.last_error_ms, 0);
  EXPECT_GT(s.next_poll_ms, 0);
  poller.poll_once(now += std::chrono::hours(1));
  poller.poll_once(now += std::chrono::hours(1));
  s = poller.status();
  EXPECT_EQ(s.state, "failing");
  EXPECT_EQ(s.consecutive_failures, 3);
  EXPECT_EQ(s.errors, 3);
  EXPECT_EQ(s.last_success_ms, succeeded);

  down = false;
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  poller.poll_once(now += std::chrono::hours(1));
  s = poller.status();
  EXPECT_EQ(s.state, "idle");
  EXPECT_EQ(s.consecutive_failures, 0);
  EXPECT_EQ(s.errors, 3);
  EXPECT_GT(s.last_success_ms, succeeded);
  EXPECT_EQ(s.last_error, "erp answered HTTP 503: down for maintenance") << "kept, with its time";

  poller.set_paused(true);
  EXPECT_EQ(poller.status().state, "paused");
  EXPECT_TRUE(poller.drained());
  down = true;  // not polled while paused: no failure
  EXPECT_FALSE(poller.poll_once(now += std::chrono::hours(1)));
  EXPECT_EQ(poller.status().consecutive_failures, 0);
  poller.set_paused(false);
  down = false;
  poller.poll_once(now += std::chrono::hours(1));
  EXPECT_EQ(poller.status().state, "idle");
}

}  // namespace
}  // namespace synchub::runtime
