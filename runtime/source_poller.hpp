// Polls one source stream and publishes what it reads to the stream's topic.
// The cursor is committed only after the events are durable on the bus, so a
// crash in between re-reads (at least once), never skips. While the source
// has more to read, a batch's delivery overlaps the next batch's publish
// (and its pull, for sources that read ahead).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "connectors/connector.hpp"
#include "runtime/admin/admin_board.hpp"
#include "runtime/backoff.hpp"
#include "runtime/base/minute_counts.hpp"
#include "runtime/bus/bus.hpp"
#include "runtime/flow_runner.hpp"
#include "runtime/in_flight.hpp"
#include "runtime/state/state_store.hpp"

namespace synchub::runtime {

struct SourceOptions {
  static SourceOptions from(const config::HubConfig& config, const config::StreamRef& stream);  // source_options.cpp
  std::string connector;
  std::string stream;
  std::string topic;
  std::string hub_name;
  size_t batch_size = 1000;
  // Several workers may share the state: each stream is polled by the one
  // holding its lease (renewed every third of the ttl).
  std::string worker_id;
  std::chrono::milliseconds lease_ttl{15000};
};

// The name this worker goes by in leases: hub.worker_id, else host and data folder (stable across
// restarts, so a worker that crashed takes its leases back at once). source_options.cpp
std::string this_worker_id(const config::Settings& hub);

// Records read from a source as events for its topic: CloudEvents 1.0 in
// Kafka's binary mode (the record is the value, attributes are ce_* headers).
std::vector<OutgoingEvent> source_events(const SourceOptions& options, std::vector<connectors::SourceRecord>& records);

class SourcePoller {
 public:
  SourcePoller(SourceOptions options, Bus& bus, StateStore& state, std::unique_ptr<connectors::SourceStream> source);

  // Pulls and publishes once when due; true when it did work.
  bool poll_once(Clock::time_point now);
  // Publishes records pushed to the stream (webhooks); throws when the bus fails.
  // False when the request was stored before (its replay keys are remembered):
  // nothing is published again.
  bool publish_pushed(std::vector<connectors::SourceRecord>& records, const std::vector<std::string>& replay_keys,
                      int64_t replay_until_ms);
  const connectors::PushSource* push_source() const { return source_->push(); }
  // Nothing read at the last poll, and nothing waiting to become ready (or paused: nothing will
  // be read until resumed).
  bool drained() const { return drained_ || paused_; }
  // Non-empty when this worker's own side (the bus, the state store) failed kLocalFailuresStuck
  // polls in a row: an error waiting cannot clear (run --once stops on it).
  std::string stuck() const { return local_failures_ >= kLocalFailuresStuck ? local_error_ : ""; }
  static constexpr int kLocalFailuresStuck = 5;
  // Poll at the next chance instead of after the poll interval (run --once
  // confirms a finished listing has nothing more without waiting).
  // Not while backing off, nor while input is still being written.
  void poll_soon() {
    if (failures_ == 0 && !waiting_) next_poll_ = {};
  }
  std::string name() const { return options_.connector + "." + options_.stream; }
  // At shutdown: commits the batch in flight, and lets another worker take the stream at once.
  void stop();

  // What the admin API, /metrics and the alerts show; any thread may ask.
  SourceStatus status() const;
  // The flows reading the stream (shown with its status).
  void set_flows(std::vector<std::string> flows);
  // Paused by an operator (a system under maintenance is left alone): the source is not polled,
  // its batch in flight is committed and its lease released. Pushes (webhooks) are still taken;
  // its flows go on with what is on the bus.
  void set_paused(bool paused);

 private:
  std::vector<OutgoingEvent> to_events(std::vector<connectors::SourceRecord>& records) const {
    return source_events(options_, records);
  }
  bool replay_dead_letters();
  // Commits the cursor of the batch being published once the bus has it (see InFlight).
  void settle();
  bool hold_lease(Clock::time_point now);  // false: another worker polls this stream
  bool publish_pulled(connectors::PullResult pulled, bool replayed, Clock::time_point now);
  // The status's changes (scheduler thread; under status_mu_).
  void note_read(int64_t records, bool more);
  void note_failure(const std::string& error, Clock::time_point next, bool hopeless);
  void note_cursor(const std::string& cursor);
  void note_state(const char* state, bool polled_here = true);

  SourceOptions options_;
  Bus& bus_;
  StateStore& state_;
  std::unique_ptr<connectors::SourceStream> source_;
  // What a batch being published commits once it is durable.
  struct PublishedBatch {
    std::string cursor;  // after the batch
    std::vector<DeadLetter> rejects;
    bool commit = false;  // the cursor moved or there are rejects
  };
  InFlight<PublishedBatch> in_flight_;
  std::string cursor_;  // after the last batch published (committed or in flight)
  bool cursor_loaded_ = false;
  bool drained_ = false;
  bool waiting_ = false;
  Clock::time_point next_poll_{};
  Backoff backoff_{std::chrono::seconds(1), std::chrono::minutes(5)};
  int failures_ = 0;
  int local_failures_ = 0;  // in a row, outside the source's pull()
  std::string local_error_;
  bool leased_ = false;
  Clock::time_point renew_lease_at_{};
  bool paused_ = false;

  mutable std::mutex status_mu_;
  SourceStatus status_;
  MinuteCounts read_counts_, error_counts_;
};

}  // namespace synchub::runtime
