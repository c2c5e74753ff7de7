// What the scheduler thread shows the admin API (a snapshot of every flow,
// refreshed each loop; the sources' states, read from their pollers) and what
// the API asks of it (pause, resume, trigger), handed over under one lock:
// flows and sources stay single-threaded.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "runtime/admin/lag_history.hpp"
#include "runtime/base/clock.hpp"

namespace synchub::runtime {

// How long writes to a sink took (one push of a batch), in Prometheus'
// histogram buckets (upper bounds in seconds; +Inf is `count`).
struct DurationHistogram {
  static constexpr std::array<double, 12> kBounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  std::array<int64_t, kBounds.size()> in_bucket{};  // per bucket, not cumulative
  int64_t count = 0;
  double sum_seconds = 0;

  void observe(double seconds) {
    for (size_t i = 0; i < kBounds.size(); ++i)
      if (seconds <= kBounds[i]) {
        ++in_bucket[i];
        break;
      }
    ++count;
    sum_seconds += seconds;
  }
  void add(const DurationHistogram& other) {
    for (size_t i = 0; i < kBounds.size(); ++i) in_bucket[i] += other.in_bucket[i];
    count += other.count;
    sum_seconds += other.sum_seconds;
  }
};

// A source poller's state, as the admin API, /metrics, the alerts and `synchub status` show it.
struct SourceStatus {
  std::string name, connector, stream;
  // polling: reading (a pull under way, or more to read); idle: read everything, waits for the
  // next poll; backing_off: the last poll failed (or the source asked to wait), retried soon;
  // failing: kFailingAfter polls in a row failed, or a failure waiting cannot clear; paused:
  // an operator paused it (POST /api/v1/sources/{name}/pause): it is not polled.
  std::string state = "idle";
  static constexpr int kFailingAfter = 3;
  int64_t last_success_ms = 0;  // the last poll (or push) that read and published without error
  std::string last_error;
  int64_t last_error_ms = 0;
  int consecutive_failures = 0;
  int64_t errors = 0;          // failed polls since start
  std::string cursor;          // committed (durable on the bus)
  int64_t cursor_time_ms = 0;  // the time the cursor stands at, when it is one (0: not a time)
  int64_t records_read = 0;    // published since start (polled and pushed)
  int64_t read_5m = 0, read_1h = 0, read_24h = 0;
  std::vector<int64_t> read_per_minute, errors_per_minute;  // the last 60 minutes, oldest first
  int64_t next_poll_ms = 0;                                 // when backing off or failing
  bool polled_here = true;         // this worker holds the stream's lease (several workers share it)
  bool push = false;               // a webhook stream: its records come as pushes, polls read nothing
  std::vector<std::string> flows;  // the flows reading it
};

struct FlowStatus {
  std::string name, from, to;
  // running, idle, paused, backing-off, failing; source-failing when the flow itself is well
  // but its source is failing (nothing new comes)
  std::string state;
  std::string source_state, source_error;  // its source's (SourceStatus), "" when not polled here
  std::string source_cursor;
  int64_t lag_events = 0;
  int64_t oldest_pending_ms = 0;  // when the oldest unhandled event arrived (0: none)
  int64_t read = 0, created = 0, updated = 0, unchanged = 0, skipped = 0, failed = 0, dead_lettered = 0;  // since start
  int64_t last_success_ms = 0;
  std::string last_error;
  int64_t last_error_ms = 0;
  int attempt = 0;      // failed attempts in a row
  int64_t retries = 0;  // transient failures retried since start
  DurationHistogram sink_writes;
  int64_t next_attempt_ms = 0;  // when backing off
};

struct AdminCommand {
  std::string flow;
  std::string action;  // pause | resume | trigger
  std::string source;  // set (and flow empty): a source's pause or resume
};

class AdminBoard {
 public:
  void publish(std::vector<FlowStatus> flows) {
    const int64_t now = now_ms();
    for (const auto& f : flows)
      lag_.sample(f.name, f.lag_events,
                  f.oldest_pending_ms ? std::max<int64_t>(0, now - f.oldest_pending_ms) / 1000.0 : 0, now);
    std::lock_guard lock(mu_);
    flows_ = std::move(flows);
  }
  std::vector<FlowStatus> flows() const {
    std::lock_guard lock(mu_);
    return flows_;
  }
  void ask(AdminCommand command) {
    std::lock_guard lock(mu_);
    commands_.push_back(std::move(command));
  }
  const LagHistory& lag_history() const { return lag_; }
  std::deque<AdminCommand> take_commands() {
    std::lock_guard lock(mu_);
    return std::exchange(commands_, {});
  }
  // The sources are read from their pollers (each snapshot taken under the poller's own lock),
  // so a state shows while the scheduler thread is inside a long pull. Set before any reader runs.
  void read_sources_with(std::function<std::vector<SourceStatus>()> reader) { source_reader_ = std::move(reader); }
  std::vector<SourceStatus> sources() const { return source_reader_ ? source_reader_() : std::vector<SourceStatus>{}; }

 private:
  mutable std::mutex mu_;
  std::vector<FlowStatus> flows_;
  std::deque<AdminCommand> commands_;
  LagHistory lag_;  // locks itself
  std::function<std::vector<SourceStatus>()> source_reader_;
};

}  // namespace synchub::runtime
