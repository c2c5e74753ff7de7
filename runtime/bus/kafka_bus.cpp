#include "runtime/bus/kafka_bus.hpp"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>

#include "runtime/base/log.hpp"
#include "runtime/bus/kafka_client.hpp"
#include "runtime/bus/kafka_stats.hpp"
#include "runtime/bus/kafka_topics.hpp"

namespace synchub::runtime {

namespace {

using namespace kafka_client;

// One client (the producer, a flow's consumer): its name in /metrics and where its statistics go.
struct ClientContext {
  std::shared_ptr<KafkaStats> stats;
  std::string name;
};

// Statistics and errors of a client to `stats` (and errors to the log). Owner::context() finds
// the client's context from the handle's opaque pointer.
template <typename Owner>
void report_statistics(rd_kafka_conf_t* conf) {
  rd_kafka_conf_set_stats_cb(conf, [](rd_kafka_t*, char* json, size_t size, void* opaque) {
    ClientContext& client = Owner::context(opaque);
    client.stats->update(client.name, std::string(json, size));
    return 0;  // librdkafka frees the JSON
  });
  rd_kafka_conf_set_error_cb(conf, [](rd_kafka_t*, int err, const char* reason, void* opaque) {
    ClientContext& client = Owner::context(opaque);
    client.stats->count_error(client.name);
    log_error("kafka", {{"client", client.name}, {"error", rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err))}},
              reason);
  });
}

// One publish's delivery reports, counted down by the delivery report callback.
struct Delivery {
  std::atomic<int64_t> pending{0};
  std::mutex mu;
  std::string first_error;
  std::string topic;
};

// Until every report of the publish came back (delivery.timeout.ms bounds it).
void wait_for(rd_kafka_t* producer, Delivery& delivery) {
  while (delivery.pending.load() > 0) rd_kafka_poll(producer, 100);
}

class KafkaPublish final : public PendingPublish {
 public:
  explicit KafkaPublish(rd_kafka_t* producer, std::vector<OutgoingEvent> events = {})
      : producer_(producer), delivery_(std::make_unique<Delivery>()), events_(std::move(events)) {}
  // The callbacks point at delivery_, and librdkafka sends the values from events_.
  ~KafkaPublish() override { wait_for(producer_, *delivery_); }
  Delivery& delivery() { return *delivery_; }
  const std::vector<OutgoingEvent>& events() const { return events_; }

  void wait() override {
    wait_for(producer_, *delivery_);
    std::lock_guard lock(delivery_->mu);
    if (!delivery_->first_error.empty())
      throw std::runtime_error("kafka: delivery to " + delivery_->topic + " failed: " + delivery_->first_error);
  }

 private:
  rd_kafka_t* producer_;
  std::unique_ptr<Delivery> delivery_;
  std::vector<OutgoingEvent> events_;
};

