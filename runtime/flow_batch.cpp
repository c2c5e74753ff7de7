// One batch of a flow (FlowRunner::process): map each record, skip what the target already has
// (the ledger; writes left part-way go on where they stopped), push the rest, then record each
// outcome: the ledger and cross-references for what landed, dead letters for what cannot, and
// a retry for what failed transiently; and, for each, a row of lineage history.
#include <set>
#include <unordered_map>

#include "mapping/record.hpp"
#include "runtime/base/clock.hpp"
#include "runtime/base/log.hpp"
#include "runtime/flow_runner.hpp"

namespace synchub::runtime {

using connectors::Failure;
using connectors::Outcome;

// What one batch attempt changes, committed at its end.
struct FlowRunner::Attempt {
  FlowBatchCommit commit;
  std::string version;                  // of the mapping
  bool replay = false;                  // dead letters replayed
  bool give_up = false;                 // the last attempt retry.max_attempts allows (transport)
  bool give_up_reference = false;       // the last retry.reference_attempts allows
  bool retry = false;                   // something failed transiently: the batch is tried again
  std::optional<bool> masters_pending;  // asked once per batch, when needed
};

bool FlowRunner::process(std::vector<Item>& items, bool replay) {
  Attempt a;
  a.commit.flow = options_.name;
  a.version = mapper_->version();
  a.replay = replay;
  a.give_up = options_.max_attempts > 0 && failures_ + 1 >= options_.max_attempts;
  a.give_up_reference = options_.reference_attempts > 0 && failures_ + 1 >= options_.reference_attempts;
  only_waited_ = true;  // until something is attempted and fails
  std::vector<Item*> mapped = map_items(items, a);
  // The previous batch, if the sink still finishes it, settles now: its write overlapped this
  // batch's reading and mapping, and the ledger lookup below sees its entries.
  settle();
  deliver(drop_unchanged(mapped, a), a);
  return record_attempt(items, a);
}

// The attempt's outcomes are committed now, or once the sink has finished the batch. A record
// that failed transiently is counted when its retry settles.
bool FlowRunner::record_attempt(const std::vector<Item>& items, Attempt& a) {
  DeliveredBatch batch{std::move(a.commit), {}, std::nullopt, a.replay};
  for (const auto& item : items)
    if (!item.transient) batch.outcomes.push_back(item.outcome);
  if (sink_->in_flight())
    in_flight_.start([this] { sink_->settle(); }, std::move(batch));
  else
    commit(batch);
  return !a.retry;
}

std::vector<FlowRunner::Item*> FlowRunner::map_items(std::vector<Item>& items, Attempt& a) {
  // A record waiting for a cross-reference gives up only once no master data is on its way.
  auto give_up_waiting = [&] {
    if (!a.give_up_reference) return false;
    if (!a.masters_pending) a.masters_pending = masters_pending_ && masters_pending_();
    return !*a.masters_pending;
  };
  std::vector<Item*> mapped;
  std::set<std::string> waiting;  // keys held back: a later change of the same key must not overtake
  for (auto& item : items) {
    if (!waiting.empty() && waiting.count(item.key)) {
      item.transient = true;
      continue;
    }
    mapping::MapResult m = mapper_->map(item.key, item.input);
    if (m.status == mapping::MapStatus::MissingReference && !give_up_waiting()) {
      // A cross-reference is missing: its master data may still be on the
      // way (another flow). Retried with the batch, like a transient failure.
      a.retry = true;
      item.transient = true;
      only_waited_ = false;
      run_.error = m.error;
      waiting.insert(item.key);
      trace(item, LineageKind::Failed, a, {}, m.error);
      continue;
    }
    if (m.status == mapping::MapStatus::Failed || m.status == mapping::MapStatus::MissingReference) {
      const bool waited = m.status == mapping::MapStatus::MissingReference;
      dead_letter(item, DeadLetterStage::Mapping, waited ? gave_up(m.error) : m.error, a);
      continue;
    }
    if (m.status == mapping::MapStatus::Skipped) {
      ++run_.skipped;
      item.outcome = Outcome::Unchanged;
      if (a.replay) a.commit.replayed.push_back(item.dead_letter_id);
      trace(item, a.replay ? LineageKind::Replayed : LineageKind::Skipped, a, "skipped");
      continue;
    }
    item.output = std::move(m.output);
    if (!m.key.empty() && m.key != item.key) {  // the mapping names the idempotency key
      item.source_key = std::move(item.key);
      item.key = std::move(m.key);
    }
    item.hash = mapping::content_hash(item.output);
    mapped.push_back(&item);
  }
  return mapped;
}

// What the target does not have yet: the mapped records the ledger (or an earlier record of the
// same key in this batch) does not know with this content.
std::vector<FlowRunner::Item*> FlowRunner::drop_unchanged(const std::vector<Item*>& mapped, Attempt& a) {
  std::vector<std::string_view> keys;
  for (const Item* item : mapped) keys.push_back(item->key);
  auto ledger = state_store_.ledger(options_.name, keys);
  std::unordered_map<std::string_view, const Item*> earlier;  // same key earlier in this batch
  std::vector<Item*> changed;
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
      if (a.replay) a.commit.replayed.push_back(item.dead_letter_id);
      trace(item, a.replay ? LineageKind::Replayed : LineageKind::Unchanged, a, "unchanged");
      continue;
    }
    changed.push_back(&item);
  }
  return changed;
}

