#include "runtime/reconcile/reconciler.hpp"

#include <chrono>
#include <map>
#include <thread>

#include "connectors/registry.hpp"
#include "mapping/plan.hpp"
#include "mapping/record.hpp"
#include "runtime/base/clock.hpp"
#include "runtime/bus/bus.hpp"
#include "runtime/reconcile/comparer.hpp"
#include "runtime/reconcile/row_maker.hpp"
#include "runtime/reconcile/spill.hpp"
#include "runtime/state/state_store.hpp"
#include "runtime/state/state_xref.hpp"

namespace synchub::reconcile {

namespace {

constexpr size_t kPage = 2000;
// A group's uncommitted events read for in-flight documents: beyond this the rest are
// counted as differences' reasons unknown (noted), memory stays bounded.
constexpr size_t kMaxPendingEvents = 1000000;
constexpr int kMaxWaits = 30;  // a target that keeps asking to wait fails the run

// Between pages and keys: a hub that stops does not wait for a whole run.
void check_stop(const RunContext& context) {
  if (context.stop && context.stop->load()) throw std::runtime_error(kStopped);
}

// A target's wait, cut short by a stop.
void wait_politely(const RunContext& context, std::chrono::milliseconds wait) {
  const auto until = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < until) {
    check_stop(context);
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        std::chrono::milliseconds(100), until - std::chrono::steady_clock::now()));
  }
}

// Source keys become target keys by the plan's `match`.
class KeyTranslator {
 public:
  KeyTranslator(const ReconcilePlan& plan, runtime::StateStore& state) : plan_(plan), state_(state) {}

  void translate(std::vector<Row>& rows) {
    if (plan_.match == MatchBy::Key) return;
    if (plan_.match == MatchBy::Xref) {
      for (auto& r : rows) {
        auto id = state_.find_xref(plan_.match_entity, plan_.match_from, r.key, plan_.match_to);
        if (id)
          r.key = *id;
        else
          unpair(r, "no cross-reference " + plan_.match_entity + " " + plan_.match_from + " -> " + plan_.match_to);
      }
      return;
    }
    std::vector<std::string_view> keys;
    for (const auto& r : rows) keys.push_back(r.doc);
    auto entries = state_.ledger(plan_.flow, keys);
    for (size_t i = 0; i < rows.size(); ++i) {
      if (entries[i] && !entries[i]->target_id.empty())
        rows[i].key = entries[i]->target_id;
      else
        unpair(rows[i], "never written by flow " + plan_.flow);
    }
  }

 private:
  // Sorted apart from every target key: pairs with nothing.
  static void unpair(Row& row, std::string why) {
    row.unpaired = std::move(why);
    row.key = std::string(1, '\x01') + row.key;
  }
  const ReconcilePlan& plan_;
  runtime::StateStore& state_;
};

