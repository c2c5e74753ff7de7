// A flow: consume a topic -> map -> ledger check -> sink push in batches ->
// ledger + dead letters -> commit offsets. Each record lands once: the bus
// delivers at least once, the ledger skips what the target already has, and
// a sink sees the same batch id when a batch is repeated after a crash.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "connectors/connector.hpp"
#include "mapping/mapper.hpp"
#include "runtime/admin/admin_board.hpp"
#include "runtime/backoff.hpp"
#include "runtime/bus/bus.hpp"
#include "runtime/in_flight.hpp"
#include "runtime/state/state_store.hpp"

namespace synchub::runtime {

using Clock = std::chrono::steady_clock;

struct FlowOptions {
  static FlowOptions from(const config::HubConfig& config, const config::FlowConfig& flow);  // flow_options.cpp
  std::string name;
  std::string topic;
  std::string sink_name;  // "connector.stream", for logs
  size_t batch_size = 500;
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{300000};
  int max_attempts = 0;  // transport failures: 0 = wait for the target until it answers
  // A record whose cross-reference is missing once no master-data flow has work left: its
  // customer (say) is not coming, so it is dead-lettered after this many attempts (0 = never).
  int reference_attempts = 10;
  // Cross-reference filled from the sink's ids: (xref_from, key) = (xref_to, target id).
  std::string xref_entity, xref_from, xref_to;
  // The source record's fields that name a document of another flow (`lineage:`): field, flow.
  std::vector<std::pair<std::string, std::string>> lineage;
};

enum class FlowState { Idle, Running, BackingOff };
const char* flow_state_name(FlowState state);

class FlowRunner {
 public:
  FlowRunner(FlowOptions options, Bus& bus, StateStore& state, std::unique_ptr<connectors::SinkStream> sink,
             std::shared_ptr<const mapping::Mapper> mapper);

  // Handles one batch (dead-letter replays first) when the flow is due.
  // Returns true when it did work.
  bool run_once(Clock::time_point now);
  // Nothing left to do now: topic consumed, no replay waiting, not backing off.
  bool caught_up();
  // An unexpected error in run_once (e.g. the state store is unreachable):
  // redo the batch later.
  void failed(Clock::time_point now, const std::string& error);
  // Writes the run in progress to the run history.
  void finish_run();
  // Completes the batch the sink is still writing (see SinkStream::in_flight): waits for it,
  // then records it in the ledger and commits its offsets. Throws when it did not land.
  void settle();

  const std::string& name() const { return options_.name; }
  // Flows whose cross-references this flow's mapping may wait for: while `pending` says some of
  // them still have work, a record waiting for a cross-reference waits without using up its
  // attempts (retry.max_attempts counts only once the master data has all been written).
  void wait_for_masters(std::function<bool()> pending) { masters_pending_ = std::move(pending); }
  // Whether this flow fills a cross-reference (`xref:`): others may wait for it.
  bool fills_xref() const { return !options_.xref_entity.empty(); }
  // Paused flows consume nothing until resumed (admin API).
  void pause() { paused_ = true; }
  void resume() { paused_ = false; }
  bool paused() const { return paused_; }
  // An operator's "try now": a flow backing off retries at its next turn.
  void retry_now() { next_attempt_ = {}; }
  // For the admin API: state, lag, counts since start, last success and error.
  FlowStatus status();
  FlowState state() const { return state_; }
  // The last attempt failed on the configuration (see connectors::Failure::Configuration):
  // retrying cannot help until someone fixes it.
  bool configuration_error() const { return configuration_error_; }
  // Non-empty when waiting cannot help: the configuration is wrong (kStuckAttempts attempts), or
  // this worker's own side (bus, state store, output folder) failed kStuckAttempts times in a row
  // (failed()). run --once stops on it.
  std::string stuck() const;
  static constexpr int kStuckAttempts = 5;
  const RunRecord& current_run() const { return run_; }