// Pushes the batch to the sink and records what became of each record.
void FlowRunner::deliver(const std::vector<Item*>& items, Attempt& a) {
  if (items.empty()) return;
  connectors::Batch batch;
  batch.flow = options_.name;
  batch.id = items[0]->origin;  // deterministic: first record pushed
  for (const Item* item : items)
    batch.records.push_back({item->key, item->output, item->target_id, item->known_to_target, item->resume});
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
  for (size_t i = 0; i < items.size(); ++i) record(*items[i], results[i], now, a);
}

void FlowRunner::record(Item& item, const connectors::SinkResult& r, int64_t now, Attempt& a) {
  note_progress(item, r, a.commit);
  if (r.failure() == Failure::Configuration) {
    // Nothing can land until the config or the target is fixed: the records stay on the bus.
    a.retry = true;
    item.transient = true;
    only_waited_ = false;
    configuration_error_ = true;
    run_.error = r.error;
    trace(item, LineageKind::Failed, a, {}, r.error);
    return;
  }
  if (!r.ok()) {
    if (r.failure() == Failure::Transient && (!a.give_up || !r.attempted)) {
      a.retry = true;
      item.transient = true;
      only_waited_ = only_waited_ && !r.attempted;
      requested_wait_ = std::max(requested_wait_, r.retry_after);
      run_.error = r.error;
      if (r.attempted) trace(item, LineageKind::Failed, a, {}, r.error);  // not sent: no attempt
      return;
    }
    dead_letter(item, DeadLetterStage::Sink, r.failure() == Failure::Transient ? gave_up(r.error) : r.error, a);
    return;
  }
  item.outcome = r.outcome();
  item.target_id = r.target_id;
  a.commit.ledger.push_back({item.key, r.target_id, std::move(item.hash), a.version, now});  // hash: last use
  if (!options_.xref_entity.empty() && !r.target_id.empty())
    a.commit.xrefs.push_back({options_.xref_entity, options_.xref_from, item.key, options_.xref_to, r.target_id});
  if (a.replay) a.commit.replayed.push_back(item.dead_letter_id);
  trace(item, a.replay ? LineageKind::Replayed : LineageKind::Written, a, connectors::outcome_name(r.outcome()));
  log_debug("flow",
            {{"flow", options_.name},
             {"stream", options_.sink_name},
             {"key", item.key},
             {"outcome", connectors::outcome_name(r.outcome())},
             {"target_id", r.target_id}},
            "delivered");
}

void FlowRunner::dead_letter(Item& item, DeadLetterStage stage, const std::string& error, Attempt& a) {
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
  trace(item, a.replay ? LineageKind::ReplayFailed : LineageKind::DeadLettered, a, {}, error);
  if (a.replay) {
    DeadLetter d;
    d.id = item.dead_letter_id;
    d.error = error;
    d.mapping_version = a.version;
    a.commit.replay_failed.push_back(std::move(d));
  } else {
    a.commit.dead_letters.push_back({0, options_.name, stage, item.key, item.input, error, a.version,
                                     options_.topic + "/" + item.origin, "pending", 1, 0, 0});
  }
  ++run_.dead_lettered;
}

std::string FlowRunner::gave_up(const std::string& error) const {
  return "gave up after " + std::to_string(failures_ + 1) + " attempts: " + error;
}

// Rows go with the attempt's commit: the history says exactly what the ledger and the dead letters
// do. An outcome that is final also records the documents of other flows the source record names
// (the flow's `lineage:` fields), so that a trace finds what a document led to without reading logs.
void FlowRunner::trace(const Item& item, LineageKind kind, Attempt& a, std::string_view outcome,
                       const std::string& error) {
  LineageEvent e;
  e.time_ms = now_ms();
  e.key = item.source_key.empty() ? item.key : item.source_key;
  if (!item.source_key.empty()) e.target_key = item.key;
  e.kind = kind;
  e.origin = item.dead_letter_id ? item.origin : options_.topic + "/" + item.origin;
  e.event_ms = item.event_ms;
  e.position = item.position;
  e.mapping_version = a.version;
  e.outcome = outcome;
  e.target_id = item.target_id;
  e.error = error;
  e.attempt = failures_ + 1;
  if (kind != LineageKind::Failed)
    for (const auto& [field, upstream] : options_.lineage) {
      std::string ref;
      if (mapping::check_record(item.input, field, ref).empty() && !ref.empty())
        a.commit.lineage_links.push_back({options_.name, e.key, upstream, std::move(ref), e.time_ms});
    }
  a.commit.lineage.push_back(std::move(e));
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
  if (result.ok()) {
    if (known.erase(item.key)) commit.progress_done.push_back(item.key);
    return;
  }
  if (result.target_id.empty() && result.resume.empty()) return;
  WriteProgress p{item.key, item.hash, result.target_id, result.resume};
  commit.progress.push_back(p);
  known[item.key] = std::move(p);
}

}  // namespace synchub::runtime