class KafkaConsumer final : public Consumer {
 public:
  KafkaConsumer(const KafkaBusOptions& options, const std::string& group, const std::string& topic,
                std::shared_ptr<KafkaStats> stats)
      : topic_(topic), group_(group), context_{std::move(stats), group}, handle_(nullptr, rd_kafka_destroy) {
    Conf conf = base_conf(options);
    set(conf.get(), "group.id", group);
    set(conf.get(), "enable.auto.commit", "false");  // committed after the sink, by commit()
    set(conf.get(), "enable.auto.offset.store", "false");
    // A committed offset the cluster no longer has (retention ran ahead of this flow) is an error
    // the flow reports, never a silent jump; a new group starts at the beginning (on_rebalance).
    set(conf.get(), "auto.offset.reset", "error");
    set(conf.get(), "partition.assignment.strategy", assignment_strategy());
    set(conf.get(), "enable.partition.eof", "false");
    rd_kafka_conf_set_opaque(conf.get(), this);
    rd_kafka_conf_set_rebalance_cb(conf.get(), &KafkaConsumer::on_rebalance);
    rd_kafka_conf_set_offset_commit_cb(conf.get(), &KafkaConsumer::on_commit);
    report_statistics<KafkaConsumer>(conf.get());
    handle_ = new_handle(RD_KAFKA_CONSUMER, std::move(conf));
    rd_kafka_poll_set_consumer(handle_.get());
    PartitionList topics = partition_list(1);
    rd_kafka_topic_partition_list_add(topics.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
    if (auto err = rd_kafka_subscribe(handle_.get(), topics.get()))
      throw std::runtime_error("kafka: cannot subscribe to " + topic + ": " + rd_kafka_err2str(err));
  }

  ~KafkaConsumer() override {
    drop_stash();
    if (uncommitted_) commit_held_positions();  // async commits may still be under way: this one is waited for
    rd_kafka_consumer_close(handle_.get());     // leaves the group now: partitions move at once
  }

  void idle() override {
    if (!paused_) {
      PartitionList assigned = assignment();
      if (assigned->cnt) rd_kafka_pause_partitions(handle_.get(), assigned.get());
      paused_ = true;
    }
    // Serves heartbeats and rebalances; what was fetched before the pause is kept for poll().
    while (rd_kafka_message_t* m = rd_kafka_consumer_poll(handle_.get(), 0)) stash_.push_back(m);
  }

  std::vector<Event> poll(size_t max_events) override {
    if (paused_) {
      PartitionList assigned = assignment();
      if (assigned->cnt) rd_kafka_resume_partitions(handle_.get(), assigned.get());
      paused_ = false;
    }
    std::vector<Event> events;
    revoked_.clear();  // revoked before this call: their stashed messages are gone already
    while (events.size() < max_events) {
      rd_kafka_message_t* m = nullptr;
      if (!stash_.empty()) {
        m = stash_.front();
        stash_.pop_front();
      } else {
        m = rd_kafka_consumer_poll(handle_.get(), events.empty() ? 10 : 0);
        drop_revoked(events);  // the poll may have served a rebalance
      }
      if (!m) break;
      Message message(m, rd_kafka_message_destroy);
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;
      if (m->err) throw_consume_error(m, topic_, group_);  // an offset reset (lost events) is never hidden
      Event e = to_event(m, topic_);
      pending_since_.try_emplace(e.partition, e.timestamp_ms);
      events.push_back(std::move(e));
    }
    return events;
  }

  // Asynchronous: a synchronous commit waits out a rebalance in progress (seconds), and a consumer
  // that does not poll meanwhile answers the rebalance late, which starts the next one. A commit
  // that fails (the partitions moved on) means redelivery from the last one that succeeded, which
  // the ledger turns into "unchanged".
  void commit(const Positions& positions) override {
    if (positions.empty()) return;
    PartitionList list = partition_list(static_cast<int>(positions.size()));
    for (const auto& [partition, offset] : positions)
      rd_kafka_topic_partition_list_add(list.get(), topic_.c_str(), partition)->offset = offset;
    if (auto err = rd_kafka_commit(handle_.get(), list.get(), 1)) {
      log_warn("kafka", {{"topic", topic_}, {"group", group_}},
               std::string("offset commit not sent: ") + rd_kafka_err2str(err));
      return;
    }
    for (const auto& [partition, offset] : positions) {
      committed_[partition] = offset;
      pending_since_.erase(partition);  // the flow commits all it polled
    }
    uncommitted_ = true;
  }

  // Back to the committed offsets of the partitions this consumer holds.
  void rewind() override {
    PartitionList assigned = assignment();
    if (assigned->cnt == 0) return;
    if (auto err = rd_kafka_committed(handle_.get(), assigned.get(), 10000))
      throw std::runtime_error(std::string("kafka: cannot read committed offsets: ") + rd_kafka_err2str(err));
    for (int i = 0; i < assigned->cnt; ++i) {
      auto& p = assigned->elems[i];
      if (p.offset < 0) p.offset = RD_KAFKA_OFFSET_BEGINNING;  // nothing committed yet
    }
    if (rd_kafka_error_t* error = rd_kafka_seek_partitions(handle_.get(), assigned.get(), 10000)) {
      std::string message = rd_kafka_error_string(error);
      rd_kafka_error_destroy(error);
      throw std::runtime_error("kafka: cannot seek back: " + message);
    }
    drop_stash();  // fetched before the seek: they come again
  }

  // High watermark minus committed offset, over the partitions held.
  int64_t lag() override {
    PartitionList assigned = assignment();
    int64_t total = 0;
    for (int i = 0; i < assigned->cnt; ++i) {
      const int32_t partition = assigned->elems[i].partition;
      int64_t low = -1, high = -1;
      // Asked of the broker: the cached watermark lags behind what was just published (run --once
      // would stop before reading it).
      if (rd_kafka_query_watermark_offsets(handle_.get(), topic_.c_str(), partition, &low, &high, 5000))
        return total + 1;  // unknown: not caught up
      auto c = committed_.find(partition);
      const int64_t done = c != committed_.end() ? c->second : committed_offset(partition, low);
      total += std::max<int64_t>(0, high - done);
    }
    if (assigned->cnt == 0 && !assigned_once_) return 1;  // not in the group yet: unknown
    return total;
  }

  static ClientContext& context(void* opaque) { return static_cast<KafkaConsumer*>(opaque)->context_; }

  // The oldest event polled and not committed yet (a batch being retried, say); events not fetched
  // yet are not known here: 0 then.
  int64_t oldest_pending_ms() override {
    int64_t oldest = 0;
    for (const auto& [partition, since] : pending_since_)
      if (since > 0 && (oldest == 0 || since < oldest)) oldest = since;
    return oldest;
  }

 private:
  // Synchronously, what this consumer processed on the partitions it still holds.
  void commit_held_positions() {
    PartitionList assigned = assignment();
    PartitionList list = partition_list(assigned->cnt);
    for (int i = 0; i < assigned->cnt; ++i) {
      auto c = committed_.find(assigned->elems[i].partition);
      if (c != committed_.end())
        rd_kafka_topic_partition_list_add(list.get(), topic_.c_str(), c->first)->offset = c->second;
    }
    if (list->cnt == 0) return;
    if (auto err = rd_kafka_commit(handle_.get(), list.get(), 0))
      log_warn("kafka", {{"topic", topic_}, {"group", group_}},
               std::string("last offset commit refused: ") + rd_kafka_err2str(err));
  }

  static void on_commit(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t*, void* opaque) {
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR__NO_OFFSET) return;
    auto* self = static_cast<KafkaConsumer*>(opaque);
    log_warn("kafka", {{"topic", self->topic_}, {"group", self->group_}},
             std::string("offset commit refused (rebalance?): ") + rd_kafka_err2str(err));
  }

