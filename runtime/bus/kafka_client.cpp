// The librdkafka helpers the Kafka bus's clients share (kafka_client.hpp).
#include "runtime/bus/kafka_client.hpp"

#include <stdexcept>
#include <string_view>

#include "runtime/base/log.hpp"

namespace synchub::runtime::kafka_client {

PartitionList partition_list(int size) {
  return {rd_kafka_topic_partition_list_new(size), rd_kafka_topic_partition_list_destroy};
}

void set(rd_kafka_conf_t* conf, const std::string& name, const std::string& value) {
  char error[512];
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK)
    throw std::runtime_error("kafka setting " + name + ": " + error);  // the value is not shown: it may be a secret
}

Conf base_conf(const KafkaBusOptions& options) {
  Conf conf(rd_kafka_conf_new(), rd_kafka_conf_destroy);
  set(conf.get(), "bootstrap.servers", options.bootstrap_servers);
  set(conf.get(), "log_level", "4");                   // warnings and worse
  set(conf.get(), "statistics.interval.ms", "15000");  // for /metrics; `properties` may change it
  for (const auto& [name, value] : options.properties) set(conf.get(), name, value);
  rd_kafka_conf_set_log_cb(conf.get(), [](const rd_kafka_t*, int level, const char* facility, const char* message) {
    // One `properties` map serves producer and consumer: each ignores the other's settings, without a word.
    if (std::string_view(facility) == "CONFWARN") return;
    (level <= 3 ? log_error : log_warn)("kafka", {{"facility", facility}}, message);
  });
  return conf;
}

Handle new_handle(rd_kafka_type_t type, Conf conf) {
  char error[512];
  rd_kafka_t* handle = rd_kafka_new(type, conf.get(), error, sizeof error);
  if (!handle) throw std::runtime_error(std::string("kafka: ") + error);
  conf.release();  // owned by the handle now
  return {handle, rd_kafka_destroy};
}

// A consumed message as an event: the headers encoded (append_header).
Event to_event(const rd_kafka_message_t* m, const std::string& topic) {
  Event e;
  e.topic = topic;
  e.partition = m->partition;
  e.offset = m->offset;
  rd_kafka_timestamp_type_t type;
  e.timestamp_ms = rd_kafka_message_timestamp(m, &type);
  if (m->key) e.key.assign(static_cast<const char*>(m->key), m->key_len);
  if (m->payload) e.value.assign(static_cast<const char*>(m->payload), m->len);
  rd_kafka_headers_t* headers = nullptr;
  if (!rd_kafka_message_headers(m, &headers)) {
    const char* name;
    const void* value;
    size_t size;
    for (size_t i = 0; !rd_kafka_header_get_all(headers, i, &name, &value, &size); ++i)
      append_header(e.headers, name,
                    value ? std::string_view(static_cast<const char*>(value), size) : std::string_view());
  }
  return e;
}

// An error a consumer met: an offset reset means events were removed before the group read them.
[[noreturn]] void throw_consume_error(const rd_kafka_message_t* m, const std::string& topic, const std::string& group) {
  if (m->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE || m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET)
    throw std::runtime_error("kafka: offset reset on " + topic + " for group " + group +
                             ": events were removed before this flow read them (" + rd_kafka_message_errstr(m) + ")");
  throw std::runtime_error("kafka: consuming " + topic + ": " + rd_kafka_message_errstr(m));
}

}  // namespace synchub::runtime::kafka_client