// Reads one side whole into the spill; records that cannot be read go to the report.
void read_side(const ReconcilePlan& plan, Side side, RunContext& context, Spill& spill, Comparer& comparer,
               PendingIndex& pending, Report& report) {
  const SidePlan& side_plan = side == Side::Source ? plan.source : plan.target;
  auto reader = context.open_reader(side_plan.stream);
  if (!reader) throw std::runtime_error(side_plan.stream.str() + " cannot be read whole");
  runtime::StateXref xref(context.state);
  RowMaker maker(plan, side, &xref);
  KeyTranslator translator(plan, context.state);
  const auto index = static_cast<size_t>(side);
  // Where the hub stands on the source: what changed after it is on its way.
  const std::string hub_cursor = side == Side::Source ? context.state.cursor(side_plan.stream.str()) : "";
  bool cursor_told = false;
  std::string cursor;
  std::vector<Row> rows;
  int waits = 0;
  while (true) {
    check_stop(context);
    connectors::PullResult page;
    try {
      page = reader->pull(cursor, kPage);
    } catch (const connectors::TargetAsksToWait& wait) {
      if (++waits > kMaxWaits) throw;
      wait_politely(context, wait.wait);
      continue;
    }
    rows.clear();
    std::string error;
    for (const auto& record : page.records) {
      if (!hub_cursor.empty()) {
        const auto changed = reader->changed_after(record, hub_cursor);
        cursor_told = cursor_told || changed.has_value();
        if (changed.value_or(false))
          pending.add(record.key, "changed in " + side_plan.stream.str() + " after the hub last read it");
      }
      Row row;
      if (maker.make(record.key, record.value, row, error)) {
        rows.push_back(std::move(row));
        continue;
      }
      if (error.empty()) continue;  // out of the mapping's scope, with nothing to pair it by
      if (const std::string* why = pending.reason(record.key)) {
        ++report.read[index];  // not kept: counted here
        comparer.in_flight(side, record.key, *why + " (now: " + error + ")");
      } else if (!row.key.empty()) {
        row.error = error;  // kept with its partner: reported once, as unreadable
        rows.push_back(std::move(row));
      } else {
        ++report.read[index];
        comparer.unreadable(side, record.key, error);
      }
    }
    for (const auto& reject : page.rejects)
      comparer.unreadable(side, reject.key.empty() ? reject.position : reject.key, reject.reason);
    report.read[index] += static_cast<int64_t>(page.rejects.size());  // the records: counted once kept
    if (side == Side::Source) translator.translate(rows);
    for (const auto& r : rows) spill.add(r);
    // The end: nothing more is ready and the cursor stands still or nothing came. A listing
    // whose cursor stands at no time (no incremental cursor: an offset listing's end starts it
    // again from its top) is read whole once it ends: read on, it went round and round.
    const bool nothing = page.records.empty() && page.rejects.empty();
    if (!page.more && (nothing || page.next_cursor == cursor || !reader->cursor_time_ms(page.next_cursor))) break;
    cursor = page.next_cursor;
  }
  report.read[index] += spill.documents(side);
  if (!hub_cursor.empty() && !cursor_told && report.read[index] > 0)
    report.notes.push_back(side_plan.stream.str() +
                           " cannot tell what changed after the hub's cursor: a record "
                           "changed since the last poll may show as a difference");
}

std::string dead_letter_reason(const runtime::DeadLetter& d) {
  return "dead-lettered (#" + std::to_string(d.id) + ", " + runtime::stage_name(d.stage) + "): " + d.error;
}

// The flow's events not committed yet whose content the target does not have: mapped as the
// flow maps them and compared with its ledger, so an event the flow has already found unchanged
// (only not committed yet, behind a retry in the same batch) is not counted as on its way.
void add_unwritten_events(const ReconcilePlan& plan, RunContext& context, PendingIndex& pending, Report& report) {
  const config::FlowConfig* flow = context.config.flow(plan.flow);
  auto events = context.bus->uncommitted("synchub." + plan.flow, context.config.topic(flow->from), kMaxPendingEvents);
  if (events.size() >= kMaxPendingEvents)
    report.notes.push_back("more than " + std::to_string(kMaxPendingEvents) +
                           " events wait on the bus; the rest "
                           "are not shown as in flight");
  runtime::StateXref xref(context.state);
  std::unique_ptr<mapping::Mapper> mapper;
  if (flow->settings.has("mapping"))
    mapper = std::make_unique<mapping::PlanMapper>(mapping::load_mapping(flow->settings.str("mapping")), &xref);
  else
    mapper = std::make_unique<mapping::IdentityMapper>();
  const std::string on_the_bus = "on the bus, not yet written by flow " + plan.flow;
  for (const auto& e : events) {
    const mapping::MapResult m = mapper->map(e.key, e.value);
    switch (m.status) {
      case mapping::MapStatus::Skipped: continue;  // the flow leaves it out
      case mapping::MapStatus::Failed:
        pending.add(e.key, on_the_bus + " (it will be dead-lettered: " + m.error + ")");
        continue;
      case mapping::MapStatus::MissingReference:
        pending.add(e.key, on_the_bus + " (waiting for master data: " + m.error + ")");
        continue;
      case mapping::MapStatus::Mapped: break;
    }
    const std::string key = m.key.empty() ? e.key : m.key;
    auto delivered = context.state.ledger(plan.flow, {key});
    if (delivered[0] && delivered[0]->content_hash == mapping::content_hash(m.output)) continue;
    pending.add(e.key, on_the_bus + " (it retries, or has not reached it)");
  }
}

