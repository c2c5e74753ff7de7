// The Kafka bus (librdkafka) behind the Bus interface: an idempotent
// producer (acks=all) whose publish() returns once every delivery report
// succeeded, and group consumers with manual offset commits after the sink,
// cooperative-sticky rebalancing (round-robin before librdkafka 2.3.0, whose
// sticky assignor can abort a consumer closed before its first assignment)
// and per-key order (partitioned by key, murmur2 like the Java client).
// What a group has not committed (reconciliation) is read by assignment, never joining it.
// Events are CloudEvents in binary mode.
// librdkafka stays out of this header: it is included by hub.cpp.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "runtime/bus/bus.hpp"

namespace synchub::config {
class Settings;
}

namespace synchub::runtime {

struct KafkaBusOptions {
  // From the validated `bus` section (its kafka.* fields) and the hub's name (consumer groups).
  static KafkaBusOptions from(const config::Settings& bus, const config::Settings& hub);

  std::string bootstrap_servers;
  std::string group_prefix = "synchub.";  // consumer group: <prefix><flow>
  bool create_topics = true;
  int partitions = 6;
  int replication_factor = 3;
  std::chrono::milliseconds delivery_timeout{30000};  // publish() gives up (throws) after this
  // librdkafka settings passed through as they are (security.protocol,
  // sasl.*, ssl.*, compression.type, linger.ms, batch.size ...).
  std::map<std::string, std::string> properties;
};

std::unique_ptr<Bus> open_kafka_bus(const KafkaBusOptions& options);

}  // namespace synchub::runtime