  void drop_stash() {
    for (auto* m : stash_) rd_kafka_message_destroy(m);
    stash_.clear();
  }

  // Events of partitions taken away while they were being collected are not this consumer's
  // to process any more: the new owner starts at the last commit, and a late write from here
  // could land after its newer one.
  void drop_revoked(std::vector<Event>& events) {
    if (revoked_.empty()) return;
    std::erase_if(events, [&](const Event& e) { return revoked_.count(e.partition) > 0; });
    revoked_.clear();
  }

  PartitionList assignment() {
    rd_kafka_topic_partition_list_t* list = nullptr;
    if (rd_kafka_assignment(handle_.get(), &list) || !list) return partition_list(0);
    return {list, rd_kafka_topic_partition_list_destroy};
  }

  int64_t committed_offset(int32_t partition, int64_t low) {
    PartitionList one = partition_list(1);
    rd_kafka_topic_partition_list_add(one.get(), topic_.c_str(), partition);
    if (rd_kafka_committed(handle_.get(), one.get(), 5000) || one->elems[0].offset < 0)
      return std::max<int64_t>(0, low);
    committed_[partition] = one->elems[0].offset;
    return one->elems[0].offset;
  }

  // Cooperative-sticky where librdkafka can close such a consumer safely. Before 2.3.0 its
  // destroy aborts the process (assertion `assignor_state`, librdkafka #4312) when the consumer
  // joined its group but never received an assignment, as a worker stopped while its group is
  // still forming does (Debian 12 ships 2.0.2): there the eager round-robin assignor is used.
  static const char* assignment_strategy() {
    return rd_kafka_version() >= 0x020300ff ? "cooperative-sticky" : "roundrobin";
  }

  // Cooperative: the partitions given are added or removed. Eager: they are the whole new
  // assignment, or all of the old one taken away.
  static rd_kafka_error_t* apply_rebalance(rd_kafka_t* rk, const rd_kafka_topic_partition_list_t* partitions,
                                           bool assign) {
    // NULL while no protocol is agreed yet (a consumer closed during its group's rebalance): eager.
    const char* protocol = rd_kafka_rebalance_protocol(rk);
    if (protocol && std::strcmp(protocol, "COOPERATIVE") == 0)
      return assign ? rd_kafka_incremental_assign(rk, partitions) : rd_kafka_incremental_unassign(rk, partitions);
    const rd_kafka_resp_err_t err = rd_kafka_assign(rk, assign ? partitions : nullptr);
    return err ? rd_kafka_error_new(err, "%s", rd_kafka_err2str(err)) : nullptr;
  }