 private:
  struct Item {  // one record going through the batch
    std::string key;
    std::string input;
    std::string output;
    std::string hash;
    std::string origin;
    int64_t dead_letter_id = 0;  // for replays
    connectors::Outcome outcome = connectors::Outcome::Failed;
    bool transient = false;  // failed, to be retried
    bool known_to_target = false;
    std::string target_id;
    std::string resume;  // where an earlier attempt at this content stopped (WriteProgress)
    // Lineage: the event's key when the mapping named another (then in `key`), where the source
    // read it, when it was published.
    std::string source_key;
    std::string position;
    int64_t event_ms = 0;
  };
  // Reading (flow_runner.cpp): what to work on next, and what is done with a polled batch.
  bool rest();                            // not due: settle, stay in the group idle
  bool went_idle();                       // nothing to read: settle, close the run
  void slice_run(Clock::time_point now);  // long runs are recorded in slices
  std::vector<Item> take_replays();       // dead letters asked to be replayed
  void after_replays(Clock::time_point now, bool done);
  void deliver_polled(Clock::time_point now, std::vector<Event>& events);
  // One batch attempt (flow_batch.cpp), stage by stage: map, drop what the target has, deliver,
  // record. Returns false when the batch must be retried later (a transient failure).
  struct Attempt;
  bool process(std::vector<Item>& items, bool replay);
  std::vector<Item*> map_items(std::vector<Item>& items, Attempt& attempt);
  std::vector<Item*> drop_unchanged(const std::vector<Item*>& mapped, Attempt& attempt);
  void deliver(const std::vector<Item*>& items, Attempt& attempt);
  void record(Item& item, const connectors::SinkResult& result, int64_t now, Attempt& attempt);
  bool record_attempt(const std::vector<Item>& items, Attempt& attempt);
  void dead_letter(Item& item, DeadLetterStage stage, const std::string& error, Attempt& attempt);
  std::string gave_up(const std::string& error) const;
  // What happened to `item` in this attempt, for the lineage history (one row, committed with it).
  void trace(const Item& item, LineageKind kind, Attempt& attempt, std::string_view outcome = {},
             const std::string& error = {});
  void back_off(Clock::time_point now, std::chrono::milliseconds requested, const std::string& error);
  void count(connectors::Outcome outcome);
  // The writes left part-way, loaded from the state store at the first batch.
  std::unordered_map<std::string, WriteProgress>& progress();
  // Records what a push left behind for `item` (progress kept, cleared, or none) in `commit`.
  void note_progress(const Item& item, const connectors::SinkResult& result, FlowBatchCommit& commit);

  FlowOptions options_;
  StateStore& state_store_;
  std::unique_ptr<Consumer> consumer_;
  std::unique_ptr<connectors::SinkStream> sink_;
  std::shared_ptr<const mapping::Mapper> mapper_;
  Backoff backoff_;
  FlowState state_ = FlowState::Idle;
  Clock::time_point next_attempt_{};
  int failures_ = 0;
  int64_t retries_ = 0;  // since start
  DurationHistogram sink_writes_;
  bool paused_ = false;
  bool configuration_error_ = false;
  int local_failures_ = 0;    // failed() in a row
  bool only_waited_ = false;  // the last batch's failures were all "not sent: asked to wait"
  std::function<bool()> masters_pending_;
  std::optional<std::unordered_map<std::string, WriteProgress>> progress_;
  RunRecord totals_;  // finished runs, added up
  int64_t last_success_ms_ = 0, last_error_ms_ = 0;
  std::string last_error_;
  std::chrono::milliseconds requested_wait_{0};  // longest Retry-After of the last batch
  // While a batch is retried (its events polled again from the same offsets): the events already
  // read (counted once), and those whose outcome is final (delivered or dead-lettered: not mapped,
  // pushed or dead-lettered again). Cleared when the batch's offsets are committed.
  std::unordered_set<std::string> retry_read_, retry_final_;
  RunRecord run_;
  Clock::time_point run_started_{};
  // What a batch the sink finishes in the background records once it has (see InFlight).
  struct DeliveredBatch {
    FlowBatchCommit commit;
    std::vector<connectors::Outcome> outcomes;
    std::optional<Positions> positions;  // the consumer's, when this batch ends a poll
    bool replay = false;                 // dead letters replayed: their status changes with it
  };
  InFlight<DeliveredBatch> in_flight_;
  void commit(const DeliveredBatch& batch);
};

}  // namespace synchub::runtime
