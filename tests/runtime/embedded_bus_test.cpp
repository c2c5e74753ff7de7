// The embedded bus on a real SQLite file: per-key order, consumer groups,
// offsets across restarts, retention.
#include "runtime/embedded_bus.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <thread>

#include "runtime/sqlite.hpp"
#include "tests/support/test_support.hpp"

namespace synchub::runtime {
namespace {

EmbeddedBusOptions options_in(const test::TempDir& dir, int partitions = 1) {
  EmbeddedBusOptions o;
  o.path = dir.str("bus.db");
  o.partitions = partitions;
  o.fsync = false;
  return o;
}

OutgoingEvent event(const std::string& key, const std::string& value) {
  return {"crm.orders", key, value, {{"ce_id", key + ":" + value}, {"ce_type", "synchub.orders.upserted"}}};
}

TEST(EmbeddedBus, RoundTripKeepsKeyValueAndHeaders) {
  test::TempDir dir;
  auto bus = open_embedded_bus(options_in(dir));
  bus->publish({event("SO-1", R"({"order_id":"SO-1","name":"上海"})")});
  auto consumer = bus->subscribe("g", "crm.orders");
  auto events = consumer->poll(10);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].key, "SO-1");
  EXPECT_EQ(events[0].value, R"({"order_id":"SO-1","name":"上海"})");
  EXPECT_EQ(events[0].offset, 0);
  ASSERT_TRUE(events[0].header("ce_type"));
  EXPECT_EQ(*events[0].header("ce_type"), "synchub.orders.upserted");
  EXPECT_EQ(*events[0].header("ce_id"), R"(SO-1:{"order_id":"SO-1","name":"上海"})");
  EXPECT_GT(events[0].timestamp_ms, 0);
  EXPECT_TRUE(consumer->poll(10).empty());
}

TEST(EmbeddedBus, EventsOfOneKeyStayInOrderAcrossPartitions) {
  test::TempDir dir;
  auto bus = open_embedded_bus(options_in(dir, 4));
  std::vector<OutgoingEvent> batch;
  for (int version = 0; version < 50; ++version)
    for (int k = 0; k < 20; ++k) batch.push_back(event("K" + std::to_string(k), std::to_string(version)));
  bus->publish(batch);
  auto consumer = bus->subscribe("g", "crm.orders");
  std::map<std::string, int> last;
  std::map<int32_t, int> per_partition;
  std::map<std::string, int32_t> partition_of;
  size_t total = 0;
  for (auto events = consumer->poll(64); !events.empty(); events = consumer->poll(64)) {
    for (const auto& e : events) {
      int version = std::stoi(e.value);
      auto it = last.find(e.key);
      if (it != last.end()) {
        EXPECT_EQ(version, it->second + 1) << e.key;
      }
      last[e.key] = version;
      auto [p, fresh] = partition_of.emplace(e.key, e.partition);
      EXPECT_EQ(p->second, e.partition) << "a key must stay in one partition";
      ++per_partition[e.partition];
      ++total;
    }
  }
  EXPECT_EQ(total, 1000u);
  EXPECT_GT(per_partition.size(), 1u) << "keys spread over partitions";
}

TEST(EmbeddedBus, CommittedOffsetsSurviveARestart) {
  test::TempDir dir;
  {
    auto bus = open_embedded_bus(options_in(dir, 2));
    std::vector<OutgoingEvent> batch;
    for (int i = 0; i < 10; ++i) batch.push_back(event("K" + std::to_string(i), std::to_string(i)));
    bus->publish(batch);
    auto consumer = bus->subscribe("g", "crm.orders");
    auto first = consumer->poll(4);
    ASSERT_EQ(first.size(), 4u);
    consumer->commit(positions_after(first));
    auto uncommitted = consumer->poll(3);  // read, never committed: delivered again
    EXPECT_EQ(uncommitted.size(), 3u);
    EXPECT_EQ(consumer->lag(), 6);
  }
  auto bus = open_embedded_bus(options_in(dir, 2));
  auto consumer = bus->subscribe("g", "crm.orders");
  std::set<std::string> seen;
  for (auto events = consumer->poll(100); !events.empty(); events = consumer->poll(100))
    for (const auto& e : events) seen.insert(e.key);
  EXPECT_EQ(seen.size(), 6u);
  // Another group starts from the beginning, independently.
  auto other = bus->subscribe("h", "crm.orders");
  size_t count = 0;
  for (auto events = other->poll(100); !events.empty(); events = other->poll(100)) count += events.size();
  EXPECT_EQ(count, 10u);
}

