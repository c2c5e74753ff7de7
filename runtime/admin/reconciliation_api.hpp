// The admin API's reconciliation routes: the reconciliations configured with their latest run,
// one reconciliation's runs, one run with its whole report, and a run started now on the hub's
// reconciliation thread. Runs are read from the state store, so those `synchub reconcile` kept
// show too. AdminApi::route_table adds these routes to its table.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "runtime/admin/reconciliation_board.hpp"
#include "runtime/admin/route_table.hpp"
#include "runtime/state/state_store.hpp"

namespace synchub::runtime {

class ReconciliationApi {
 public:
  // `state` is the admin API's connection, used under `state_mu` (the server has several threads).
  ReconciliationApi(ReconciliationBoard& board, StateStore& state, std::mutex& state_mu)
      : board_(board), state_(state), state_mu_(state_mu) {}

  // The routes; their handlers use this object, which must outlive them.
  std::vector<Route> routes();

 private:
  http::HttpResponse list();
  http::HttpResponse runs(const http::HttpRequest& request, const std::string& name);
  http::HttpResponse run(const std::string& id);
  http::HttpResponse start(const std::string& name);

  ReconciliationBoard& board_;
  StateStore& state_;
  std::mutex& state_mu_;
};

}  // namespace synchub::runtime
