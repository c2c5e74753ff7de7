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
  prometheus::Writer w(out);
  w.family("synchub_kafka_messages_total", "counter",
           "Messages a Kafka client produced or consumed (librdkafka statistics).");
  for (const auto& [name, c] : clients_)
    w.sample("synchub_kafka_messages_total", {{"client", name}, {"direction", c.consumer ? "consumed" : "produced"}},
             c.consumer ? c.consumed : c.produced);
  w.family("synchub_kafka_producer_queue_messages", "gauge", "Messages waiting in the producer's queues.");
  for (const auto& [name, c] : clients_)
    if (!c.consumer) w.sample("synchub_kafka_producer_queue_messages", {{"client", name}}, c.queued);
  w.family("synchub_kafka_rebalances_total", "counter", "Rebalances of a flow's consumer group seen by this worker.");
  for (const auto& [name, c] : clients_)
    if (c.consumer) w.sample("synchub_kafka_rebalances_total", {{"client", name}}, c.rebalances);
  w.family("synchub_kafka_errors_total", "counter", "Errors librdkafka reported on a client (also logged).");
  for (const auto& [name, c] : clients_) w.sample("synchub_kafka_errors_total", {{"client", name}}, c.errors);
  w.family("synchub_kafka_broker_up", "gauge", "1 when the client's connection to the broker is up.");
  for (const auto& [name, c] : clients_)
    for (const auto& [broker, b] : c.brokers)
      w.sample("synchub_kafka_broker_up", {{"client", name}, {"broker", broker}}, b.up ? 1 : 0);
  w.family("synchub_kafka_broker_rtt_seconds", "gauge", "Average request round trip to the broker (last interval).");
  for (const auto& [name, c] : clients_)
    for (const auto& [broker, b] : c.brokers)
      w.sample("synchub_kafka_broker_rtt_seconds", {{"client", name}, {"broker", broker}}, b.rtt_seconds);
  w.family("synchub_kafka_broker_request_errors_total", "counter",
           "Failed requests to the broker: send or receive errors, timeouts.");
  for (const auto& [name, c] : clients_)
    for (const auto& [broker, b] : c.brokers)
      for (const auto& [kind, n] :
           {std::pair{"send", b.tx_errors}, std::pair{"receive", b.rx_errors}, std::pair{"timeout", b.timeouts}})
        w.sample("synchub_kafka_broker_request_errors_total", {{"client", name}, {"broker", broker}, {"kind", kind}},
                 n);
  return out;
}

}  // namespace synchub::runtime