// What is on its way from the source to the target: the flow's dead letters, its topic's
// events not yet written, and the source's own dead letters.
PendingIndex gather_pending(const ReconcilePlan& plan, RunContext& context, Report& report) {
  PendingIndex pending;
  if (plan.flow.empty()) {
    report.notes.push_back("no flow carries " + plan.source.stream.str() + " to " + plan.target.stream.str() +
                           ": nothing is shown as in flight");
    return pending;
  }
  for (const std::string& owner : {plan.flow, plan.source.stream.str()}) {
    for (const char* status : {"pending", "replaying"}) {
      runtime::DeadLetterFilter filter;
      filter.flow = owner;
      filter.status = status;
      filter.limit = 1000;
      while (true) {
        auto page = context.state.dead_letters(filter);
        for (const auto& d : page) pending.add(d.key, dead_letter_reason(d));
        if (page.size() < static_cast<size_t>(filter.limit)) break;
        filter.after_id = page.back().id;
      }
    }
  }
  if (!context.bus) {
    report.notes.push_back("the bus was not read: records still on it are not shown as in flight");
    return pending;
  }
  try {
    add_unwritten_events(plan, context, pending, report);
  } catch (const std::exception& e) {
    report.notes.push_back(std::string("the bus could not be read (") + e.what() +
                           "): records still on it are not shown as in flight");
  }
  return pending;
}

Window window_of(const ReconcilePlan& plan, const RunOptions& options, Report& report) {
  Window w;
  const bool given = options.since_ms || options.until_ms;  // on the command line: it wins
  const auto since = given ? options.since_ms : plan.since_ms;
  const auto until = given ? options.until_ms : plan.until_ms;
  if (since) w.since_us = *since * 1000;
  if (until) w.until_us = *until * 1000;
  if (!given && plan.window) w.since_us = (options.now_ms - plan.window->count()) * 1000;
  if (w.since_us) report.since_ms = *w.since_us / 1000;
  if (w.until_us) report.until_ms = *w.until_us / 1000;
  return w;
}

}  // namespace

Report reconcile(const ReconcilePlan& plan, RunContext& context, RunOptions options) {
  if (!options.now_ms) options.now_ms = runtime::now_ms();
  Report report;
  report.name = plan.name;
  report.description = plan.description;
  report.source_stream = plan.source.stream.str();
  report.target_stream = plan.target.stream.str();
  report.flow = plan.flow;
  report.group_by = plan.group_by;
  report.measures.assign(plan.fields.begin(), plan.fields.begin() + static_cast<long>(plan.measures));
  report.started_ms = runtime::now_ms();
  const Window window = window_of(plan, options, report);
  try {
    // What is in flight is read first: a record written meanwhile is then found in the target
    // (agreeing) rather than missing from both the bus and the target.
    PendingIndex pending = gather_pending(plan, context, report);
    Spill spill(context.scratch_dir);
    Comparer comparer(plan, pending, window, report);
    read_side(plan, Side::Source, context, spill, comparer, pending, report);
    read_side(plan, Side::Target, context, spill, comparer, pending, report);
    size_t keys = 0;
    spill.for_each_key([&](std::vector<Row>& rows) {
      if (++keys % kPage == 0) check_stop(context);
      comparer.add_key(rows);
    });
    comparer.finish();
  } catch (const std::exception& e) {
    report.error = e.what();
  }
  report.finished_ms = runtime::now_ms();
  return report;
}

void keep_run(runtime::StateStore& state, Report& report) {
  report.id = state.record_reconciliation({.id = 0,
                                           .name = report.name,
                                           .started_ms = report.started_ms,
                                           .finished_ms = report.finished_ms,
                                           .differences = report.differences(),
                                           .in_flight = report.count(DiffClass::InFlight),
                                           .failed = !report.error.empty(),
                                           .report = report_json(report)});
}

ReaderFactory registry_readers(const config::HubConfig& config) {
  auto made = std::make_shared<std::map<std::string, std::unique_ptr<connectors::Connector>>>();
  return [&config, made](const config::StreamRef& ref) -> std::unique_ptr<connectors::SourceStream> {
    const config::ConnectorConfig* c = config.connector(ref.connector);
    const config::StreamConfig* s = config.stream(ref);
    if (!c || !s) return nullptr;
    auto& connector = (*made)[ref.connector];
    if (!connector)
      connector = connectors::builtin_registry().get(c->type).create(*c, connectors::Context{config.hub.str("name")});
    return connector->open_reader(*s);
  };
}

}  // namespace synchub::reconcile
