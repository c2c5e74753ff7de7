#include "runtime/flow_runner.hpp"

#include <cstdio>
#include <map>
#include <unordered_map>

#include "runtime/base/clock.hpp"
#include "runtime/base/log.hpp"

namespace synchub::runtime {

using connectors::Failure;
using connectors::Outcome;

const char* flow_state_name(FlowState state) {
  switch (state) {
    case FlowState::Idle: return "idle";
    case FlowState::Running: return "running";
    case FlowState::BackingOff: return "backing-off";
  }
  return "idle";
}

// Where the source read the event's record (its cursor header), for the lineage history; "" when
// the event has none, or its headers cannot be read (the record is delivered all the same).
static std::string source_position(const Event& e) {
  try {
    if (auto cursor = e.header(kCursorHeader)) return *cursor;
    return e.header(kLegacyCursorHeader).value_or("");
  } catch (const std::exception&) {
    return {};
  }
}

static std::string padded(int64_t n) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%012lld", static_cast<long long>(n));
  return buf;
}

FlowRunner::FlowRunner(FlowOptions options, Bus& bus, StateStore& state, std::unique_ptr<connectors::SinkStream> sink,
                       std::shared_ptr<const mapping::Mapper> mapper)
    : options_(std::move(options)),
      state_store_(state),
      consumer_(bus.subscribe("synchub." + options_.name, options_.topic)),
      sink_(std::move(sink)),
      mapper_(std::move(mapper)),
      backoff_(options_.initial_backoff, options_.max_backoff) {
  run_.flow = options_.name;
}

void FlowRunner::count(Outcome outcome) {
  switch (outcome) {
    case Outcome::Created: ++run_.created; break;
    case Outcome::Updated: ++run_.updated; break;
    case Outcome::Unchanged: ++run_.unchanged; break;
    case Outcome::Failed: ++run_.failed; break;
  }
}

void FlowRunner::back_off(Clock::time_point now, std::chrono::milliseconds requested, const std::string& error) {
  // Nothing was attempted (the target had asked every caller to wait): no failure, just its pace.
  const bool only_waited = only_waited_ && requested.count() > 0;
  only_waited_ = false;
  if (!only_waited) ++failures_;
  ++retries_;
  auto wait = only_waited ? requested : backoff_.next(failures_, requested);
  // Counted from now, not from the start of the attempt: a Retry-After runs
  // from when the target said it.
  next_attempt_ = std::max(now, Clock::now()) + wait;
  state_ = FlowState::BackingOff;
  run_.error = error;
  last_error_ = error;
  last_error_ms_ = now_ms();
  log_warn(
      "flow",
      {{"flow", options_.name}, {"attempt", std::to_string(failures_)}, {"retry_in_ms", std::to_string(wait.count())}},
      std::string(configuration_error_ ? "configuration error (fix the config or the target), backing off: "
                                       : "transient failure, backing off: ") +
          error);
}

std::string FlowRunner::stuck() const {
  if (local_failures_ >= kStuckAttempts || (configuration_error_ && failures_ >= kStuckAttempts))
    return "flow " + options_.name + ": " + last_error_;
  return {};
}

void FlowRunner::failed(Clock::time_point now, const std::string& error) {
  ++local_failures_;
  retry_final_.clear();  // a write that did not land after all: the whole batch is redone
  try {
    consumer_->rewind();
  } catch (const std::exception&) {  // the bus itself failed: the next attempt rewinds again
  }
  back_off(now, {}, error);
}

bool FlowRunner::caught_up() {
  if (in_flight_.active()) return false;
  if (paused_) return true;  // nothing more will happen until resumed
  return state_ != FlowState::BackingOff && consumer_->lag() == 0 &&
         state_store_.replay_requests(options_.name, 1).empty();
}

FlowStatus FlowRunner::status() {
  FlowStatus s;
  s.name = options_.name;
  s.state = paused_                           ? "paused"
            : state_ == FlowState::BackingOff ? (failures_ >= 3 || configuration_error_ ? "failing" : "backing-off")
                                              : flow_state_name(state_);
  s.lag_events = consumer_->lag();
  s.oldest_pending_ms = s.lag_events > 0 ? consumer_->oldest_pending_ms() : 0;
  RunRecord sum = totals_;
  add_counts(sum, run_);
  s.read = sum.read;
  s.created = sum.created;
  s.updated = sum.updated;
  s.unchanged = sum.unchanged;
  s.skipped = sum.skipped;
  s.failed = sum.failed;
  s.dead_lettered = sum.dead_lettered;
  s.last_success_ms = last_success_ms_;
  s.last_error = last_error_;
  s.last_error_ms = last_error_ms_;
  s.attempt = failures_;
  s.retries = retries_;
  s.sink_writes = sink_writes_;
  if (state_ == FlowState::BackingOff)
    s.next_attempt_ms =
        now_ms() + std::chrono::duration_cast<std::chrono::milliseconds>(next_attempt_ - Clock::now()).count();
  return s;
}

void FlowRunner::finish_run() {
  if (run_.started_ms == 0) return;
  add_counts(totals_, run_);
  run_.finished_ms = now_ms();
  try {
    state_store_.record_run(run_);
  } catch (const std::exception& e) {
    log_warn("flow", {{"flow", options_.name}}, std::string("cannot record run history: ") + e.what());
  }
  log_info("flow",
           {{"flow", options_.name},
            {"read", std::to_string(run_.read)},
            {"created", std::to_string(run_.created)},
            {"updated", std::to_string(run_.updated)},
            {"unchanged", std::to_string(run_.unchanged)},
            {"dead_lettered", std::to_string(run_.dead_lettered)}},
           "run finished");
  run_ = RunRecord{};
  run_.flow = options_.name;
}

