// What a flow's consumer group has not committed yet, for reconciliation's "still on the bus".
#include <chrono>
#include <map>
#include <stdexcept>

#include "runtime/bus/kafka_client.hpp"

namespace synchub::runtime::kafka_client {

namespace {

// What a consumer group has not committed on a topic, read by a client of its own that never
// joins the group: a member that subscribes, even for a moment, has the group rebalanced, and
// its running consumers lose their partitions and the batches they hold. This one reads the
// group's committed offsets (an offset fetch needs the group.id, not membership), assigns
// itself every partition from there up to the end the log had when it started, and never
// commits.
class UncommittedReader {
 public:
  UncommittedReader(const KafkaBusOptions& options, const std::string& group, const std::string& topic)
      : topic_(topic), group_(group), handle_(nullptr, rd_kafka_destroy) {
    Conf conf = base_conf(options);
    set(conf.get(), "group.id", group);
    set(conf.get(), "enable.auto.commit", "false");
    set(conf.get(), "enable.auto.offset.store", "false");
    set(conf.get(), "auto.offset.reset", "error");
    // Under read_committed a partition's readable end (the last stable offset) may stay below
    // the high watermark while another producer's transaction is open: the end event says so.
    set(conf.get(), "enable.partition.eof", "true");
    set(conf.get(), "statistics.interval.ms", "0");  // not a flow's client: nothing for /metrics
    handle_ = new_handle(RD_KAFKA_CONSUMER, std::move(conf));
    rd_kafka_poll_set_consumer(handle_.get());
  }
  ~UncommittedReader() { rd_kafka_consumer_close(handle_.get()); }  // assigned only: no group to leave
  UncommittedReader(const UncommittedReader&) = delete;
  UncommittedReader& operator=(const UncommittedReader&) = delete;

  std::vector<Event> read(size_t max_events) {
    std::vector<Event> events;
    if (max_events == 0) return events;
    std::map<int32_t, int64_t> end_of = ranges();  // partition -> end, for those with events left
    auto last_message = std::chrono::steady_clock::now();
    while (!end_of.empty() && events.size() < max_events) {
      Message message(rd_kafka_consumer_poll(handle_.get(), 100), rd_kafka_message_destroy);
      const rd_kafka_message_t* m = message.get();
      if (!m) {
        if (std::chrono::steady_clock::now() - last_message > kQuietLimit)
          throw std::runtime_error("kafka: reading what group " + group_ + " has not committed on " + topic_ +
                                   ": no message for " + std::to_string(kQuietLimit.count()) + " s");
        continue;
      }
      last_message = std::chrono::steady_clock::now();
      const auto end = end_of.find(m->partition);
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        if (end != end_of.end()) end_of.erase(end);
        continue;
      }
      if (m->err) throw_consume_error(m, topic_, group_);
      if (end == end_of.end() || m->offset >= end->second) continue;  // published after the start
      events.push_back(to_event(m, topic_));
      if (m->offset + 1 >= end->second) end_of.erase(end);
    }
    return events;
  }

 private:
  static constexpr std::chrono::seconds kQuietLimit{30};

  // Assigns every partition with events the group has not committed, at its committed offset (the
  // oldest event kept when it has none, or when retention removed it: the flow reports that
  // loss); returns where each one ends now.
  std::map<int32_t, int64_t> ranges() {
    const std::vector<int32_t> partitions = partitions_of_topic();
    if (partitions.empty()) return {};
    PartitionList start = partition_list(static_cast<int>(partitions.size()));
    for (int32_t p : partitions) rd_kafka_topic_partition_list_add(start.get(), topic_.c_str(), p);
    if (auto err = rd_kafka_committed(handle_.get(), start.get(), 10000))
      throw std::runtime_error("kafka: cannot read the committed offsets of group " + group_ + ": " +
                               rd_kafka_err2str(err));
    std::map<int32_t, int64_t> end_of;
    PartitionList assignment = partition_list(start->cnt);
    for (int i = 0; i < start->cnt; ++i) {
      const rd_kafka_topic_partition_t& p = start->elems[i];
      int64_t low = 0, high = 0;
      if (auto err = rd_kafka_query_watermark_offsets(handle_.get(), topic_.c_str(), p.partition, &low, &high, 10000))
        throw std::runtime_error("kafka: cannot read the end of " + topic_ + " [" + std::to_string(p.partition) +
                                 "]: " + rd_kafka_err2str(err));
      const int64_t from = p.offset >= 0 ? std::max(p.offset, low) : low;
      if (from >= high) continue;
      rd_kafka_topic_partition_list_add(assignment.get(), topic_.c_str(), p.partition)->offset = from;
      end_of[p.partition] = high;
    }
    // Assigned, not subscribed: the group's coordinator never hears of this client.
    if (auto err = rd_kafka_assign(handle_.get(), assignment.get()))
      throw std::runtime_error("kafka: cannot assign " + topic_ + ": " + rd_kafka_err2str(err));
    return end_of;
  }

  // None when the topic does not exist (nothing was published to it).
  std::vector<int32_t> partitions_of_topic() {
    rd_kafka_topic_t* topic = rd_kafka_topic_new(handle_.get(), topic_.c_str(), nullptr);
    if (!topic) throw std::runtime_error("kafka: topic " + topic_ + ": " + rd_kafka_err2str(rd_kafka_last_error()));
    const rd_kafka_metadata_t* metadata = nullptr;
    const rd_kafka_resp_err_t err = rd_kafka_metadata(handle_.get(), 0, topic, &metadata, 10000);
    rd_kafka_topic_destroy(topic);
    if (err) throw std::runtime_error("kafka: no metadata for " + topic_ + ": " + rd_kafka_err2str(err));
    std::vector<int32_t> partitions;
    rd_kafka_resp_err_t topic_err = RD_KAFKA_RESP_ERR_NO_ERROR;
    for (int t = 0; t < metadata->topic_cnt; ++t) {
      topic_err = metadata->topics[t].err;
      for (int i = 0; i < metadata->topics[t].partition_cnt; ++i)
        partitions.push_back(metadata->topics[t].partitions[i].id);
    }
    rd_kafka_metadata_destroy(metadata);
    if (topic_err && topic_err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
      throw std::runtime_error("kafka: no metadata for " + topic_ + ": " + rd_kafka_err2str(topic_err));
    return partitions;
  }

  std::string topic_, group_;
  Handle handle_;
};

}  // namespace

std::vector<Event> read_uncommitted(const KafkaBusOptions& options, const std::string& group, const std::string& topic,
                                    size_t max_events) {
  return UncommittedReader(options, group, topic).read(max_events);
}

}  // namespace synchub::runtime::kafka_client
