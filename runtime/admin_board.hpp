// What the scheduler thread shows the admin API (a snapshot of every flow,
// refreshed each loop) and what the API asks of it (pause, resume, trigger),
// handed over under one lock: flows and sources stay single-threaded.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace synchub::runtime {

struct FlowStatus {
  std::string name, from, to;
  std::string state;  // running, idle, paused, backing-off, failing
  std::string source_cursor;
  int64_t lag_events = 0;
  int64_t read = 0, created = 0, updated = 0, unchanged = 0, skipped = 0, failed = 0, dead_lettered = 0;  // since start
  int64_t last_success_ms = 0;
  std::string last_error;
  int64_t last_error_ms = 0;
  int attempt = 0;              // failed attempts in a row
  int64_t next_attempt_ms = 0;  // when backing off
};

struct AdminCommand {
  std::string flow;
  std::string action;  // pause | resume | trigger
};

class AdminBoard {
 public:
  void publish(std::vector<FlowStatus> flows) {
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
  std::deque<AdminCommand> take_commands() {
    std::lock_guard lock(mu_);
    return std::exchange(commands_, {});
  }

 private:
  mutable std::mutex mu_;
  std::vector<FlowStatus> flows_;
  std::deque<AdminCommand> commands_;
};

}  // namespace synchub::runtime
