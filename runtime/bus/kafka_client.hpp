// Private to the Kafka bus (runtime/bus/kafka_*.cpp): owning handles of librdkafka objects and
// the helpers its producer, consumers and uncommitted reader share.
#pragma once

#include <librdkafka/rdkafka.h>

#include <memory>
#include <string>
#include <vector>

#include "runtime/bus/bus.hpp"
#include "runtime/bus/kafka_bus.hpp"

namespace synchub::runtime::kafka_client {

using Conf = std::unique_ptr<rd_kafka_conf_t, decltype(&rd_kafka_conf_destroy)>;
using Handle = std::unique_ptr<rd_kafka_t, decltype(&rd_kafka_destroy)>;
using PartitionList =
    std::unique_ptr<rd_kafka_topic_partition_list_t, decltype(&rd_kafka_topic_partition_list_destroy)>;
using Message = std::unique_ptr<rd_kafka_message_t, decltype(&rd_kafka_message_destroy)>;

PartitionList partition_list(int size);
// Sets one librdkafka setting; throws naming the setting, never its value (it may be a secret).
void set(rd_kafka_conf_t* conf, const std::string& name, const std::string& value);
// The settings every client takes: servers, logging, statistics, the config's `properties`.
Conf base_conf(const KafkaBusOptions& options);
Handle new_handle(rd_kafka_type_t type, Conf conf);
// A consumed message as an event: the headers encoded (append_header).
Event to_event(const rd_kafka_message_t* m, const std::string& topic);
// An error a consumer met: an offset reset means events were removed before the group read them.
[[noreturn]] void throw_consume_error(const rd_kafka_message_t* m, const std::string& topic, const std::string& group);

// Up to `max_events` events of `topic` that `group` has not committed, read without joining the
// group or committing (kafka_uncommitted.cpp).
std::vector<Event> read_uncommitted(const KafkaBusOptions& options, const std::string& group, const std::string& topic,
                                    size_t max_events);

}  // namespace synchub::runtime::kafka_client