void FlowRunner::settle() {
  in_flight_.settle([this](const DeliveredBatch& batch) { commit(batch); });
}

// A batch's outcomes become durable: ledger, cross-references and dead letters first, then
// (when the batch ended a poll) the consumer's offsets, so a crash between the two repeats the
// batch and the ledger skips what landed.
void FlowRunner::commit(const DeliveredBatch& batch) {
  state_store_.commit_flow_batch(batch.commit);
  for (auto outcome : batch.outcomes) count(outcome);
  if (batch.positions) consumer_->commit(*batch.positions);
}

bool FlowRunner::run_once(Clock::time_point now) {
  if (paused_ || (state_ == FlowState::BackingOff && now < next_attempt_)) return rest();
  requested_wait_ = {};
  slice_run(now);
  if (std::vector<Item> replays = take_replays(); !replays.empty()) {
    after_replays(now, process(replays, true));
    return true;
  }
  std::vector<Event> events = consumer_->poll(options_.batch_size);
  if (events.empty()) return went_idle();
  deliver_polled(now, events);
  return true;
}

// Not reading now: the batch in flight is recorded, and the consumer stays in its group without
// fetching.
bool FlowRunner::rest() {
  settle();
  consumer_->idle();
  return false;
}

bool FlowRunner::went_idle() {
  settle();
  local_failures_ = 0;
  if (run_.read > 0 || run_.dead_lettered > 0) finish_run();
  run_.started_ms = 0;
  state_ = FlowState::Idle;
  return false;
}

void FlowRunner::slice_run(Clock::time_point now) {
  if (run_.started_ms != 0 && now - run_started_ <= std::chrono::seconds(60)) return;
  if (run_.started_ms != 0) finish_run();  // long runs are recorded in one-minute slices
  run_.started_ms = now_ms();
  run_started_ = now;
}

// Dead letters asked to be replayed go first. Those of a batch still in flight are marked
// replayed only when it settles, so it settles before they are asked for again.
std::vector<FlowRunner::Item> FlowRunner::take_replays() {
  if (const DeliveredBatch* batch = in_flight_.record(); batch && batch->replay) settle();
  auto replays = state_store_.replay_requests(options_.name, static_cast<int>(options_.batch_size));
  // A batch still in flight may fold a newer failure into an entry asked for: it settles first, so
  // that the replay takes the entry's newest input (an older one never lands over a newer).
  if (!replays.empty() && in_flight_.record()) {
    settle();
    replays = state_store_.replay_requests(options_.name, static_cast<int>(options_.batch_size));
  }
  std::vector<Item> items(replays.size());
  for (size_t i = 0; i < replays.size(); ++i) {
    items[i].key = replays[i].key;
    items[i].input = std::move(replays[i].input);
    items[i].origin = "replay-" + padded(replays[i].id);
    items[i].dead_letter_id = replays[i].id;
  }
  return items;
}

void FlowRunner::after_replays(Clock::time_point now, bool done) {
  if (!done) {
    back_off(now, requested_wait_, run_.error);
    return;
  }
  failures_ = 0;
  local_failures_ = 0;
  configuration_error_ = false;
  last_success_ms_ = now_ms();
  state_ = FlowState::Running;
}

// One sink batch per partition: after a restart a partition's batch starts at the same committed
// offset, so a repeated push gets the same batch id whatever the other partitions hold. A batch
// polled again after a transient failure: only what has no final outcome yet goes on.
void FlowRunner::deliver_polled(Clock::time_point now, std::vector<Event>& events) {
  std::map<int32_t, std::vector<Item>> by_partition;
  for (auto& e : events) {
    Item item;
    item.origin = "p" + std::to_string(e.partition) + "-" + padded(e.offset);
    if (retry_final_.count(item.origin)) continue;
    if (retry_read_.insert(item.origin).second) ++run_.read;
    item.key = std::move(e.key);
    item.input = std::move(e.value);
    item.position = source_position(e);
    item.event_ms = e.timestamp_ms;
    by_partition[e.partition].push_back(std::move(item));
  }
  const size_t final_before = retry_final_.size();
  bool all_done = true;
  for (auto& [partition, items] : by_partition) {
    all_done = process(items, false) && all_done;
    for (const auto& item : items)
      if (!item.transient) retry_final_.insert(item.origin);
  }
  local_failures_ = 0;  // the bus and the state store did their part
  if (!all_done) {
    consumer_->rewind();  // redo what failed transiently; the rest of the batch is final
    // An attempt that settled some records made progress: the wait starts again from the first
    // step (a target failing one request in five would otherwise push a large batch's wait to
    // minutes while most of it lands), and attempts are counted again for what is left.
    if (retry_final_.size() > final_before) failures_ = 0;
    back_off(now, requested_wait_, run_.error);
    return;
  }
  configuration_error_ = false;
  retry_read_.clear();
  retry_final_.clear();
  // The offsets are committed with the batch's outcomes: now, or once the sink has the batch.
  if (DeliveredBatch* batch = in_flight_.record())
    batch->positions = positions_after(events);
  else
    consumer_->commit(positions_after(events));
  failures_ = 0;
  last_success_ms_ = now_ms();
  state_ = FlowState::Running;
}

}  // namespace synchub::runtime
