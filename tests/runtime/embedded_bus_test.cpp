// The embedded bus on a real SQLite file: per-key order, consumer groups,
// offsets across restarts, retention.
#include "runtime/bus/embedded_bus.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <thread>

#include "runtime/base/sqlite.hpp"
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

// Letters that do not compress.
std::string noise(std::mt19937& random, size_t size) {
  std::string out(size, ' ');
  for (auto& c : out) c = static_cast<char>('a' + random() % 26);
  return out;
}

std::vector<Event> read_all(Consumer& consumer, size_t per_poll) {
  std::vector<Event> all;
  for (auto events = consumer.poll(per_poll); !events.empty(); events = consumer.poll(per_poll))
    for (auto& e : events) all.push_back(std::move(e));
  return all;
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

// What a group has not committed (a reconciliation's "on its way"), read while the group's
// consumer holds events it polled: it neither moves that consumer nor the group's offsets.
TEST(EmbeddedBus, UncommittedIsWhatTheGroupHasNotCommittedAndMovesNothing) {
  test::TempDir dir;
  auto bus = open_embedded_bus(options_in(dir, 2));
  std::vector<OutgoingEvent> batch;
  for (int i = 0; i < 10; ++i) batch.push_back(event("K" + std::to_string(i), std::to_string(i)));
  bus->publish(batch);
  auto consumer = bus->subscribe("g", "crm.orders");
  auto done = consumer->poll(4);
  ASSERT_EQ(done.size(), 4u);
  consumer->commit(positions_after(done));
  auto held = consumer->poll(2);  // polled, not committed
  ASSERT_EQ(held.size(), 2u);
  auto keys = [](const std::vector<Event>& events) {
    std::set<std::string> out;
    for (const auto& e : events) out.insert(e.key);
    return out;
  };
  std::set<std::string> expected;
  for (int i = 0; i < 10; ++i) expected.insert("K" + std::to_string(i));
  for (const auto& key : keys(done)) expected.erase(key);
  auto pending = bus->uncommitted("g", "crm.orders", 100);
  EXPECT_EQ(pending.size(), 6u);
  EXPECT_EQ(keys(pending), expected);
  EXPECT_EQ(bus->uncommitted("g", "crm.orders", 3).size(), 3u);
  // The group's consumer reads on from where it was; the group's offsets did not move.
  auto rest = read_all(*consumer, 100);
  EXPECT_EQ(rest.size(), 4u);
  std::set<std::string> held_and_rest = keys(held);
  for (const auto& key : keys(rest)) held_and_rest.insert(key);
  EXPECT_EQ(held_and_rest, expected);
  EXPECT_EQ(consumer->lag(), 6);
  EXPECT_EQ(keys(bus->uncommitted("g", "crm.orders", 100)), expected);
  EXPECT_EQ(bus->uncommitted("h", "crm.orders", 100).size(), 10u);  // a group that committed nothing
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
  // 20 publishes of 5 events, 500 bytes each that do not compress: about 2.6 KB a batch.
  std::mt19937 random(7);
  for (int b = 0; b < 20; ++b) {
    std::vector<OutgoingEvent> batch;
    for (int i = 0; i < 5; ++i) batch.push_back(event("K" + std::to_string(b * 5 + i), noise(random, 500)));
    bus->publish(batch);
  }
  auto lagging = bus->subscribe("slow", "crm.orders");
  int64_t deleted = bus->enforce_retention();
  EXPECT_GT(deleted, 75);
  EXPECT_LT(deleted, 100);
  EXPECT_EQ(deleted % 5, 0) << "retention deletes whole batches";
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

TEST(EmbeddedBus, SharedHeadersComeBackWithEveryEventOfABatch) {
  test::TempDir dir;
  auto bus = open_embedded_bus(options_in(dir));
  auto shared = std::make_shared<const std::vector<Header>>(
      std::vector<Header>{{"ce_source", "/synchub/crm/orders"}, {"ce_type", "synchub.orders.upserted"}});
  std::vector<OutgoingEvent> batch;
  for (int i = 0; i < 3; ++i) {
    OutgoingEvent e{"crm.orders", "K" + std::to_string(i), "{}", {{"ce_id", "id-" + std::to_string(i)}}, shared};
    batch.push_back(std::move(e));
  }
  batch.push_back(event("plain", "{}"));  // no shared headers in the same publish
  bus->publish(batch);
  auto consumer = bus->subscribe("g", "crm.orders");
  auto events = read_all(*consumer, 10);
  ASSERT_EQ(events.size(), 4u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(events[i].header("ce_source"), "/synchub/crm/orders");
    EXPECT_EQ(events[i].header("ce_id"), "id-" + std::to_string(i));
  }
  EXPECT_EQ(events[3].header("ce_source"), std::nullopt);
  EXPECT_EQ(events[3].header("ce_id"), "plain:{}");
}

TEST(EmbeddedBus, PollsSmallerThanABatchReadItInOrderAndResumeInsideItAfterARestart) {
  test::TempDir dir;
  {
    auto bus = open_embedded_bus(options_in(dir));
    std::vector<OutgoingEvent> batch;
    for (int i = 0; i < 10; ++i) batch.push_back(event("K" + std::to_string(i), std::to_string(i)));
    bus->publish(batch);
    bus->publish({event("K10", "10")});
    auto consumer = bus->subscribe("g", "crm.orders");
    auto first = consumer->poll(3);
    ASSERT_EQ(first.size(), 3u);
    consumer->commit(positions_after(first));
  }
  auto bus = open_embedded_bus(options_in(dir));
  auto consumer = bus->subscribe("g", "crm.orders");
  auto rest = read_all(*consumer, 4);
  ASSERT_EQ(rest.size(), 8u);
  for (size_t i = 0; i < rest.size(); ++i) {
    EXPECT_EQ(rest[i].offset, static_cast<int64_t>(i + 3));
    EXPECT_EQ(rest[i].key, "K" + std::to_string(i + 3));
  }
}

TEST(EmbeddedBus, CompressionShrinksTheLogAndALogReadsUnderEitherSetting) {
  test::TempDir dir;
  auto plain = options_in(dir);
  plain.compression = Compression::None;
  auto compressed = options_in(dir);
  compressed.compression = Compression::Lz4;
  const std::string order = R"({"order_id":"SO-1","lines":[{"sku":"A-1","qty":2,"unit_price":"10.00"}]})";
  auto stored_bytes = [&](const EmbeddedBusOptions& options) {
    Database log(options.path, false, Journal::Rollback);
    auto q = log.prepare("SELECT SUM(size) FROM batches");
    return q.step() ? q.column_int(0) : 0;
  };
  std::vector<OutgoingEvent> batch;
  for (int i = 0; i < 200; ++i) batch.push_back(event("SO-" + std::to_string(i), order));
  open_embedded_bus(compressed)->publish(batch);
  const int64_t after_compressed = stored_bytes(compressed);
  open_embedded_bus(plain)->publish(batch);
  const int64_t plain_size = stored_bytes(plain) - after_compressed;
  EXPECT_LT(after_compressed * 5, plain_size) << "repetitive orders compress more than fivefold";
  EXPECT_GT(plain_size, static_cast<int64_t>(200 * order.size()));
  for (const auto& options : {plain, compressed}) {
    auto consumer = open_embedded_bus(options)->subscribe("g", "crm.orders");
    auto events = read_all(*consumer, 150);
    ASSERT_EQ(events.size(), 400u);
    EXPECT_EQ(events[399].key, "SO-199");
    EXPECT_EQ(events[399].value, order);
    EXPECT_EQ(events[399].offset, 399);
  }
}

TEST(EmbeddedBus, ACorruptBatchIsAnErrorNamingWhereNotACrash) {
  test::TempDir dir;
  auto bus = open_embedded_bus(options_in(dir));
  bus->publish({event("A", "1"), event("B", "2")});
  {
    Database log(dir.str("bus.db"), false, Journal::Rollback);
    log.exec("UPDATE batches SET data=X'01FF0F0000'");
  }
  auto consumer = bus->subscribe("g", "crm.orders");
  try {
    consumer->poll(10);
    FAIL() << "a corrupt batch must not read as events";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "embedded bus: crm.orders/0 at offset 0: corrupt event batch: size out of range");
  }
}

TEST(EmbeddedBus, ALogOfAnEarlierVersionWithARowPerEventIsReadOn) {
  test::TempDir dir;
  {
    auto bus = open_embedded_bus(options_in(dir));
    bus->subscribe("g", "crm.orders");  // creates the topic (id 1) and its partition
    Database log(dir.str("bus.db"), false, Journal::Rollback);
    log.exec(
        "CREATE TABLE events(pos INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL, "
        "headers BLOB NOT NULL, size INTEGER NOT NULL)");
    std::string headers;
    append_header(headers, "ce_id", "old-1");
    for (int offset = 0; offset < 2; ++offset)
      log.prepare("INSERT INTO events VALUES((1 << 49) + ?, 1000, ?, '{}', ?, 10)")
          .bind(1, int64_t{offset})
          .bind(2, "OLD-" + std::to_string(offset))
          .bind(3, headers)
          .run();
    log.exec("UPDATE partitions SET next_offset=2");
  }
  auto bus = open_embedded_bus(options_in(dir));
  bus->publish({event("NEW", "{}")});
  auto events = read_all(*bus->subscribe("g", "crm.orders"), 10);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].key, "OLD-0");
  EXPECT_EQ(events[0].header("ce_id"), "old-1");
  EXPECT_EQ(events[0].timestamp_ms, 1000);
  EXPECT_EQ(events[1].key, "OLD-1");
  EXPECT_EQ(events[2].key, "NEW");
  EXPECT_EQ(events[2].offset, 2);
  Database log(dir.str("bus.db"), false, Journal::Rollback);
  EXPECT_FALSE(log.prepare("SELECT 1 FROM sqlite_master WHERE name='events'").step());
}

}  // namespace
}  // namespace synchub::runtime
