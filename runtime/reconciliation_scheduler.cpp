#include "runtime/reconciliation_scheduler.hpp"

#include <algorithm>

#include "runtime/base/clock.hpp"
#include "runtime/base/log.hpp"
#include "runtime/bus/bus.hpp"
#include "runtime/hub.hpp"
#include "runtime/reconcile/plan.hpp"
#include "runtime/reconcile/reconciler.hpp"
#include "runtime/source_poller.hpp"
#include "runtime/state/state_store.hpp"

namespace synchub::runtime {

namespace {

// The longest the thread sleeps without looking at the clock again (a clock set forward).
constexpr auto kLongestWait = std::chrono::minutes(1);

int64_t every_ms(const reconcile::ReconcilePlan& plan) {
  return plan.every ? plan.every->count() : 0;
}

}  // namespace

std::vector<ReconciliationInfo> reconciliation_infos(const config::HubConfig& config) {
  std::vector<ReconciliationInfo> infos;
  for (const auto& r : config.reconciliations) {
    ReconciliationInfo info{r.name, r.settings.str_or("description", ""), r.source.str(), r.target.str(), r.flow};
    if (r.settings.has("every")) {
      info.every = r.settings.value("every").text;
      info.every_ms = r.settings.duration("every");
    }
    infos.push_back(std::move(info));
  }
  return infos;
}

ReconciliationScheduler::ReconciliationScheduler(const config::HubConfig& config, ReconciliationBoard& board,
                                                 std::chrono::milliseconds first_run_delay)
    : config_(config),
      board_(board),
      first_run_delay_(first_run_delay),
      state_(open_state(config_)),
      worker_id_(this_worker_id(config_.hub)) {
  const int64_t now = now_ms();
  for (const auto& r : config_.reconciliations) {
    auto plan = std::make_unique<reconcile::ReconcilePlan>(reconcile::compile_plan(r));
    if (const int64_t every = every_ms(*plan)) {
      const auto latest = state_->reconciliation_runs(r.name, 1);
      const int64_t soon = now + std::min(every, static_cast<int64_t>(first_run_delay_.count()));
      // Never later than one period from now: a run kept with a clock that was ahead waits no longer.
      due_[r.name] = latest.empty() ? soon : std::clamp(latest[0].started_ms + every, soon, now + every);
      board_.set_next_due(r.name, due_[r.name]);
    }
    plans_.emplace(r.name, std::move(plan));
  }
}

ReconciliationScheduler::~ReconciliationScheduler() {
  stop();
}

void ReconciliationScheduler::start() {
  if (thread_.joinable()) return;
  board_.open();
  thread_ = std::thread([this] { loop(); });
  std::string scheduled;
  for (const auto& [name, due] : due_) scheduled += (scheduled.empty() ? "" : ", ") + name + " at " + iso_time(due);
  log_info("reconcile", {{"reconciliations", std::to_string(plans_.size())}},
           scheduled.empty() ? "reconciliations run on request" : "next scheduled runs: " + scheduled);
}

void ReconciliationScheduler::stop() {
  stop_ = true;
  board_.close();
  if (thread_.joinable()) thread_.join();
}

void ReconciliationScheduler::loop() {
  while (true) {
    // The earliest due run, if any.
    const auto earliest =
        std::min_element(due_.begin(), due_.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
    auto wait = std::chrono::duration_cast<std::chrono::steady_clock::duration>(kLongestWait);
    if (earliest != due_.end())
      wait = std::min(wait, std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                std::chrono::milliseconds(std::max<int64_t>(0, earliest->second - now_ms()))));
    std::string name;
    if (!board_.next(std::chrono::steady_clock::now() + wait, name)) return;
    if (name.empty()) {  // no request: a scheduled run, when one is due
      if (earliest == due_.end() || earliest->second > now_ms()) continue;
      name = earliest->first;
      if (!claim_scheduled_run(name)) continue;
      board_.begin(name, now_ms());
    }
    run_one(name);
  }
}

void ReconciliationScheduler::run_one(const std::string& name) {
  const reconcile::ReconcilePlan& plan = *plans_.at(name);
  std::unique_ptr<Bus> bus;
  try {
    bus = open_bus(config_);
  } catch (const std::exception& e) {
    // The run goes on: its report notes that records on the bus were not told apart.
    log_warn("reconcile", {{"reconciliation", name}}, std::string("cannot open the bus: ") + e.what());
  }
  // Readers made for each run: a connection that went bad in the last one is not kept.
  reconcile::RunContext context{
      config_, *state_, bus.get(), reconcile::registry_readers(config_), config_.hub.str("data_dir"), &stop_};
  reconcile::Report report = reconcile::reconcile(plan, context, {});
  bus.reset();
  if (stop_) {
    log_info("reconcile", {{"reconciliation", name}}, "stopped with the hub; the run is not kept");
    board_.end(nullptr);
    return;
  }
  try {
    reconcile::keep_run(*state_, report);
  } catch (const std::exception& e) {
    log_error("reconcile", {{"reconciliation", name}}, std::string("cannot keep the run: ") + e.what());
  }
  const std::string summary = reconcile::summary_line(report);
  const LogFields fields{{"reconciliation", name}, {"run", std::to_string(report.id)}};
  if (report.agrees())
    log_info("reconcile", fields, summary);
  else
    log_warn("reconcile", fields, summary);
  if (every_ms(plan)) schedule_after(name, report.started_ms);
  const ReconciliationOutcome outcome{
      name, report.id, report.started_ms, report.finished_ms, report.differences(), !report.error.empty(), summary};
  board_.end(&outcome);
}

// Workers that share a state store take turns with a scheduled run: the one that holds the
// reconciliation's lease (for one period) runs it, and a run kept by another worker less than a
// period ago counts as this one's. Otherwise every worker would run it, and alert, each period.
bool ReconciliationScheduler::claim_scheduled_run(const std::string& name) {
  const int64_t every = every_ms(*plans_.at(name));
  try {
    const auto latest = state_->reconciliation_runs(name, 1);
    if (!latest.empty()) {  // kept by another worker, or this one's own (then the board has it)
      const ReconciliationRun& run = latest[0];
      board_.observe({name, run.id, run.started_ms, run.finished_ms, run.differences, run.failed,
                      "reconciliation " + name + ": run #" + std::to_string(run.id) + " by another worker", true});
    }
    // A period less a tenth: the other worker's clock, and its run's start, are not quite ours.
    if (!latest.empty() && latest[0].started_ms + every - every / 10 > now_ms()) {
      schedule_after(name, latest[0].started_ms);
      return false;
    }
    if (!state_->acquire_lease("reconciliation:" + name, worker_id_, std::chrono::milliseconds(every))) {
      log_info("reconcile", {{"reconciliation", name}}, "another worker runs it this period");
      schedule_after(name, now_ms());
      return false;
    }
  } catch (const std::exception& e) {  // the state store is down: the run would fail to be kept
    log_warn("reconcile", {{"reconciliation", name}}, std::string("cannot claim the scheduled run: ") + e.what());
    due_[name] = now_ms() + std::min<int64_t>(every, 60000);
    board_.set_next_due(name, due_[name]);
    return false;
  }
  return true;
}

// The next run one period after this one started (a run on request counts: it is as fresh).
void ReconciliationScheduler::schedule_after(const std::string& name, int64_t started_ms) {
  const int64_t due = started_ms + every_ms(*plans_.at(name));
  due_[name] = due;
  board_.set_next_due(name, due);
}

}  // namespace synchub::runtime