  static void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions,
                           void* opaque) {
    auto* self = static_cast<KafkaConsumer*>(opaque);
    rd_kafka_error_t* error = nullptr;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      // Partitions this group never committed start at the beginning; the others at their commit.
      PartitionList start = partition_list(partitions->cnt);
      for (int i = 0; i < partitions->cnt; ++i)
        rd_kafka_topic_partition_list_add(start.get(), partitions->elems[i].topic, partitions->elems[i].partition);
      if (rd_kafka_committed(rk, start.get(), 10000) == RD_KAFKA_RESP_ERR_NO_ERROR)
        for (int i = 0; i < start->cnt; ++i)
          if (start->elems[i].offset < 0) start->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
      error = apply_rebalance(rk, start.get(), true);
      self->assigned_once_ = true;
    } else {
      error = apply_rebalance(rk, partitions, false);
      std::set<int32_t> revoked;
      for (int i = 0; i < partitions->cnt; ++i) {
        const int32_t partition = partitions->elems[i].partition;
        self->committed_.erase(partition);
        self->pending_since_.erase(partition);
        revoked.insert(partition);
      }
      self->revoked_.insert(revoked.begin(), revoked.end());
      // What idle() fetched from them is dropped too (only from these: one revoked earlier may be
      // back, its new messages stashed since).
      std::erase_if(self->stash_, [&](rd_kafka_message_t* m) {
        const bool gone = revoked.count(m->partition) > 0;
        if (gone) rd_kafka_message_destroy(m);
        return gone;
      });
    }
    log_info("kafka",
             {{"topic", self->topic_}, {"group", self->group_}, {"partitions", std::to_string(partitions->cnt)}},
             err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS ? "partitions assigned" : "partitions revoked");
    if (error) {
      log_error("kafka", {{"group", self->group_}}, rd_kafka_error_string(error));
      rd_kafka_error_destroy(error);
    }
  }

  std::string topic_, group_;
  ClientContext context_;
  Handle handle_;
  std::map<int32_t, int64_t> committed_;
  std::map<int32_t, int64_t> pending_since_;  // partition -> append time of its oldest polled, uncommitted event
  std::deque<rd_kafka_message_t*> stash_;     // fetched while idle, handed out first by poll()
  std::set<int32_t> revoked_;                 // taken away during the current poll()
  bool assigned_once_ = false;
  bool uncommitted_ = false;  // async commits were sent: the last one is repeated synchronously at close
  bool paused_ = false;
};

class KafkaBus final : public Bus {
 public:
  explicit KafkaBus(KafkaBusOptions options)
      : options_(std::move(options)),
        stats_(std::make_shared<KafkaStats>()),
        producer_context_{stats_, "producer"},
        producer_(nullptr, rd_kafka_destroy) {
    Conf conf = base_conf(options_);
    rd_kafka_conf_set_opaque(conf.get(), &producer_context_);
    report_statistics<KafkaBus>(conf.get());
    set(conf.get(), "enable.idempotence", "true");  // no duplicates or reordering from producer retries
    set(conf.get(), "acks", "all");
    set(conf.get(), "partitioner", "murmur2_random");  // the Java client's: keys land where its producers put them
    set(conf.get(), "delivery.timeout.ms", std::to_string(options_.delivery_timeout.count()));
    rd_kafka_conf_set_dr_msg_cb(conf.get(), [](rd_kafka_t*, const rd_kafka_message_t* m, void*) {
      auto* delivery = static_cast<Delivery*>(m->_private);
      if (m->err) {
        std::lock_guard lock(delivery->mu);
        if (delivery->first_error.empty()) delivery->first_error = rd_kafka_err2str(m->err);
      }
      --delivery->pending;
    });
    producer_ = new_handle(RD_KAFKA_PRODUCER, std::move(conf));
    topics_.emplace(producer_.get(),
                    TopicSettings{options_.create_topics, options_.partitions, options_.replication_factor});
  }

