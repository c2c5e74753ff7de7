// Sales-system (CRM) simulator: OAuth2 client-credentials tokens; orders
// listable with updated_since (>=) and cursor pagination, in (updated_at, id)
// order. Orders are generated from a seed (examples/generator/crm_orders).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "examples/simulators/faults.hpp"
#include "runtime/http_server.hpp"

namespace synchub::simulators {

struct CrmOptions {
  std::string client_id = "synchub";
  std::string client_secret = "crm-demo-secret";
  int token_ttl_seconds = 3600;
  uint16_t port = 0;
  int orders = 100;
  uint64_t seed = 42;
  FaultOptions faults;
};

class CrmSimulator {
 public:
  explicit CrmSimulator(CrmOptions options);
  std::string base_url() const { return server_->base_url(); }
  // Adds `count` new orders and edits `edits` existing ones (a trickle).
  void trickle(int count, int edits);
  std::vector<nlohmann::ordered_json> orders() const;

 private:
  runtime::HttpResponse handle(const runtime::HttpRequest& request);
  void touch(nlohmann::ordered_json& order);

  CrmOptions options_;
  Faults faults_;
  mutable std::mutex mu_;
  std::vector<nlohmann::ordered_json> orders_;  // sorted by (updated_at, id) via `seq`
  std::map<std::string, int64_t> tokens_;       // token -> expiry (steady seconds)
  int64_t seq_ = 0;
  int next_index_ = 0;
  std::unique_ptr<runtime::HttpServer> server_;
};

}  // namespace synchub::simulators
