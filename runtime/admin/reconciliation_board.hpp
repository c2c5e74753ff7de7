// What the hub's reconciliation thread shares with the admin API and the alerts: the
// reconciliations configured, the one running, the runs asked for (POST .../run) and the
// latest outcome of each run this hub made. One lock; the reconciliation thread waits on it for
// a request or its next due time, so a request starts at once and a stop is seen at once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace synchub::runtime {

struct ReconciliationInfo {
  std::string name, description, source, target, flow;
  std::string every;  // as configured ("1h"); "" when it runs on demand only
  std::chrono::milliseconds every_ms{0};
};

// A run this hub made (or another worker sharing its state did), as the alerts judge it.
struct ReconciliationOutcome {
  std::string name;
  int64_t run_id = 0;  // 0 when it could not be kept
  int64_t started_ms = 0, finished_ms = 0;
  int64_t differences = 0;  // in-flight documents are not differences
  bool failed = false;
  std::string summary;  // reconcile::summary_line
  // Kept by another worker sharing the state store: the alerts take note of it (a difference
  // already alerted is not alerted again by this worker) but leave its alert to that worker.
  bool by_another_worker = false;
};

class ReconciliationBoard {
 public:
  explicit ReconciliationBoard(std::vector<ReconciliationInfo> configured) : configured_(std::move(configured)) {}

  // Fixed at construction: read without the lock.
  const std::vector<ReconciliationInfo>& configured() const { return configured_; }
  const ReconciliationInfo* find(std::string_view name) const;

  // ---- the admin API's threads
  enum class Asked {
    Started,       // the thread takes it now
    Queued,        // after the run under way
    AlreadyAsked,  // it is running, or asked for already
    Unknown,       // no such reconciliation
    NotRunning,    // no reconciliation thread (run --once, or stopping)
  };
  Asked ask(const std::string& name);

  struct Activity {
    bool open = false;    // a reconciliation thread takes requests
    std::string running;  // "" when none
    int64_t running_since_ms = 0;
    std::vector<std::string> asked;           // waiting to run, in order
    std::map<std::string, int64_t> next_due;  // scheduled ones: when (epoch ms)
  };
  Activity activity() const;

  // ---- the alerts
  std::vector<ReconciliationOutcome> outcomes() const;

  // ---- the reconciliation thread
  void open();   // takes requests from now on
  void close();  // refuses requests, drops those waiting, wakes the thread
  // Waits until a run is asked for, `until` passes, or close(). True with `name` set to the run
  // asked for (now running), or empty when `until` came; false once closed.
  bool next(std::chrono::steady_clock::time_point until, std::string& name);
  // A scheduled run starts (a request for it waiting is answered by it).
  void begin(const std::string& name, int64_t now_ms);
  // The run ends: with its outcome, or without one (stopped, not kept).
  void end(const ReconciliationOutcome* outcome);
  void set_next_due(const std::string& name, int64_t due_ms);
  // A run another worker kept, when it is newer than the outcome this board holds.
  void observe(const ReconciliationOutcome& outcome);

 private:
  const std::vector<ReconciliationInfo> configured_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool open_ = false;
  std::string running_;
  int64_t running_since_ms_ = 0;
  std::deque<std::string> asked_;
  std::map<std::string, int64_t> next_due_;
  std::map<std::string, ReconciliationOutcome> outcomes_;
};

}  // namespace synchub::runtime
