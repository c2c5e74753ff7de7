// Kafka bus throughput against a running cluster (bench/kafka starts the
// mock one). Two measurements, on topics the caller created:
//   publish: EVENTS orders of ~2.1 KB (the size of the peer benchmark's) read
//            by the hub's SourcePoller from a generated source in batches of
//            BATCH: CloudEvents headers, every delivery report back before the
//            cursor is committed to a SQLite state (one batch in flight while
//            the next is read);
//   consume: the same number of events, published in rounds that a group
//            consumer then reads with a no-op sink, committing after every
//            poll (rounds: the mock cluster keeps only ~5 MiB a partition).
// usage: synchub-kafka-bench -b BOOTSTRAP --publish-topic TOPIC [--consume-topic TOPIC] [--events N]
//          [--batch N] [--fsync on|off]
#include <chrono>
#include <cstdio>
#include <string>

#include "bench/bench_cli.hpp"
#include "runtime/bus/kafka_bus.hpp"
#include "runtime/source_poller.hpp"
#include "runtime/state/state_store.hpp"

using namespace synchub::runtime;
using Clock = std::chrono::steady_clock;

namespace {

// Events as the hub's sources make them (CloudEvents headers).
std::vector<OutgoingEvent> batch_of(const std::string& topic, size_t from, size_t count, const std::string& payload) {
  std::vector<synchub::connectors::SourceRecord> records;
  records.reserve(count);
  for (size_t i = from; i < from + count; ++i)
    records.push_back({"SO-" + std::to_string(i), payload, "orders.jsonl:" + std::to_string(i + 1)});
  return source_events({"crm", "orders", topic, "bench"}, records);
}

// Orders 0..count-1; the cursor is the next order's number.
class GeneratedOrders final : public synchub::connectors::SourceStream {
 public:
  GeneratedOrders(size_t count, std::string payload) : count_(count), payload_(std::move(payload)) {}
  synchub::connectors::PullResult pull(const std::string& cursor, size_t max_records) override {
    synchub::connectors::PullResult result;
    const size_t from = cursor.empty() ? 0 : std::stoul(cursor);
    const size_t to = std::min(count_, from + max_records);
    for (size_t i = from; i < to; ++i)
      result.records.push_back({"SO-" + std::to_string(i), payload_, "orders.jsonl:" + std::to_string(i + 1)});
    result.next_cursor = std::to_string(to);
    result.more = to < count_;
    return result;
  }
  std::chrono::milliseconds poll_interval() const override { return std::chrono::milliseconds(100); }
  bool reads_ahead() const override { return true; }
  std::string accept(const std::string&, synchub::connectors::SourceRecord&) const override { return "not replayable"; }

 private:
  size_t count_;
  std::string payload_;
};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct Options {
  std::string bootstrap, publish_topic, consume_topic;
  size_t events = 200000;
  size_t batch = 5000;  // the hub's source batch
  bool fsync = true;
};

// The command line into `options`; the code to exit with when the program is to end here.
std::optional<int> parse_options(int argc, char** argv, Options& options) {
  CLI::App app{
      "synchub-kafka-bench: Kafka bus publish and consume rates on topics the caller created "
      "(bench/kafka runs it on the mock cluster)",
      "synchub-kafka-bench"};
  app.add_option("-b,--bootstrap", options.bootstrap, "The cluster's bootstrap servers")
      ->type_name("HOST:PORT,...")
      ->required();
  app.add_option("--publish-topic", options.publish_topic, "The topic the publish measurement writes to")
      ->type_name("TOPIC")
      ->required();
  app.add_option("--consume-topic", options.consume_topic,
                 "The topic the consume measurement publishes to and reads back (not given: publish only)")
      ->type_name("TOPIC");
  app.add_option("--events", options.events, "Events each measurement publishes (at least 1)")
      ->type_name("N")
      ->capture_default_str()
      ->check(synchub::bench::whole_number<size_t>(1));
  app.add_option("--batch", options.batch, "Events a source batch, a publish and a poll take (at least 1)")
      ->type_name("N")
      ->capture_default_str()
      ->check(synchub::bench::whole_number<size_t>(1));
  app.add_option("--fsync", options.fsync, "Sync each cursor commit of the SQLite state to disk (default: on)")
      ->type_name("on|off")
      ->check(synchub::bench::on_or_off());
  return synchub::bench::parse_command_line(app, argc, argv);
}

}  // namespace

