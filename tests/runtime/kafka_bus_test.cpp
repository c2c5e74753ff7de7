// The Kafka bus over the real protocol: librdkafka's mock cluster (3 brokers)
// in its own process. Round trip with CloudEvents headers and per-key order,
// group offsets across restarts, a rebalance between two consumers, injected
// broker errors without loss or duplicates, and a group's uncommitted events
// read without joining it.
#include "runtime/bus/kafka_bus.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <thread>

#include "tests/support/files.hpp"
#include "tests/support/kafka_mock.hpp"

namespace synchub::runtime {
namespace {

using namespace std::chrono_literals;

KafkaBusOptions options(const test::KafkaMock& kafka) {
  KafkaBusOptions o;
  o.bootstrap_servers = kafka.bootstrap_servers();
  o.group_prefix = "synchub.test.";
  // Seen with the 2.0.2 mock cluster: a restarted consumer is assigned partitions only after the
  // closed one's session timed out (45 s by default), so the tests use a short session.
  o.properties = {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "500"}};
  o.create_topics = false;  // librdkafka 2.0's mock cluster has no CreateTopics: the tests create them

  o.delivery_timeout = 20s;
  return o;
}

std::vector<OutgoingEvent> events(const std::string& topic, int from, int count, int keys = 10) {
  std::vector<OutgoingEvent> out;
  for (int i = from; i < from + count; ++i)
    out.push_back({topic,
                   "K" + std::to_string(i % keys),
                   "{\"n\":" + std::to_string(i) + "}",
                   {{"ce_id", "id-" + std::to_string(i)}, {"ce_type", "synchub.orders.upserted"}}});
  return out;
}

// Polls until `count` events came (or 20 s passed).
// Up to `count` events, for at most two minutes (a stuck consumer fails its
// test instead of running into ctest's timeout).
std::vector<Event> consume(Consumer& consumer, size_t count) {
  std::vector<Event> got;
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (got.size() < count && std::chrono::steady_clock::now() < deadline) {
    auto batch = consumer.poll(500);
    got.insert(got.end(), std::make_move_iterator(batch.begin()), std::make_move_iterator(batch.end()));
    if (batch.empty()) std::this_thread::sleep_for(10ms);
  }
  return got;
}

int number(const Event& e) {
  return std::stoi(e.value.substr(5));
}

TEST(KafkaBus, RoundTripKeepsHeadersAndPerKeyOrder) {
  test::KafkaMock kafka;
  kafka.command("topic crm.orders 4 3");
  auto bus = open_kafka_bus(options(kafka));
  bus->publish(events("crm.orders", 0, 500));
  auto consumer = bus->subscribe("synchub.orders", "crm.orders");
  auto got = consume(*consumer, 500);
  ASSERT_EQ(got.size(), 500u);
  std::map<std::string, int> last_of_key;
  std::map<std::string, std::set<int32_t>> partitions_of_key;
  std::set<int> seen;
  for (const auto& e : got) {
    const int n = number(e);
    EXPECT_TRUE(seen.insert(n).second) << "duplicate " << n;
    ASSERT_TRUE(e.header("ce_id"));
    EXPECT_EQ(*e.header("ce_id"), "id-" + std::to_string(n));
    EXPECT_EQ(*e.header("ce_type"), "synchub.orders.upserted");
    auto [it, first] = last_of_key.try_emplace(e.key, n);
    if (!first) {
      EXPECT_GT(n, it->second) << "per-key order for " << e.key;
    }
    it->second = n;
    partitions_of_key[e.key].insert(e.partition);
  }
  std::set<int32_t> used;
  for (const auto& [key, partitions] : partitions_of_key) {
    EXPECT_EQ(partitions.size(), 1u) << key << " is on one partition";
    used.insert(*partitions.begin());
  }
  EXPECT_GT(used.size(), 1u) << "keys spread over the partitions";
}

// `create_topics: true` (the default) on librdkafka's mock cluster, which names a controller it
// does not have: the topic is left to the cluster's auto-creation, and events flow, instead of
// every topic waiting 15 s for an answer that never comes and the hub failing to start.
TEST(KafkaBus, CreateTopicsOnAClusterThatCannotCreateThemLeavesThemToAutoCreation) {
  test::KafkaMock kafka;
  KafkaBusOptions o = options(kafka);
  o.create_topics = true;
  auto bus = open_kafka_bus(o);
  bus->publish(events("crm.invoices", 0, 20));
  auto consumer = bus->subscribe("synchub.invoices", "crm.invoices");
  EXPECT_EQ(consume(*consumer, 20).size(), 20u);
}

TEST(KafkaBus, GroupOffsetsSurviveARestart) {
  test::KafkaMock kafka;
  kafka.command("topic t 4 3");
  auto bus = open_kafka_bus(options(kafka));
  bus->publish(events("t", 0, 200));
  std::set<int> seen;
  {
    auto consumer = bus->subscribe("synchub.flow", "t");
    auto got = consume(*consumer, 200);
    ASSERT_EQ(got.size(), 200u);
    // Commit only the first half of what each partition gave.
    std::map<int32_t, std::vector<const Event*>> by_partition;
    for (const auto& e : got) by_partition[e.partition].push_back(&e);
    Positions positions;
    for (auto& [p, list] : by_partition) {
      const size_t half = list.size() / 2;
      positions[p] = half ? list[half - 1]->offset + 1 : list.front()->offset;
      for (size_t i = 0; i < half; ++i) seen.insert(number(*list[i]));
    }
    consumer->commit(positions);
    EXPECT_EQ(consumer->lag(), static_cast<int64_t>(200 - seen.size()));
  }
  auto again = bus->subscribe("synchub.flow", "t");  // the same group, restarted
  auto rest = consume(*again, 200 - seen.size());
  for (const auto& e : rest) EXPECT_TRUE(seen.insert(number(e)).second) << "redelivered after commit: " << number(e);
  EXPECT_EQ(seen.size(), 200u);
  EXPECT_TRUE(again->poll(100).empty());
}

TEST(KafkaBus, TwoConsumersShareTheTopicAndTheRewindGoesBackToTheCommit) {
  test::KafkaMock kafka;
  kafka.command("topic shared 4 3");
  auto bus = open_kafka_bus(options(kafka));
  auto a = bus->subscribe("synchub.flow", "shared");
  auto b = bus->subscribe("synchub.flow", "shared");
  // Until both hold partitions (lag is "unknown", 1, before a consumer's first assignment);
  // their polls serve the group's join.
  auto joined = [&] { return a->lag() == 0 && b->lag() == 0; };
  ASSERT_TRUE(test::eventually(
      [&] {
        if (joined()) return true;
        a->poll(1);
        b->poll(1);
        return false;
      },
      15s))
      << "both consumers joined: lag " << a->lag() << " + " << b->lag();
  bus->publish(events("shared", 0, 400, 40));
  std::map<int, int> times;
  std::set<int32_t> a_partitions, b_partitions;
  for (int i = 0; i < 3000; ++i) {
    for (auto* c : {a.get(), b.get()}) {
      auto batch = c->poll(100);
      for (const auto& e : batch) {
        ++times[number(e)];
        (c == a.get() ? a_partitions : b_partitions).insert(e.partition);
      }
      c->commit(positions_after(batch));
    }
    if (times.size() == 400) break;
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(times.size(), 400u);
  for (const auto& [n, count] : times) EXPECT_EQ(count, 1) << n;
  EXPECT_FALSE(a_partitions.empty());
  EXPECT_FALSE(b_partitions.empty());
  for (int32_t p : a_partitions) EXPECT_EQ(b_partitions.count(p), 0u) << "partition " << p << " went to both";
  EXPECT_EQ(a->lag() + b->lag(), 0);

  // Uncommitted events come again after a rewind.
  bus->publish(events("shared", 400, 40, 40));
  std::vector<Event> first;
  for (int i = 0; i < 2000 && first.size() < 40; ++i) {
    for (auto* c : {a.get(), b.get()}) {
      auto batch = c->poll(100);
      first.insert(first.end(), batch.begin(), batch.end());
    }
  }
  ASSERT_EQ(first.size(), 40u);
  a->rewind();
  b->rewind();
  std::set<int> again;
  for (int i = 0; i < 2000 && again.size() < 40; ++i)
    for (auto* c : {a.get(), b.get()})
      for (const auto& e : c->poll(100)) again.insert(number(e));
  EXPECT_EQ(again.size(), 40u);
}

TEST(KafkaBus, BrokerErrorsAndABrokerDownLoseNothing) {
  test::KafkaMock kafka;
  kafka.command("topic orders 4 3");
  auto bus = open_kafka_bus(options(kafka));
  bus->publish(events("orders", 0, 10));  // topic and leaders known
  // Produce (api key 0) refused 5 times with NOT_LEADER_OR_FOLLOWER (6), then a broker down for a while.
  kafka.command("errors 0 6 5");
  bus->publish(events("orders", 10, 200));
  kafka.command("down 2");
  std::thread up([&] {
    std::this_thread::sleep_for(1500ms);
    kafka.command("up 2");
  });
  bool published = false;
  for (int attempt = 0; attempt < 5 && !published; ++attempt) {
    try {  // a publish that fails is done again, as the source poller does
      bus->publish(events("orders", 210, 200));
      published = true;
    } catch (const std::exception& e) {
      std::this_thread::sleep_for(500ms);
    }
  }
  up.join();
  ASSERT_TRUE(published);
  auto consumer = bus->subscribe("synchub.orders", "orders");
  auto got = consume(*consumer, 410);
  std::map<int, int> times;
  for (const auto& e : got) ++times[number(e)];
  for (int n = 0; n < 410; ++n) EXPECT_GE(times[n], 1) << n << " lost";
  for (int n = 0; n < 210; ++n) EXPECT_EQ(times[n], 1) << n << " duplicated (the producer is idempotent)";
}

// What a flow's group has not committed, read for a reconciliation while the flow runs: the
// reader must not join the group (a rebalance would take the flow's partitions and redeliver
// what it holds) nor move its offsets.
TEST(KafkaBus, UncommittedEventsAreReadWithoutJoiningTheGroupOrCommitting) {
  test::KafkaMock kafka;
  kafka.command("topic pending 4 3");
  auto o = options(kafka);
  o.properties["statistics.interval.ms"] = "100";  // the flow's rebalances, counted by librdkafka
  auto bus = open_kafka_bus(o);
  bus->publish(events("pending", 0, 100));
  auto live = bus->subscribe("synchub.orders", "pending");
  auto got = consume(*live, 100);
  ASSERT_EQ(got.size(), 100u);
  // The first half of what each partition gave is committed; the flow holds the rest.
  std::map<int32_t, std::vector<const Event*>> by_partition;
  for (const auto& e : got) by_partition[e.partition].push_back(&e);
  Positions positions;
  std::set<std::pair<std::string, int>> rest;  // (key, number)
  for (auto& [p, list] : by_partition) {
    const size_t half = list.size() / 2;
    positions[p] = list[half]->offset;
    for (size_t i = half; i < list.size(); ++i) rest.emplace(list[i]->key, number(*list[i]));
  }
  live->commit(positions);
  ASSERT_GT(rest.size(), 0u);
  ASSERT_LT(rest.size(), 100u);
  auto keys_and_numbers = [](const std::vector<Event>& list) {
    std::set<std::pair<std::string, int>> out;
    for (const auto& e : list) {
      EXPECT_EQ(*e.header("ce_id"), "id-" + std::to_string(number(e)));
      out.emplace(e.key, number(e));
    }
    return out;
  };
  const std::string rebalanced_once = "synchub_kafka_rebalances_total{client=\"synchub.test.orders\"} 1\n";
  std::vector<Event> pending;
  ASSERT_TRUE(test::eventually(  // the commit is asynchronous; its statistics come every 100 ms
      [&] {
        live->poll(1);  // serves the commit's answer and the statistics
        pending = bus->uncommitted("synchub.orders", "pending", 1000);
        return pending.size() == rest.size() && bus->metrics_text().find(rebalanced_once) != std::string::npos;
      },
      20s))
      << pending.size() << " pending of " << rest.size() << "\n"
      << bus->metrics_text();
  EXPECT_EQ(keys_and_numbers(pending), rest);
  EXPECT_EQ(pending.size(), rest.size()) << "each once";
  EXPECT_EQ(bus->uncommitted("synchub.orders", "pending", 7).size(), 7u);

  // The flow keeps its partitions: over a few heartbeats it is not rebalanced, and what it
  // polls next is only what is new, nothing it held comes again.
  bool quiet = true;
  for (const auto until = std::chrono::steady_clock::now() + 3s; std::chrono::steady_clock::now() < until;)
    quiet = live->poll(100).empty() && quiet;
  EXPECT_TRUE(quiet) << "events delivered again: the flow's partitions were reassigned";
  EXPECT_NE(bus->metrics_text().find(rebalanced_once), std::string::npos) << bus->metrics_text();
  bus->publish(events("pending", 100, 10));
  std::set<int> fresh;
  for (const auto& e : consume(*live, 10)) fresh.insert(number(e));
  EXPECT_EQ(fresh, (std::set<int>{100, 101, 102, 103, 104, 105, 106, 107, 108, 109}));

  // Nothing was committed by the reads: the group's offsets are where the flow put them.
  for (int n = 100; n < 110; ++n) rest.emplace("K" + std::to_string(n % 10), n);
  EXPECT_EQ(keys_and_numbers(bus->uncommitted("synchub.orders", "pending", 1000)), rest);
  // A group that committed nothing has everything to do; a topic never published to, nothing.
  EXPECT_EQ(bus->uncommitted("synchub.invoices", "pending", 1000).size(), 110u);
  EXPECT_EQ(bus->uncommitted("synchub.invoices", "pending", 1000).size(), 110u);
  EXPECT_TRUE(bus->uncommitted("synchub.orders", "unpublished", 1000).empty());
}

// The age of the oldest event a flow polled and has not committed (a batch being retried).
TEST(KafkaBus, TheOldestUncommittedEventIsKnown) {
  test::KafkaMock kafka;
  kafka.command("topic aged 2 3");
  auto bus = open_kafka_bus(options(kafka));
  const auto before =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  bus->publish(events("aged", 0, 20));
  auto consumer = bus->subscribe("synchub.orders", "aged");
  EXPECT_EQ(consumer->oldest_pending_ms(), 0) << "nothing polled yet";
  auto got = consume(*consumer, 20);
  ASSERT_EQ(got.size(), 20u);
  EXPECT_GE(consumer->oldest_pending_ms(), before - 1000);  // broker timestamps: a clock of the same machine
  EXPECT_LE(consumer->oldest_pending_ms(), before + 10000);
  consumer->rewind();  // the sink failed: still pending
  EXPECT_GT(consumer->oldest_pending_ms(), 0);
  got = consume(*consumer, 20);
  consumer->commit(positions_after(got));
  EXPECT_EQ(consumer->oldest_pending_ms(), 0);
}

// librdkafka's statistics of the producer and of each flow's consumer reach /metrics.
TEST(KafkaBus, ClientStatisticsBecomeMetrics) {
  test::KafkaMock kafka;
  kafka.command("topic stats 4 3");
  auto o = options(kafka);
  o.properties["statistics.interval.ms"] = "100";
  auto bus = open_kafka_bus(o);
  bus->publish(events("stats", 0, 300));
  auto consumer = bus->subscribe("synchub.orders", "stats");
  ASSERT_EQ(consume(*consumer, 300).size(), 300u);
  auto has = [&](const std::string& text, const std::string& line) { return text.find(line) != std::string::npos; };
  std::string metrics;
  test::eventually(  // the next statistics after everything went through
      [&] {
        consumer->poll(1);  // serves the consumer's statistics
        metrics = bus->metrics_text();
        return has(metrics, "synchub_kafka_messages_total{client=\"producer\",direction=\"produced\"} 300\n") &&
               has(metrics, "{client=\"synchub.test.orders\",direction=\"consumed\"} 300\n");
      },
      5s);
  EXPECT_TRUE(has(metrics, "synchub_kafka_messages_total{client=\"producer\",direction=\"produced\"} 300\n"))
      << metrics;
  EXPECT_TRUE(has(metrics, "{client=\"synchub.test.orders\",direction=\"consumed\"} 300\n")) << metrics;
  EXPECT_TRUE(has(metrics, "synchub_kafka_producer_queue_messages{client=\"producer\"} 0\n")) << metrics;
  EXPECT_TRUE(has(metrics, "# TYPE synchub_kafka_broker_rtt_seconds gauge")) << metrics;
  int brokers_up = 0;
  for (size_t at = metrics.find("synchub_kafka_broker_up{client=\"producer\""); at != std::string::npos;
       at = metrics.find("synchub_kafka_broker_up{client=\"producer\"", at + 1))
    brokers_up += metrics.compare(metrics.find('}', at), 4, "} 1\n") == 0;
  EXPECT_GE(brokers_up, 1) << metrics;
  EXPECT_TRUE(has(metrics, "synchub_kafka_rebalances_total{client=\"synchub.test.orders\"} 1\n")) << metrics;
}

// The mock cluster keeps ~5 MiB a partition and drops the oldest events: a
// group whose committed offset was dropped must hear of it, not skip ahead.
TEST(KafkaBus, AnOffsetResetIsReportedNotHidden) {
  test::KafkaMock kafka;
  kafka.command("topic small 1 1");
  auto bus = open_kafka_bus(options(kafka));
  bus->publish(events("small", 0, 20));
  {
    auto consumer = bus->subscribe("synchub.late", "small");
    auto got = consume(*consumer, 20);
    ASSERT_EQ(got.size(), 20u);
    consumer->commit({{0, 10}});  // half done, then the worker stops
  }
  const std::string big(2100, 'x');
  for (int i = 0; i < 6; ++i) {  // ~12 MiB: the events at offset 10 are gone
    std::vector<OutgoingEvent> more;
    for (int j = 0; j < 1000; ++j) more.push_back({"small", "K", big, {}});
    bus->publish(more);
  }
  auto late = bus->subscribe("synchub.late", "small");
  std::string error;
  for (int i = 0; i < 2000 && error.empty(); ++i) {
    try {
      late->poll(100);
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  EXPECT_NE(error.find("offset reset on small for group synchub.test.late"), std::string::npos) << error;
}

// A worker stopped while its group is still forming: the consumer joined, but
// every SyncGroup (api key 14) fails with REBALANCE_IN_PROGRESS (27), so it
// never got an assignment. librdkafka 2.0.2's cooperative-sticky assignor
// aborts the process when such a consumer is destroyed (librdkafka #4312).
TEST(KafkaBus, AConsumerStoppedBeforeItsFirstAssignmentClosesCleanly) {
  test::KafkaMock kafka;
  kafka.command("topic orders 4 3");
  auto bus = open_kafka_bus(options(kafka));
  bus->publish(events("orders", 0, 10));
  kafka.command("errors 14 27 100000");
  auto consumer = bus->subscribe("synchub.forming", "orders");
  // the mock cluster answers a first JoinGroup after about 3 s
  const auto until = std::chrono::steady_clock::now() + 6s;
  size_t got = 0;
  while (std::chrono::steady_clock::now() < until) got += consumer->poll(100).size();
  EXPECT_EQ(got, 0u) << "the group formed although every SyncGroup failed";
  consumer.reset();  // closes and destroys the consumer: the process lives on
}

}  // namespace
}  // namespace synchub::runtime
