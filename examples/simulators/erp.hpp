// ERP simulator, API-key auth (X-Api-Key). Money is decimal text with two
// places ("12.50"), quantities numbers or text with three places at most.
//   customers   POST /customers, PUT /customers/{code}, GET /customers?crm_id=
//               (code "CUS-000001"; the ERP sets each credit limit)
//   products    POST /products, PUT /products/{sku}, GET /products?sku=
//   orders      POST /sales_orders, PUT /sales_orders/{id}, GET ?external_no=,
//               POST /sales_orders/batch {"orders": [...]} -> {"results": [...]}
//               (upsert by external_no, one result per order); bad data 422.
//               An order within the customer's credit is confirmed, invoiced
//               and shipped (stock goes down); over it, it waits in
//               status credit_hold for an approval.
//   listings    GET /sales_orders, /invoices, /stock, /credit with
//               modified_after (>), offset, limit; status= for orders.
//   GET /stats  counts, for the demo
//   set_down()  an outage: every call answers 503
//   OA          POST /approvals {order_no, ...} (409 when one exists),
//               GET /approvals?order_no=, POST /approvals/{id}/approve
//               (confirms the held order).
// Faults injectable (faults.hpp).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "examples/simulators/faults.hpp"
#include "http/http_server.hpp"

namespace synchub::simulators {

struct ErpOptions {
  std::string api_key = "erp-demo-key";
  uint16_t port = 0;
  // Orders must name a customer created through /customers (else 422), and
  // are held when over the customer's credit.
  bool strict_customers = false;
  FaultOptions faults;
};

class ErpSimulator {
 public:
  explicit ErpSimulator(ErpOptions options);
  ~ErpSimulator();
  std::string base_url() const;
  // For tests and the demo (copies, taken under the lock).
  std::map<std::string, nlohmann::ordered_json> orders() const;     // by external number
  std::map<std::string, nlohmann::ordered_json> customers() const;  // by code
  std::map<std::string, nlohmann::ordered_json> approvals() const;  // by order number
  std::string stock_of(const std::string& sku) const;               // on hand, "" when unknown
  int creates() const;
  // When each order was created (benchmarks: webhook-to-ERP latency), by external number.
  std::map<std::string, std::chrono::steady_clock::time_point> creation_times() const;
  int early_retries() const { return faults_.early_retries(); }

  // What people do to an ERP by hand (reconciliation tests): delete an order, edit its total,
  // enter a second order for the same external number; and an order whose every write fails
  // with 503 until further notice (it stays in the hub's retries).
  bool delete_order(const std::string& external_no);
  bool set_order_total(const std::string& external_no, const std::string& total);
  std::string add_duplicate_order(const std::string& external_no);  // the new id, "" when none
  void fail_writes_of(const std::string& external_no);
  int refused_writes() const;  // writes refused so
  // An outage: every API call answers 503 (no Retry-After) until set_down(false).
  void set_down(bool down);

 private:
  using Json = nlohmann::ordered_json;
  struct Saved {
    int status;             // 201 created, 200 updated, 4xx refused
    std::string id, error;  // the order's id, or why it was refused
  };
  http::HttpResponse handle(const http::HttpRequest& request);
  http::HttpResponse route_master(const http::HttpRequest& request);  // customers, products, stock, credit, OA
  Saved save_order(Json body, std::string id);                        // under mu_
  http::HttpResponse answer(const Saved& saved) const;                // under mu_
  http::HttpResponse save_batch(const std::string& body);
  void confirm(Json& order);    // invoice, ship, use credit (under mu_)
  void unconfirm(Json& order);  // undoes confirm() before a change (under mu_)
  Json credit_of(const std::string& code) const;

  ErpOptions options_;
  Faults faults_;
  mutable std::mutex mu_;
  std::map<std::string, Json> by_id_;         // id -> order
  std::map<std::string, std::string> id_of_;  // external no -> id
  std::set<std::string> failing_;             // external nos whose writes fail (503)
  int refused_ = 0;
  bool down_ = false;  // under mu_
  std::map<std::string, Json> invoices_;                         // number -> invoice (one per confirmed order)
  std::map<std::string, Json> customers_;                        // code -> customer
  std::map<std::string, std::string> code_of_;                   // CRM id -> code
  std::map<std::string, int64_t> used_cents_, credit_modified_;  // code -> open order totals; when they changed
  std::map<std::string, Json> products_;                         // sku -> product
  std::map<std::string, int64_t> on_hand_, stock_modified_;      // sku -> thousandths; when it changed
  std::map<std::string, Json> approvals_;                        // id -> approval
  std::map<std::string, std::string> approval_of_;               // order no -> approval id
  int next_id_ = 1;
  int creates_ = 0;
  std::map<std::string, std::chrono::steady_clock::time_point> created_at_;
  int64_t clock_ = 0;  // modification counter, shown as modified_at
  std::unique_ptr<http::HttpServer> server_;
};

}  // namespace synchub::simulators