TEST(EmbeddedBus, RewindRedeliversWhatWasNotCommitted) {
  test::TempDir dir;
  auto bus = open_embedded_bus(options_in(dir));
  bus->publish({event("A", "1"), event("B", "2"), event("C", "3")});
  auto consumer = bus->subscribe("g", "crm.orders");
  auto first = consumer->poll(2);
  consumer->commit(positions_after({first[0]}));
  consumer->rewind();
  auto again = consumer->poll(10);
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[0].key, "B");
  EXPECT_EQ(again[1].key, "C");
}

TEST(EmbeddedBus, RetentionBySizeDropsTheOldestAndOffsetsNeverGoBack) {
  test::TempDir dir;
  auto options = options_in(dir);
  options.retention_bytes = 10'000;
  auto bus = open_embedded_bus(options);
  std::vector<OutgoingEvent> batch;
  for (int i = 0; i < 100; ++i) batch.push_back(event("K" + std::to_string(i), std::string(500, 'x')));
  bus->publish(batch);
  auto lagging = bus->subscribe("slow", "crm.orders");
  int64_t deleted = bus->enforce_retention();
  EXPECT_GT(deleted, 75);
  EXPECT_LT(deleted, 100);
  // A consumer behind the retained range starts at the oldest event left.
  lagging->rewind();
  auto events = lagging->poll(1000);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().offset, deleted);
  EXPECT_EQ(events.back().offset, 99);
  // Offsets continue after retention emptied the log.
  options.retention_bytes = 1;
  auto trimming = open_embedded_bus(options);
  trimming->enforce_retention();
  trimming->publish({event("new", "1")});
  auto fresh = trimming->subscribe("fresh", "crm.orders");
  auto after = fresh->poll(10);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].offset, 100);
}

TEST(EmbeddedBus, RetentionByAge) {
  test::TempDir dir;
  auto options = options_in(dir);
  options.retention_age = std::chrono::milliseconds(50);
  auto bus = open_embedded_bus(options);
  bus->publish({event("old", "1")});
  std::this_thread::sleep_for(std::chrono::milliseconds(120));
  bus->publish({event("new", "2")});
  EXPECT_EQ(bus->enforce_retention(), 1);
  auto consumer = bus->subscribe("g", "crm.orders");
  auto events = consumer->poll(10);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].key, "new");
}

TEST(EmbeddedBus, OffsetsCommittedInALogOfAnEarlierVersionAreKept) {
  // Logs written before the offsets had a database of their own kept them in their group_offsets.
  test::TempDir dir;
  {
    auto bus = open_embedded_bus(options_in(dir));
    bus->publish({event("A", "1"), event("B", "2"), event("C", "3")});
    bus->subscribe("g", "crm.orders");
  }
  std::filesystem::remove(dir.str("bus-offsets.db"));
  {
    Database log(dir.str("bus.db"), false, Journal::Rollback);
    auto q = log.prepare("SELECT id FROM topics WHERE name='crm.orders'");
    ASSERT_TRUE(q.step());
    const int64_t topic_id = q.column_int(0);
    log.exec(
        "CREATE TABLE group_offsets(grp TEXT NOT NULL, topic_id INTEGER NOT NULL, partition INTEGER NOT NULL, "
        "next_offset INTEGER NOT NULL, PRIMARY KEY(grp, topic_id, partition))");
    log.prepare("INSERT INTO group_offsets VALUES('g', ?, 0, 2)").bind(1, topic_id).run();
  }
  auto bus = open_embedded_bus(options_in(dir));
  auto consumer = bus->subscribe("g", "crm.orders");
  EXPECT_EQ(consumer->lag(), 1);
  auto events = consumer->poll(10);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].key, "C");
  Database log(dir.str("bus.db"), false, Journal::Rollback);
  EXPECT_FALSE(log.prepare("SELECT 1 FROM sqlite_master WHERE name='group_offsets'").step());
}

TEST(EmbeddedBus, TwoProcessesShareTheLog) {
  // Two handles on one file stand for two processes (e.g. `synchub dlq` next to `synchub run`).
  test::TempDir dir;
  auto writer = open_embedded_bus(options_in(dir));
  auto reader = open_embedded_bus(options_in(dir));
  auto consumer = reader->subscribe("g", "crm.orders");
  writer->publish({event("A", "1")});
  writer->publish({event("B", "2")});
  auto events = consumer->poll(10);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].offset, 1);
}

}  // namespace
}  // namespace synchub::runtime
