#include "runtime/flow_runner.hpp"

#include <cstdio>
#include <map>
#include <set>
#include <unordered_map>

#include "mapping/record.hpp"
#include "runtime/log.hpp"
#include "runtime/sqlite.hpp"

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
      "transient failure, backing off: " + error);
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
  if (settling_) return false;
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
  if (!settling_) return;
  Settling s = std::move(*settling_);
  settling_.reset();
  sink_->settle();  // throws when the batch did not land: the caller rewinds and it is redone
  state_store_.commit_flow_batch(s.commit);
  for (auto outcome : s.outcomes) count(outcome);
  if (s.positions) consumer_->commit(*s.positions);
}

bool FlowRunner::run_once(Clock::time_point now) {
  // Not reading now: the consumer stays in its group without fetching.
  if (paused_ || (state_ == FlowState::BackingOff && now < next_attempt_)) {
    settle();
    consumer_->idle();
    return false;
  }
  requested_wait_ = {};
  if (run_.started_ms == 0) {
    run_.started_ms = now_ms();
    run_started_ = now;
  } else if (now - run_started_ > std::chrono::seconds(60)) {
    finish_run();  // long runs are recorded in one-minute slices
    run_.started_ms = now_ms();
    run_started_ = now;
  }

  // Dead letters asked to be replayed go first; those of a batch still settling are marked
  // replayed only when it settles, so it settles before they are asked for again.
  if (settling_ && settling_->replay) settle();
  auto replays = state_store_.replay_requests(options_.name, static_cast<int>(options_.batch_size));
  if (!replays.empty()) {
    std::vector<Item> items(replays.size());
    for (size_t i = 0; i < replays.size(); ++i) {
      items[i].key = replays[i].key;
      items[i].input = std::move(replays[i].input);
      items[i].origin = "replay-" + padded(replays[i].id);
      items[i].dead_letter_id = replays[i].id;
    }
    if (process(items, true)) {
      failures_ = 0;
      local_failures_ = 0;
      configuration_error_ = false;
      last_success_ms_ = now_ms();
      state_ = FlowState::Running;
    } else {
      back_off(now, requested_wait_, run_.error);
    }
    return true;
  }

  std::vector<Event> events = consumer_->poll(options_.batch_size);
  if (events.empty()) {
    settle();
    local_failures_ = 0;
    if (run_.read > 0 || run_.dead_lettered > 0) finish_run();
    run_.started_ms = 0;
    state_ = FlowState::Idle;
    return false;
  }
  // One sink batch per partition: after a restart a partition's batch starts
  // at the same committed offset, so a repeated push gets the same batch id
  // whatever the other partitions hold.
  // A batch polled again after a transient failure: only what has no final outcome yet goes on.
  std::map<int32_t, std::vector<Item>> by_partition;
  for (auto& e : events) {
    Item item;
    item.origin = "p" + std::to_string(e.partition) + "-" + padded(e.offset);
    if (retry_final_.count(item.origin)) continue;
    if (retry_read_.insert(item.origin).second) ++run_.read;
    item.key = std::move(e.key);
    item.input = std::move(e.value);
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
  if (all_done) configuration_error_ = false;
  if (!all_done) {
    consumer_->rewind();  // redo what failed transiently; the rest of the batch is final
    // An attempt that settled some records made progress: the wait starts again from the first
    // step (a target failing one request in five would otherwise push a large batch's wait to
    // minutes while most of it lands), and attempts are counted again for what is left.
    if (retry_final_.size() > final_before) failures_ = 0;
    back_off(now, requested_wait_, run_.error);
    return true;
  }
  retry_read_.clear();
  retry_final_.clear();
  if (settling_)
    settling_->positions = positions_after(events);
  else
    consumer_->commit(positions_after(events));
  failures_ = 0;
  last_success_ms_ = now_ms();
  state_ = FlowState::Running;
  return true;
}

std::unordered_map<std::string, WriteProgress>& FlowRunner::progress() {
  if (!progress_) {
    progress_.emplace();
    for (auto& p : state_store_.write_progress(options_.name)) progress_->emplace(p.key, std::move(p));
  }
  return *progress_;
}

// A write that failed part-way keeps where it got to (a dead letter too: its replay resumes);
// one that landed clears it.
void FlowRunner::note_progress(const Item& item, const connectors::SinkResult& result, FlowBatchCommit& commit) {
  auto& known = progress();
  if (result.outcome != Outcome::Failed) {
    if (known.erase(item.key)) commit.progress_done.push_back(item.key);
    return;
  }
  if (result.target_id.empty() && result.resume.empty()) return;
  WriteProgress p{item.key, item.hash, result.target_id, result.resume};
  commit.progress.push_back(p);
  known[item.key] = std::move(p);
}

// The previous batch, if its sink write is still under way, settles once this one is mapped:
// reading and mapping overlap that write, and the ledger lookup below sees its entries.
bool FlowRunner::process(std::vector<Item>& items, bool replay) {
  FlowBatchCommit commit;
  commit.flow = options_.name;
  const std::string version = mapper_->version();
  auto dead_letter = [&](Item& item, DeadLetterStage stage, const std::string& error) {
    item.outcome = Outcome::Failed;
    last_error_ = error;
    last_error_ms_ = now_ms();
    log_warn("flow",
             {{"flow", options_.name},
              {"stream", options_.sink_name},
              {"key", item.key},
              {"outcome", "dead-lettered"},
              {"stage", stage_name(stage)}},
             error);
    if (replay) {
      DeadLetter d;
      d.id = item.dead_letter_id;
      d.error = error;
      d.mapping_version = version;
      commit.replay_failed.push_back(std::move(d));
    } else {
      commit.dead_letters.push_back({0, options_.name, stage, item.key, item.input, error, version,
                                     options_.topic + "/" + item.origin, "pending", 1, 0, 0});
    }
    ++run_.dead_lettered;
  };

  // Map, then look up what the target already has.
  bool retry = false;
  only_waited_ = true;  // until something is attempted and fails
  const bool give_up = options_.max_attempts > 0 && failures_ + 1 >= options_.max_attempts;
  bool masters_checked = false, masters_pending = false;  // asked once per batch, when needed
  auto give_up_waiting = [&] {
    if (!give_up) return false;
    if (!masters_checked && masters_pending_) masters_pending = masters_pending_();
    masters_checked = true;
    return !masters_pending;
  };
  auto gave_up = [&](const std::string& error) {
    return "gave up after " + std::to_string(failures_ + 1) + " attempts: " + error;
  };
  std::vector<std::string_view> keys;
  std::vector<Item*> mapped;
  std::set<std::string> waiting;  // keys held back: a later change of the same key must not overtake
  for (auto& item : items) {
    if (!waiting.empty() && waiting.count(item.key)) {
      item.transient = true;
      continue;
    }
    mapping::MapResult m = mapper_->map(item.key, item.input);
    if (!m.ok && m.retry && !give_up_waiting()) {
      // A cross-reference is missing: its master data may still be on the
      // way (another flow). Retried with the batch, like a transient failure.
      retry = true;
      item.transient = true;
      only_waited_ = false;
      run_.error = m.error;
      waiting.insert(item.key);
      continue;
    }
    if (!m.ok) {
      dead_letter(item, DeadLetterStage::Mapping, m.retry ? gave_up(m.error) : m.error);
      continue;
    }
    if (m.skip) {
      ++run_.skipped;
      item.outcome = Outcome::Unchanged;
      if (replay) commit.replayed.push_back(item.dead_letter_id);
      continue;
    }
    item.output = std::move(m.output);
    if (!m.key.empty()) item.key = std::move(m.key);  // the mapping names the idempotency key
    item.hash = mapping::content_hash(item.output);
    keys.push_back(item.key);
    mapped.push_back(&item);
  }
  settle();
  auto ledger = state_store_.ledger(options_.name, keys);
  std::unordered_map<std::string_view, const Item*> earlier;  // same key earlier in this batch
  connectors::Batch batch;
  batch.flow = options_.name;
  std::vector<Item*> pushed;
  for (size_t i = 0; i < mapped.size(); ++i) {
    Item& item = *mapped[i];
    auto seen = earlier.find(item.key);
    const std::string* known_hash = nullptr;
    if (seen != earlier.end()) {
      known_hash = &seen->second->hash;
      item.known_to_target = true;
      item.target_id = seen->second->target_id;
    } else if (ledger[i]) {
      known_hash = &ledger[i]->content_hash;
      item.known_to_target = true;
      item.target_id = ledger[i]->target_id;
    }
    if (auto p = progress().find(item.key); p != progress().end() && seen == earlier.end()) {
      // Written part-way by an earlier attempt: the target has it (under that id) whatever the ledger
      // says, and the same content goes on where that attempt stopped.
      known_hash = nullptr;
      item.known_to_target = true;
      if (!p->second.target_id.empty()) item.target_id = p->second.target_id;
      if (p->second.content_hash == item.hash) item.resume = p->second.resume;
    }
    earlier[item.key] = &item;
    if (known_hash && *known_hash == item.hash) {
      item.outcome = Outcome::Unchanged;
      log_debug("flow", {{"flow", options_.name}, {"key", item.key}, {"outcome", "unchanged"}}, "skipped");
      if (replay) commit.replayed.push_back(item.dead_letter_id);
      continue;
    }
    if (batch.records.empty()) batch.id = item.origin;  // deterministic: first record pushed
    batch.records.push_back({item.key, item.output, item.target_id, item.known_to_target, item.resume});
    pushed.push_back(&item);
  }

  if (!batch.records.empty()) {
    const auto started = Clock::now();
    std::vector<connectors::SinkResult> results;
    try {
      results = sink_->push(batch);
    } catch (...) {
      sink_writes_.observe(std::chrono::duration<double>(Clock::now() - started).count());
      throw;
    }
    sink_writes_.observe(std::chrono::duration<double>(Clock::now() - started).count());
    if (results.size() != batch.records.size())
      throw std::logic_error("sink returned " + std::to_string(results.size()) + " results for " +
                             std::to_string(batch.records.size()) + " records");
    const int64_t now = now_ms();
    for (size_t i = 0; i < pushed.size(); ++i) {
      Item& item = *pushed[i];
      auto& r = results[i];
      note_progress(item, r, commit);
      if (r.failure == Failure::Configuration) {
        // Nothing can land until the config or the target is fixed: the records stay on the bus.
        retry = true;
        item.transient = true;
        only_waited_ = false;
        configuration_error_ = true;
        run_.error = r.error;
        continue;
      }
      if (r.outcome == Outcome::Failed) {
        if (r.failure == Failure::Transient && (!give_up || !r.attempted)) {
          retry = true;
          item.transient = true;
          only_waited_ = only_waited_ && !r.attempted;
          requested_wait_ = std::max(requested_wait_, r.retry_after);
          run_.error = r.error;
          continue;
        }
        std::string error = r.failure == Failure::Transient ? gave_up(r.error) : r.error;
        dead_letter(item, DeadLetterStage::Sink, error);
        continue;
      }
      item.outcome = r.outcome;
      item.target_id = r.target_id;
      commit.ledger.push_back({item.key, r.target_id, std::move(item.hash), version, now});  // hash: last use
      if (!options_.xref_entity.empty() && !r.target_id.empty())
        commit.xrefs.push_back({options_.xref_entity, options_.xref_from, item.key, options_.xref_to, r.target_id});
      if (replay) commit.replayed.push_back(item.dead_letter_id);
      log_debug("flow",
                {{"flow", options_.name},
                 {"stream", options_.sink_name},
                 {"key", item.key},
                 {"outcome", connectors::outcome_name(r.outcome)},
                 {"target_id", r.target_id}},
                "delivered");
    }
  }
  std::vector<Outcome> outcomes;
  for (const auto& item : items)
    if (!item.transient) outcomes.push_back(item.outcome);  // a transient failure is counted when it settles
  if (sink_->in_flight()) {
    settling_ = Settling{std::move(commit), std::move(outcomes), std::nullopt, replay};
    return !retry;
  }
  state_store_.commit_flow_batch(commit);
  for (auto outcome : outcomes) count(outcome);
  return !retry;
}

}  // namespace synchub::runtime
