// Embedded bus throughput: publish N events of ~1 KB in batches, then read
// them back through a consumer group, committing after every batch.
// usage: synchub-bus-bench [--events N] [--batch N] [--fsync on|off] [--dir PARENT]
#include <chrono>
#include <cstdio>
#include <string>

#include "bench/bench_cli.hpp"
#include "runtime/bus/embedded_bus.hpp"

using namespace synchub::runtime;

int main(int argc, char** argv) {
  CLI::App app{"synchub-bus-bench: embedded bus publish and consume rates (events of 1 KB)", "synchub-bus-bench"};
  size_t events = 200000, batch = 1000;
  bool fsync = true;
  std::string parent = "/tmp";
  app.add_option("--events", events, "Events to publish, then to consume (at least 1)")
      ->type_name("N")
      ->capture_default_str()
      ->check(synchub::bench::whole_number<size_t>(1));
  app.add_option("--batch", batch, "Events a publish call and a poll take (at least 1)")
      ->type_name("N")
      ->capture_default_str()
      ->check(synchub::bench::whole_number<size_t>(1));
  app.add_option("--fsync", fsync, "Sync each commit of the bus to disk (default: on)")
      ->type_name("on|off")
      ->check(synchub::bench::on_or_off());
  app.add_option("--dir", parent, "The bus goes to a new folder under this one, removed at the end")
      ->type_name("PARENT")
      ->capture_default_str()
      ->check(synchub::bench::writable_directory());
  if (auto exit_code = synchub::bench::parse_command_line(app, argc, argv)) return *exit_code;
  const synchub::bench::ScratchDir dir(parent, "synchub-bus-bench");
  EmbeddedBusOptions options;
  options.path = (dir.path() / "bus.db").string();
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
  return read == events ? 0 : 1;
}
