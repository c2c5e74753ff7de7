// One reconciliation run: both sides read live through their connectors into a spill sorted by
// key, what is on its way gathered from the flow's topic, retries and dead letters, then every
// key compared. The report says what agrees in totals and what differs document by document.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "config/hub_config.hpp"
#include "runtime/reconcile/plan.hpp"
#include "runtime/reconcile/report.hpp"

namespace synchub::connectors {
class SourceStream;
}
namespace synchub::runtime {
class Bus;
class StateStore;
}  // namespace synchub::runtime

namespace synchub::reconcile {

using ReaderFactory = std::function<std::unique_ptr<connectors::SourceStream>(const config::StreamRef&)>;

// What a run reads through.
struct RunContext {
  const config::HubConfig& config;
  runtime::StateStore& state;   // cross-references, the flow's ledger, dead letters and source cursor
  runtime::Bus* bus = nullptr;  // what the flow has not written yet; null: not checked (noted)
  ReaderFactory open_reader;    // the connectors' whole-stream readers
  std::string scratch_dir;      // for the spill file
  // Set by a hub that is stopping: the run ends at its next page (a request under way finishes
  // first) with the error kStopped. Null: never stopped.
  const std::atomic<bool>* stop = nullptr;
};

// The error of a run ended by RunContext::stop.
inline constexpr const char* kStopped = "stopped: the hub is shutting down";

struct RunOptions {
  std::optional<int64_t> since_ms, until_ms;  // business time; unset: the plan's window (or all)
  int64_t now_ms = 0;                         // what `window` counts back from (0: the clock's now)
};

Report reconcile(const ReconcilePlan& plan, RunContext& context, RunOptions options);

// Keeps a run in the state store, its report whole (the admin API and the dashboard read it),
// and gives the report the run's id.
void keep_run(runtime::StateStore& state, Report& report);

// Readers from the connectors compiled in, each connector made from the config once.
ReaderFactory registry_readers(const config::HubConfig& config);

}  // namespace synchub::reconcile
