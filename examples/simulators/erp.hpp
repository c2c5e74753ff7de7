// ERP simulator: API-key auth; sales orders created and updated by external
// order number (bad data refused with 422 and a reason), listable with
// offset pagination and modified_after. Orders are confirmed on arrival and
// invoiced (GET /invoices, same paging). Money fields are decimal strings with
// two places. Faults injectable (faults.hpp).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "examples/simulators/faults.hpp"
#include "runtime/http_server.hpp"

namespace synchub::simulators {

struct ErpOptions {
  std::string api_key = "erp-demo-key";
  uint16_t port = 0;
  FaultOptions faults;
};

class ErpSimulator {
 public:
  explicit ErpSimulator(ErpOptions options);
  std::string base_url() const { return server_->base_url(); }
  // For tests and the demo: the orders as stored, by external number.
  std::map<std::string, nlohmann::ordered_json> orders() const;
  int creates() const;
  int early_retries() const { return faults_.early_retries(); }

 private:
  runtime::HttpResponse handle(const runtime::HttpRequest& request);
  runtime::HttpResponse save_order(const nlohmann::ordered_json& body, const std::string& id);

  ErpOptions options_;
  Faults faults_;
  mutable std::mutex mu_;
  std::map<std::string, nlohmann::ordered_json> by_id_;     // id -> order
  std::map<std::string, std::string> id_of_;                // external no -> id
  std::map<std::string, nlohmann::ordered_json> invoices_;  // number -> invoice (one per confirmed order)
  int next_id_ = 1;
  int creates_ = 0;
  int64_t clock_ = 0;  // modification counter, shown as modified_at
  std::unique_ptr<runtime::HttpServer> server_;
};

}  // namespace synchub::simulators
