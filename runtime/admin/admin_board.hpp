// What the scheduler thread shows the admin API (a snapshot of every flow,
// refreshed each loop) and what the API asks of it (pause, resume, trigger),
// handed over under one lock: flows and sources stay single-threaded.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
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

struct FlowStatus {
  std::string name, from, to;
  std::string state;  // running, idle, paused, backing-off, failing
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

 private:
  mutable std::mutex mu_;
  std::vector<FlowStatus> flows_;
  std::deque<AdminCommand> commands_;
  LagHistory lag_;  // locks itself
};

}  // namespace synchub::runtime
