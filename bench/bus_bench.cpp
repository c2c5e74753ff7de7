// Embedded bus throughput: publish N events of ~1 KB in batches, then read
// them back through a consumer group, committing after every batch.
// usage: synchub-bus-bench [EVENTS] [BATCH] [fsync:0|1] [DIR]
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "runtime/bus/embedded_bus.hpp"

using namespace synchub::runtime;

int main(int argc, char** argv) {
  const size_t events = argc > 1 ? std::stoul(argv[1]) : 200000;
  const size_t batch = argc > 2 ? std::stoul(argv[2]) : 1000;
  const bool fsync = argc > 3 ? std::string(argv[3]) == "1" : true;
  const std::string dir = argc > 4 ? argv[4] : "/tmp/synchub-bus-bench";
  std::filesystem::remove_all(dir);
  EmbeddedBusOptions options;
  options.path = dir + "/bus.db";
  options.fsync = fsync;
  options.partitions = 4;
  auto bus = open_embedded_bus(options);

  const std::string payload(1000, 'x');
  using clock = std::chrono::steady_clock;
  auto start = clock::now();
  for (size_t done = 0; done < events;) {
    std::vector<OutgoingEvent> out;
    for (size_t i = 0; i < batch && done < events; ++i, ++done)
      out.push_back({"bench.orders",
                     "SO-" + std::to_string(done),
                     payload,
                     {{"ce_id", std::to_string(done)}, {"ce_type", "synchub.orders.upserted"}}});
    bus->publish(out);
  }
  double publish_s = std::chrono::duration<double>(clock::now() - start).count();

  auto consumer = bus->subscribe("bench", "bench.orders");
  start = clock::now();
  size_t read = 0;
  for (auto got = consumer->poll(batch); !got.empty(); got = consumer->poll(batch)) {
    read += got.size();
    consumer->commit(positions_after(got));
  }
  double consume_s = std::chrono::duration<double>(clock::now() - start).count();
  std::printf("embedded bus, %zu events of 1 KB, batch %zu, fsync %s\n", events, batch, fsync ? "on" : "off");
  std::printf("  publish: %.0f events/s (%.2f s)\n", static_cast<double>(events) / publish_s, publish_s);
  std::printf("  consume: %.0f events/s (%.2f s, %zu read, commit per batch)\n", static_cast<double>(read) / consume_s,
              consume_s, read);
  std::filesystem::remove_all(dir);
  return read == events ? 0 : 1;
}