  ~KafkaBus() override { rd_kafka_flush(producer_.get(), 10000); }

  void publish(const std::vector<OutgoingEvent>& events) override {
    KafkaPublish publish(producer_.get());
    produce(events, publish.delivery());
    publish.wait();  // before `events` go: librdkafka sends their values from where they are
  }

  // Hands the events to librdkafka and returns; wait() returns when every delivery report came
  // back successful and throws otherwise (then some may be stored: callers publish at least once).
  std::unique_ptr<PendingPublish> start_publish(std::vector<OutgoingEvent>&& events) override {
    // Owns the events and the reports' counter from the start: if this throws half-way, its
    // destructor waits for the reports of what went out before the values it sent go.
    auto publish = std::make_unique<KafkaPublish>(producer_.get(), std::move(events));
    produce(publish->events(), publish->delivery());
    return publish;
  }

  // Values are not copied: librdkafka sends them from the events, which the caller keeps until
  // every delivery report is back.
  void produce(const std::vector<OutgoingEvent>& events, Delivery& delivery) {
    if (!events.empty()) delivery.topic = events.front().topic;
    for (const auto& e : events) {
      topics_->ensure(e.topic);
      rd_kafka_headers_t* headers =
          rd_kafka_headers_new(e.headers.size() + (e.common_headers ? e.common_headers->size() : 0));
      auto add = [&](const std::vector<Header>& list) {
        for (const auto& h : list)
          rd_kafka_header_add(headers, h.name.data(), static_cast<ssize_t>(h.name.size()), h.value.data(),
                              static_cast<ssize_t>(h.value.size()));
      };
      if (e.common_headers) add(*e.common_headers);
      add(e.headers);
      ++delivery.pending;
      for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(producer_.get(), RD_KAFKA_V_TOPIC(e.topic.c_str()),
                                                    RD_KAFKA_V_KEY(const_cast<char*>(e.key.data()), e.key.size()),
                                                    RD_KAFKA_V_VALUE(const_cast<char*>(e.value.data()), e.value.size()),
                                                    RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_MSGFLAGS(0),
                                                    RD_KAFKA_V_OPAQUE(&delivery), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {  // the local queue is full: serve reports, try again
          rd_kafka_poll(producer_.get(), 50);
          continue;
        }
        if (err) {
          rd_kafka_headers_destroy(headers);  // not taken over on failure
          --delivery.pending;
          throw std::runtime_error("kafka: cannot produce to " + e.topic + ": " + rd_kafka_err2str(err));
        }
        break;
      }
    }
    rd_kafka_poll(producer_.get(), 0);  // serve reports that are already back
  }

  std::unique_ptr<Consumer> subscribe(const std::string& group, const std::string& topic) override {
    topics_->ensure(topic);
    return std::make_unique<KafkaConsumer>(options_, group_id(group), topic, stats_);
  }

  // Never through subscribe(): joining the group would rebalance the hub's running consumers.
  std::vector<Event> uncommitted(const std::string& group, const std::string& topic, size_t max_events) override {
    return read_uncommitted(options_, group_id(group), topic, max_events);
  }

  int64_t enforce_retention() override { return 0; }  // the cluster's retention.ms / retention.bytes rule

  std::string metrics_text() override {
    // The producer's statistics arrive through its poll, which an idle hub does not call;
    // polling is thread-safe, and what it serves (delivery reports, statistics) is too.
    rd_kafka_poll(producer_.get(), 0);
    return stats_->prometheus_text();
  }

  static ClientContext& context(void* opaque) { return *static_cast<ClientContext*>(opaque); }

 private:
  // The runtime names groups "synchub.<flow>"; on a cluster shared by hubs: "<prefix><flow>".
  std::string group_id(const std::string& group) const {
    const std::string flow = group.rfind("synchub.", 0) == 0 ? group.substr(8) : group;
    return options_.group_prefix + flow;
  }

  KafkaBusOptions options_;
  std::shared_ptr<KafkaStats> stats_;
  ClientContext producer_context_;
  Handle producer_;
  std::optional<KafkaTopics> topics_;  // made once the producer is
};

}  // namespace

std::unique_ptr<Bus> open_kafka_bus(const KafkaBusOptions& options) {
  return std::make_unique<KafkaBus>(options);
}

}  // namespace synchub::runtime
