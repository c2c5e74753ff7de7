// The admin API's dead-letter routes: entries listed (searched by key, grouped by reason), one
// entry with its history, replay and discard of one entry or of a selection (ids or a filter), and
// an entry's input corrected and replayed, recorded in its history with who did it.
// AdminApi::route_table adds these routes to its table.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/admin/admin_board.hpp"
#include "runtime/admin/route_table.hpp"
#include "runtime/state/state_store.hpp"

namespace synchub::runtime {

class DeadLetterApi {
 public:
  // Who is asking ("operator token 2"), recorded in an entry's history.
  using CallerName = std::function<std::string(const http::HttpRequest&)>;
  // `state` is the admin API's connection, used under `state_mu` (the server has several threads).
  DeadLetterApi(AdminBoard& board, StateStore& state, std::mutex& state_mu, CallerName caller)
      : board_(board), state_(state), state_mu_(state_mu), caller_(std::move(caller)) {}

  // The routes; their handlers use this object, which must outlive them.
  std::vector<Route> routes();

 private:
  struct Selection;
  http::HttpResponse list(const http::HttpRequest& request);
  http::HttpResponse one(const std::string& id);
  http::HttpResponse replay_selected(const http::HttpRequest& request);
  http::HttpResponse discard_selected(const http::HttpRequest& request);
  http::HttpResponse replay_one(const http::HttpRequest& request, const std::string& id);
  http::HttpResponse discard_one(const http::HttpRequest& request, const std::string& id);
  bool known_flow(const std::string& name) const;

  AdminBoard& board_;
  StateStore& state_;
  std::mutex& state_mu_;
  CallerName caller_;
};

}  // namespace synchub::runtime