int main(int argc, char** argv) {
  Options cli;
  if (auto exit_code = parse_options(argc, argv, cli)) return *exit_code;
  const size_t events = cli.events, batch = cli.batch;
  const bool fsync = cli.fsync;
  KafkaBusOptions options;
  options.bootstrap_servers = cli.bootstrap;
  options.create_topics = false;
  options.group_prefix = "synchub.bench.";
  options.properties = {{"linger.ms", "5"}};
  const std::string payload(2100, 'x');
  const synchub::bench::ScratchDir dir("/tmp", "synchub-kafka-bench");
  auto state = open_sqlite_state((dir.path() / "state.db").string(), fsync);

  {  // publish, by the hub's source poller
    auto bus = open_kafka_bus(options);
    SourceOptions source{"crm", "orders", cli.publish_topic, "bench", batch, "bench-worker"};
    SourcePoller poller(source, *bus, *state, std::make_unique<GeneratedOrders>(events, payload));
    const auto start = Clock::now();
    while (!poller.drained()) poller.poll_once(Clock::now());
    const double s = seconds_since(start);
    if (state->cursor("crm.orders") != std::to_string(events)) {
      std::fprintf(stderr, "publish: the source cursor stands at %s, not %zu\n", state->cursor("crm.orders").c_str(),
                   events);
      return 1;
    }
    std::printf(
        "publish: %zu events in %.2f s = %.0f events/s (source poller, batches of %zu, delivery reports + "
        "cursor commit%s)\n",
        events, s, static_cast<double>(events) / s, batch, fsync ? " with fsync" : "");
  }
  if (!cli.consume_topic.empty()) {  // consume (none named: publish only)
    // In rounds: publish ROUND events, then time the group consumer reading them. The mock cluster
    // keeps ~5 MiB a partition, so a round stays well under it (9,000 events ~ 3.3 MB a partition
    // on 6 partitions) and the consumer is measured alone, not paced by a producer.
    const size_t round = 9000;
    auto producer_bus = open_kafka_bus(options);
    // The mock brokers hold a fetch that finds nothing for all of fetch.wait.max.ms (500 ms), even
    // when data arrives meanwhile (a real broker answers at once): each round would time that wait.
    KafkaBusOptions consumer_options = options;
    consumer_options.properties["fetch.wait.max.ms"] = "5";
    auto consumer_bus = open_kafka_bus(consumer_options);
    auto consumer = consumer_bus->subscribe("synchub.consume", cli.consume_topic);
    while (consumer->lag() != 0) consumer->poll(1);  // joined the group
    size_t got = 0;
    double consuming = 0;
    for (size_t done = 0; done < events; done += round) {
      const size_t count = std::min(round, events - done);
      for (size_t sent = 0; sent < count; sent += batch)
        producer_bus->publish(batch_of(cli.consume_topic, done + sent, std::min(batch, count - sent), payload));
      // Timed from the poll that returns the round's first event.
      Clock::time_point start{};
      for (size_t read = 0; read < count;) {
        const auto asked = Clock::now();
        auto polled = consumer->poll(batch);
        if (read == 0 && !polled.empty()) start = asked;
        read += polled.size();
        got += polled.size();
        if (!polled.empty()) consumer->commit(positions_after(polled));  // the no-op sink took them
      }
      consuming += seconds_since(start);
    }
    std::printf(
        "consume: %zu events in %.2f s = %.0f events/s (no-op sink, offset commit after every poll of <= %zu; "
        "rounds of %zu published, then consumed from the round's first event)\n",
        got, consuming, static_cast<double>(got) / consuming, batch, round);
  }
  return 0;
}
