#include "runtime/bus/kafka_stats.hpp"

#include <nlohmann/json.hpp>

#include "runtime/base/prometheus_text.hpp"

namespace synchub::runtime {

namespace {

int64_t integer(const nlohmann::json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_number() ? it->get<int64_t>() : 0;
}

}  // namespace

void KafkaStats::update(const std::string& client, const std::string& json) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_object()) return;
  Client c;
  c.consumer = j.value("type", "") == "consumer";
  c.produced = integer(j, "txmsgs");
  c.consumed = integer(j, "rxmsgs");
  c.queued = integer(j, "msg_cnt");
  if (auto g = j.find("cgrp"); g != j.end() && g->is_object()) c.rebalances = integer(*g, "rebalance_cnt");
  if (auto brokers = j.find("brokers"); brokers != j.end() && brokers->is_object())
    for (const auto& [name, b] : brokers->items()) {
      if (!b.is_object() || integer(b, "nodeid") < 0) continue;  // bootstrap entries and the internal one
      Broker broker;
      broker.up = b.value("state", "") == "UP";
      if (auto rtt = b.find("rtt"); rtt != b.end() && rtt->is_object())
        broker.rtt_seconds = static_cast<double>(integer(*rtt, "avg")) / 1e6;  // microseconds
      broker.tx_errors = integer(b, "txerrs");
      broker.rx_errors = integer(b, "rxerrs");
      broker.timeouts = integer(b, "req_timeouts");
      c.brokers[name] = broker;
    }
  std::lock_guard lock(mu_);
  c.errors = clients_[client].errors;
  clients_[client] = std::move(c);
}

void KafkaStats::count_error(const std::string& client) {
  std::lock_guard lock(mu_);
  ++clients_[client].errors;
}

std::string KafkaStats::prometheus_text() const {
  std::lock_guard lock(mu_);
  if (clients_.empty()) return "";
  std::string out;
  auto family = [&](const char* name, const char* type, const char* help) {
    prometheus::family(out, name, type, help);
  };
  auto sample = [&](const char* name, const std::string& labels, const std::string& value) {
    prometheus::sample(out, name, labels, value);
  };
  using prometheus::label, prometheus::real;
  auto client_label = [&](const std::string& client) { return "client=\"" + label(client) + "\""; };

  family("synchub_kafka_messages_total", "counter",
         "Messages a Kafka client produced or consumed (librdkafka statistics).");
  for (const auto& [name, c] : clients_) {
    if (c.consumer)
      sample("synchub_kafka_messages_total", client_label(name) + ",direction=\"consumed\"",
             std::to_string(c.consumed));
    else
      sample("synchub_kafka_messages_total", client_label(name) + ",direction=\"produced\"",
             std::to_string(c.produced));
  }
  family("synchub_kafka_producer_queue_messages", "gauge", "Messages waiting in the producer's queues.");
  for (const auto& [name, c] : clients_)
    if (!c.consumer) sample("synchub_kafka_producer_queue_messages", client_label(name), std::to_string(c.queued));
  family("synchub_kafka_rebalances_total", "counter", "Rebalances of a flow's consumer group seen by this worker.");
  for (const auto& [name, c] : clients_)
    if (c.consumer) sample("synchub_kafka_rebalances_total", client_label(name), std::to_string(c.rebalances));
  family("synchub_kafka_errors_total", "counter", "Errors librdkafka reported on a client (also logged).");
  for (const auto& [name, c] : clients_)
    sample("synchub_kafka_errors_total", client_label(name), std::to_string(c.errors));
  family("synchub_kafka_broker_up", "gauge", "1 when the client's connection to the broker is up.");
  for (const auto& [name, c] : clients_)
    for (const auto& [broker, b] : c.brokers)
      sample("synchub_kafka_broker_up", client_label(name) + ",broker=\"" + label(broker) + "\"", b.up ? "1" : "0");
  family("synchub_kafka_broker_rtt_seconds", "gauge", "Average request round trip to the broker (last interval).");
  for (const auto& [name, c] : clients_)
    for (const auto& [broker, b] : c.brokers)
      sample("synchub_kafka_broker_rtt_seconds", client_label(name) + ",broker=\"" + label(broker) + "\"",
             real(b.rtt_seconds));
  family("synchub_kafka_broker_request_errors_total", "counter",
         "Failed requests to the broker: send or receive errors, timeouts.");
  for (const auto& [name, c] : clients_)
    for (const auto& [broker, b] : c.brokers) {
      const std::string labels = client_label(name) + ",broker=\"" + label(broker) + "\"";
      sample("synchub_kafka_broker_request_errors_total", labels + ",kind=\"send\"", std::to_string(b.tx_errors));
      sample("synchub_kafka_broker_request_errors_total", labels + ",kind=\"receive\"", std::to_string(b.rx_errors));
      sample("synchub_kafka_broker_request_errors_total", labels + ",kind=\"timeout\"", std::to_string(b.timeouts));
    }
  return out;
}

}  // namespace synchub::runtime
