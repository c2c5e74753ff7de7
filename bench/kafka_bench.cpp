// Kafka bus throughput against a running cluster (bench/kafka starts the
// mock one). Two measurements, on topics the caller created:
//   publish: EVENTS events of ~2.1 KB (the size of the peer benchmark's
//            orders) in batches of BATCH, as a source does it: publish (every
//            delivery report back) then commit the cursor to a SQLite state;
//   consume: the same events published by a thread while a group consumer
//            reads them with a no-op sink and commits after every batch
//            (concurrently: the mock cluster keeps only ~5 MiB a partition).
// usage: synchub-kafka-bench BOOTSTRAP PUBLISH_TOPIC CONSUME_TOPIC|- [EVENTS] [BATCH] [FSYNC 0|1]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include "runtime/kafka_bus.hpp"
#include "runtime/state_store.hpp"

using namespace synchub::runtime;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<OutgoingEvent> batch_of(const std::string& topic, size_t from, size_t count, const std::string& payload) {
  std::vector<OutgoingEvent> out;
  out.reserve(count);
  for (size_t i = from; i < from + count; ++i)
    out.push_back({topic,
                   "SO-" + std::to_string(i),
                   payload,
                   {{"ce_specversion", "1.0"},
                    {"ce_id", "crm.orders:" + std::to_string(i)},
                    {"ce_type", "synchub.orders.upserted"}}});
  return out;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fputs("usage: synchub-kafka-bench BOOTSTRAP PUBLISH_TOPIC CONSUME_TOPIC [EVENTS] [BATCH]\n", stderr);
    return 2;
  }
  const size_t events = argc > 4 ? std::stoul(argv[4]) : 200000;
  const size_t batch = argc > 5 ? std::stoul(argv[5]) : 5000;  // the hub's source batch
  const bool fsync = argc > 6 ? std::string(argv[6]) == "1" : true;
  KafkaBusOptions options;
  options.bootstrap_servers = argv[1];
  options.create_topics = false;
  options.group_prefix = "synchub.bench.";
  options.properties = {{"linger.ms", "5"}};
  const std::string payload(2100, 'x');
  const std::string dir = "/tmp/synchub-kafka-bench";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto state = open_sqlite_state(dir + "/state.db", fsync);

  {  // publish, as a source poller does
    auto bus = open_kafka_bus(options);
    const auto start = Clock::now();
    for (size_t done = 0; done < events; done += batch) {
      bus->publish(batch_of(argv[2], done, std::min(batch, events - done), payload));
      state->commit_source("crm.orders", "{\"line\":" + std::to_string(done + batch) + "}", {});
    }
    const double s = seconds_since(start);
    std::printf("publish: %zu events in %.2f s = %.0f events/s (batches of %zu, delivery reports + cursor commit%s)\n",
                events, s, static_cast<double>(events) / s, batch, fsync ? " with fsync" : "");
  }
  if (std::string(argv[3]) != "-") {  // consume while a thread publishes ("-": publish only)
    auto producer_bus = open_kafka_bus(options);
    auto consumer_bus = open_kafka_bus(options);
    auto consumer = consumer_bus->subscribe("synchub.consume", argv[3]);
    while (consumer->lag() != 0) consumer->poll(1);  // joined the group
    // Paced: the mock cluster keeps ~5 MiB a partition, so the producer stays at most
    // 6,000 events (~2 MiB a partition) ahead of the consumer.
    std::atomic<size_t> got{0};
    std::thread producer([&] {
      const size_t step = std::min<size_t>(batch, 1000);
      for (size_t done = 0; done < events; done += step) {
        while (done > got.load() + 6000) std::this_thread::sleep_for(std::chrono::microseconds(200));
        producer_bus->publish(batch_of(argv[3], done, std::min(step, events - done), payload));
      }
    });
    Clock::time_point first{};
    while (got < events) {
      auto polled = consumer->poll(batch);
      if (polled.empty()) continue;
      if (got == 0) first = Clock::now();
      got += polled.size();
      consumer->commit(positions_after(polled));  // the no-op sink took them
    }
    const double s = seconds_since(first);
    producer.join();
    std::printf(
        "consume: %zu events in %.2f s = %.0f events/s (no-op sink, commit after every poll of <= %zu; "
        "producer paced to stay <= 6,000 ahead)\n",
        got.load(), s, static_cast<double>(got.load()) / s, batch);
  }
  return 0;
}
