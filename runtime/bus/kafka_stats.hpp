// librdkafka's statistics (the JSON its stats callback hands over every
// statistics.interval.ms), kept per client (the producer, each flow's
// consumer group) and rendered as Prometheus families for /metrics.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace synchub::runtime {

class KafkaStats {
 public:
  // Takes one statistics JSON document of the client named `client`.
  void update(const std::string& client, const std::string& json);
  // Counts an error librdkafka reported on `client` (its error callback).
  void count_error(const std::string& client);
  // The synchub_kafka_* families, in Prometheus text format ("" before any statistics).
  std::string prometheus_text() const;

 private:
  struct Broker {
    bool up = false;
    double rtt_seconds = 0;
    int64_t tx_errors = 0, rx_errors = 0, timeouts = 0;
  };
  struct Client {
    int64_t produced = 0, consumed = 0, queued = 0, rebalances = 0, errors = 0;
    bool consumer = false;
    std::map<std::string, Broker> brokers;  // by "host:port/id"
  };
  mutable std::mutex mu_;
  std::map<std::string, Client> clients_;
};

}  // namespace synchub::runtime
