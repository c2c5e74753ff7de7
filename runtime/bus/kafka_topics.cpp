#include "runtime/bus/kafka_topics.hpp"

#include <stdexcept>

#include "runtime/base/log.hpp"

namespace synchub::runtime {

namespace {
constexpr int kControllerWaitMs = 5000;
constexpr int kCreateWaitMs = 15000;
}  // namespace

void KafkaTopics::ensure(const std::string& topic) {
  if (known_.count(topic)) return;
  const bool created = settings_.create && has_controller();
  if (created) create(topic);
  const rd_kafka_resp_err_t err = learn_leaders(topic);
  if (settings_.create && !created && err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
    throw std::runtime_error("kafka: topic " + topic +
                             " does not exist and the cluster names no controller to create it (create it, or "
                             "let the cluster auto-create topics)");
  known_.insert(topic);
}

// librdkafka's mock cluster (the one `synchub-kafka-mock` runs) names as controller a broker id it
// does not have (0; its brokers are 1..N): a CreateTopics request would wait for that broker until
// it times out, for every topic. Such a cluster auto-creates a topic when its metadata is asked
// for, which learn_leaders does next.
bool KafkaTopics::has_controller() {
  if (!controller_) {
    const int32_t id = rd_kafka_controllerid(producer_, kControllerWaitMs);
    const rd_kafka_metadata_t* metadata = nullptr;
    controller_ = false;
    if (id != -1 &&
        rd_kafka_metadata(producer_, 0, nullptr, &metadata, kControllerWaitMs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      for (int i = 0; i < metadata->broker_cnt; ++i) controller_ = *controller_ || metadata->brokers[i].id == id;
      rd_kafka_metadata_destroy(metadata);
    }
    if (!*controller_)
      log_warn("kafka", {},
               "the cluster names no controller (librdkafka's mock cluster does not): topics are not created "
               "by synchub (create_topics) but left to the cluster's auto-creation");
  }
  return *controller_;
}

rd_kafka_resp_err_t KafkaTopics::learn_leaders(const std::string& topic) {
  // A topic the producer has not seen waits for librdkafka's next metadata scan (up to a second)
  // before its first message goes out; asking for its metadata now spares every first publish that.
  rd_kafka_topic_t* handle = rd_kafka_topic_new(producer_, topic.c_str(), nullptr);
  if (!handle) return RD_KAFKA_RESP_ERR_NO_ERROR;  // produce() reports the problem
  const rd_kafka_metadata_t* metadata = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(producer_, 0, handle, &metadata, 5000);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (metadata->topic_cnt == 1) err = metadata->topics[0].err;
    rd_kafka_metadata_destroy(metadata);
  }
  rd_kafka_topic_destroy(handle);
  return err;
}

void KafkaTopics::create(const std::string& topic) {
  log_info("kafka", {{"topic", topic}},
           "creating the topic (" + std::to_string(settings_.partitions) + " partitions, replication factor " +
               std::to_string(settings_.replication_factor) + ")");
  char error[512];
  rd_kafka_NewTopic_t* request =
      rd_kafka_NewTopic_new(topic.c_str(), settings_.partitions, settings_.replication_factor, error, sizeof error);
  if (!request) throw std::runtime_error("kafka: topic " + topic + ": " + error);
  rd_kafka_queue_t* queue = rd_kafka_queue_new(producer_);
  rd_kafka_CreateTopics(producer_, &request, 1, nullptr, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, kCreateWaitMs);
  std::string failure;
  if (!event) {
    failure = "no answer from the cluster in " + std::to_string(kCreateWaitMs / 1000) + " s";
  } else {
    size_t count = 0;
    const rd_kafka_CreateTopics_result_t* result = rd_kafka_event_CreateTopics_result(event);
    const rd_kafka_topic_result_t** topics = result ? rd_kafka_CreateTopics_result_topics(result, &count) : nullptr;
    if (rd_kafka_event_error(event))
      failure = rd_kafka_event_error_string(event);
    else if (count == 1 && rd_kafka_topic_result_error(topics[0]) &&
             rd_kafka_topic_result_error(topics[0]) != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
      failure = rd_kafka_topic_result_error_string(topics[0]);
    rd_kafka_event_destroy(event);
  }
  rd_kafka_queue_destroy(queue);
  rd_kafka_NewTopic_destroy(request);
  if (!failure.empty()) throw std::runtime_error("kafka: cannot create topic " + topic + ": " + failure);
}

}  // namespace synchub::runtime
