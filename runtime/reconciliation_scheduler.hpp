// Reconciliations inside `synchub run`: one thread of their own (never the scheduler's: a run
// reads two systems whole) runs them one at a time, each with `every` on its schedule and any
// on request (POST /api/v1/reconciliation/NAME/run, through the ReconciliationBoard). Each run
// is kept in the state store and its outcome handed to the alerts.
//
// When: one period after the reconciliation's latest kept run started (whoever ran it, `synchub
// reconcile` included), so a restart neither skips nor repeats a run. One never run, or overdue
// (the hub was down), runs kFirstRunDelay after start (or one period, when shorter): the hub's
// flows catch up first, and fewer records show as in flight.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "config/hub_config.hpp"
#include "runtime/admin/reconciliation_board.hpp"

namespace synchub::reconcile {
struct ReconcilePlan;
}

namespace synchub::runtime {

class StateStore;

inline constexpr std::chrono::milliseconds kFirstRunDelay{30000};

// The configured reconciliations as the admin API lists them.
std::vector<ReconciliationInfo> reconciliation_infos(const config::HubConfig& config);

class ReconciliationScheduler {
 public:
  // Compiles the plans and reads when each last ran; the thread starts with start(). The thread
  // has connections of its own: neither the hub's state store nor its bus is shared between
  // threads (an embedded bus is one SQLite connection). The bus is opened for each run, to tell
  // what is still on its way; when it cannot be, the report says so.
  ReconciliationScheduler(const config::HubConfig& config, ReconciliationBoard& board,
                          std::chrono::milliseconds first_run_delay = kFirstRunDelay);
  ~ReconciliationScheduler();  // stop()
  ReconciliationScheduler(const ReconciliationScheduler&) = delete;
  ReconciliationScheduler& operator=(const ReconciliationScheduler&) = delete;

  void start();
  // Refuses requests and ends the thread: a run under way stops at its next page (a request to
  // a system under way finishes first) and is not kept.
  void stop();

 private:
  void loop();
  void run_one(const std::string& name);
  void schedule_after(const std::string& name, int64_t started_ms);
  bool claim_scheduled_run(const std::string& name);

  const config::HubConfig config_;  // a copy: the thread's readers are made from it
  ReconciliationBoard& board_;
  const std::chrono::milliseconds first_run_delay_;
  std::map<std::string, std::unique_ptr<reconcile::ReconcilePlan>> plans_;
  std::unique_ptr<StateStore> state_;
  const std::string worker_id_;
  std::map<std::string, int64_t> due_;  // those with `every`: the next run (epoch ms)
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace synchub::runtime
