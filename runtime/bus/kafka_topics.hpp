// The topics a Kafka producer publishes to (private to the Kafka bus): created first when
// `create_topics` asks, and their partition leaders learnt before the first message goes out.
#pragma once

#include <librdkafka/rdkafka.h>

#include <optional>
#include <set>
#include <string>

namespace synchub::runtime {

struct TopicSettings {
  bool create = true;
  int partitions = 6;
  int replication_factor = 3;
};

class KafkaTopics {
 public:
  KafkaTopics(rd_kafka_t* producer, TopicSettings settings) : producer_(producer), settings_(settings) {}

  // Once per topic: creates it (when asked) and learns its leaders. Throws when it cannot be made.
  void ensure(const std::string& topic);

 private:
  void create(const std::string& topic);
  // Whether the cluster names a controller, the broker that creates topics (asked once).
  bool has_controller();
  // Asks for the topic's metadata; returns its error (RD_KAFKA_RESP_ERR_NO_ERROR when it exists).
  rd_kafka_resp_err_t learn_leaders(const std::string& topic);

  rd_kafka_t* producer_;
  TopicSettings settings_;
  std::optional<bool> controller_;
  std::set<std::string> known_;  // created (when asked) and leaders known
};

}  // namespace synchub::runtime
