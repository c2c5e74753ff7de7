// The hub: bus, state store, source pollers and flow runners built from the
// config, driven by one scheduler loop (one thread; connectors need not be
// thread-safe).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <vector>

#include "config/hub_config.hpp"
#include "connectors/registry.hpp"
#include "http/http_server.hpp"
#include "runtime/admin/admin_board.hpp"
#include "runtime/admin/alerts.hpp"
#include "runtime/bus/bus.hpp"
#include "runtime/flow_runner.hpp"
#include "runtime/push_ingress.hpp"
#include "runtime/source_poller.hpp"
#include "runtime/state/state_store.hpp"
#include "runtime/state/state_xref.hpp"

namespace synchub::runtime {

class AdminApi;
class ReconciliationScheduler;

// reset_offsets: the embedded bus forgets its groups' offsets (`synchub bus reset-offsets`).
std::unique_ptr<Bus> open_bus(const config::HubConfig& config, bool reset_offsets = false);
std::unique_ptr<StateStore> open_state(const config::HubConfig& config);

struct HubStart {
  // A state file that is missing or empty beside a bus that has been used is refused (its ledger,
  // cursors, cross-references and dead letters would be gone): unless the operator says so.
  bool new_state = false;
};

class Hub {
 public:
  Hub(const config::HubConfig& config, const connectors::Registry& registry, HubStart start = {});
  ~Hub();

  // Runs until `stop` becomes true, finishing the batch in flight. With
  // `once`, returns as soon as every source is drained and every flow caught up, or when a flow
  // or source is stuck on an error waiting cannot clear (FlowRunner::stuck, SourcePoller::stuck):
  // then returns that error ("" otherwise). Nothing past the error is committed. Reconciliations
  // run (on their thread) only without `once`: a run meant to drain and exit does not wait for one.
  [[nodiscard]] std::string run(const std::atomic<bool>& stop, bool once);

  Bus& bus() { return *bus_; }
  // "http://127.0.0.1:PORT" of the HTTP server (webhooks, admin API); "" when it is not running.
  std::string http_url() const { return http_ ? http_->base_url() : ""; }
  StateStore& state() { return *state_; }

 private:
  [[nodiscard]] std::string stuck() const;  // the first flow's or source's error that waiting cannot clear

  std::unique_ptr<Bus> bus_;
  std::unique_ptr<StateStore> state_;
  std::unique_ptr<StateXref> xref_;  // mapping lookups, answered by state_
  std::vector<std::unique_ptr<connectors::Connector>> connectors_;
  std::vector<std::unique_ptr<SourcePoller>> sources_;
  std::vector<std::unique_ptr<FlowRunner>> flows_;
  PushIngress ingress_;
  std::unique_ptr<http::HttpServer> http_;  // started when a push (webhook) stream exists or the admin API is on
  AdminBoard board_;                        // flow snapshots for the admin API, its commands for the scheduler
  std::unique_ptr<ReconciliationBoard> reconciliations_;  // the reconciliation thread's, the API's, the alerts'
  std::unique_ptr<AdminApi> admin_;
  std::unique_ptr<AlertMonitor> alerts_;                        // watches board_ when alerts.webhook.url is set
  std::unique_ptr<ReconciliationScheduler> reconciler_;         // when reconciliations are configured
  std::vector<std::pair<std::string, std::string>> flow_ends_;  // each flow's from and to
  Clock::time_point next_board_{};
  std::chrono::milliseconds lineage_retention_{};  // state.lineage_retention

  void open_flows(const config::HubConfig& config, const std::map<std::string, connectors::Connector*>& by_name);
  void start_operations(const config::HubConfig& config);  // admin API, alerts, HTTP server, reconciliations
  http::HttpResponse serve(const http::HttpRequest& request);
  bool publish_pushed();
  void admin_tick(Clock::time_point now);  // commands in, snapshot out
  void prune_lineage();                    // state.lineage_retention
};

}  // namespace synchub::runtime
