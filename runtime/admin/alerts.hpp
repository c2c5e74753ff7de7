// Alerts: when a flow keeps failing, falls behind, or collects dead letters, a
// source keeps failing (its system down: nothing is read), or
// a reconciliation the hub ran finds differences or fails, post a message to a
// webhook (synchub's JSON, or a DingTalk / WeCom / Feishu group robot), then
// one reminder per `repeat` at most, and one message when it recovers (a clean
// run, for a reconciliation). AlertRules decides (pure, testable with any
// clock); AlertMonitor watches the admin board and the reconciliation board on
// a thread of its own and delivers, retrying a receiver that is down with
// back-off without losing a message.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "runtime/admin/admin_board.hpp"
#include "runtime/admin/reconciliation_board.hpp"
#include "runtime/state/state_store.hpp"

namespace synchub::http {
class HttpClient;
}
namespace synchub::config {
class Settings;
}

namespace synchub::runtime {

struct AlertOptions {
  // From the validated `alerts` section and the hub's name (shown in every message).
  static AlertOptions from(const config::Settings& alerts, const config::Settings& hub);
  std::string hub_name;
  // hub.worker_id when set: with several workers sharing a state, each alerts on its own flows
  // and sources, and its messages say which worker sends them.
  std::string worker;
  std::string url, format = "generic", secret;  // receiver
  std::chrono::milliseconds timeout{10000};
  std::chrono::milliseconds failing_for{0}, lag_age{0}, repeat{0}, check_every{15000};  // 0: off
  int64_t lag_events = 0, dead_letters = 0;                                             // 0: off
};

struct AlertEvent {
  std::string flow;       // "" for a reconciliation's or a source's
  std::string condition;  // flow_failing | lag_events | lag_age | dead_letters | source_failing | reconciliation
  std::string status;     // firing | resolved
  std::string summary;    // one line for people
  int64_t at_ms = 0;
  int64_t since_ms = 0;        // when the condition started
  std::string reconciliation;  // the reconciliation condition's, instead of a flow
  int64_t run_id = 0;          // the reconciliation's run that fired or resolved it
  std::string source;          // the source_failing condition's stream (connector.stream)
};

class AlertRules {
 public:
  explicit AlertRules(AlertOptions options) : options_(std::move(options)) {}
  // What to send now, given each flow's state and its pending dead letters.
  std::vector<AlertEvent> evaluate(const std::vector<FlowStatus>& flows,
                                   const std::map<std::string, int64_t>& dead_letters, int64_t now_ms);
  // What to send now, given the latest run of each reconciliation the hub ran: one condition
  // per reconciliation, true while its latest run found differences or failed.
  std::vector<AlertEvent> evaluate(const std::vector<ReconciliationOutcome>& reconciliations, int64_t now_ms);
  // What to send now, given each source's state: a source whose polls keep failing alerts once it
  // has failed for `failing_for` (as a flow does), and recovers at its first good poll.
  std::vector<AlertEvent> evaluate(const std::vector<SourceStatus>& sources, int64_t now_ms);

 private:
  struct Condition {
    int64_t since_ms = 0;      // true since (0: false)
    bool firing = false;       // an alert went out and no recovery yet
    int64_t last_sent_ms = 0;  // firing or reminder
  };
  enum class Step { None, Fire, Remind, Resolve };
  struct Stepped {
    Step step = Step::None;
    int64_t since_ms = 0;  // when the condition became true
  };
  // A condition that is `on` (or not) now: updates it and says what to send. `delay_ms`: how
  // long it must hold before the first alert.
  Stepped step(Condition& c, bool on, int64_t delay_ms, int64_t now);

  AlertOptions options_;
  std::map<std::pair<std::string, std::string>, Condition> conditions_;
};

// The request body (and URL, for DingTalk's signature) of one alert for the
// configured receiver format.
struct AlertPost {
  std::string url;
  std::string body;
};
AlertPost alert_post(const AlertOptions& options, const AlertEvent& event, int64_t now_ms);

class AlertMonitor {
 public:
  // `reconciliations`: the hub's reconciliation runs (null: none are watched).
  AlertMonitor(AlertOptions options, const AdminBoard& board, std::unique_ptr<StateStore> state,
               const ReconciliationBoard* reconciliations = nullptr);
  ~AlertMonitor();  // stops the thread (messages not yet delivered are logged as lost)

 private:
  void loop();
  struct Delivery {
    bool delivered = false;
    bool permanent = false;                  // refused (4xx): retrying soon will not help
    std::chrono::milliseconds asked_wait{};  // the receiver's Retry-After
  };
  Delivery deliver(const AlertEvent& event);

  AlertOptions options_;
  const AdminBoard& board_;
  const ReconciliationBoard* reconciliations_;
  std::unique_ptr<StateStore> state_;
  AlertRules rules_;
  std::unique_ptr<http::HttpClient> client_;  // used by the monitor thread only
  std::deque<AlertEvent> outbox_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace synchub::runtime
