// Sales-system (CRM) simulator, OAuth2 client-credentials tokens.
//   GET  /orders, /customers, /products   updated_since (>=) + cursor paging,
//        in (updated_at, id) order; several rows share a second.
//   PATCH /customers/{id}   credit shown to reps (credit_limit, credit_used,
//        credit_available, erp_code)
//   PATCH /products/{code}  stock_level shown to reps
//   PUT  /orders/{order_no}/invoice   the invoice attached to an order
//   GET  /orders/{order_no}, /stats (counts, for the demo)
// Orders come from a seed (examples/generator/crm_orders); each order's
// customer and products exist as master data. With a webhook URL, every new
// or edited order is also POSTed there, signed (X-Synchub-Signature:
// sha256=HMAC("<timestamp>.<body>"), X-Synchub-Timestamp), retried on failure.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "examples/simulators/faults.hpp"
#include "http/http_server.hpp"

namespace synchub::simulators {

struct CrmOptions {
  std::string client_id = "synchub";
  std::string client_secret = "crm-demo-secret";
  int token_ttl_seconds = 3600;
  uint16_t port = 0;
  int orders = 100;
  uint64_t seed = 42;
  std::string webhook_url;  // empty: no webhooks
  std::string webhook_secret = "crm-webhook-secret";
  FaultOptions faults;
};

class CrmSimulator {
 public:
  explicit CrmSimulator(CrmOptions options);
  ~CrmSimulator();
  std::string base_url() const { return server_->base_url(); }
  // Adds `count` new orders and edits `edits` existing ones (a trickle).
  void trickle(int count, int edits);
  std::vector<nlohmann::ordered_json> orders() const;
  std::vector<nlohmann::ordered_json> customers() const;
  std::vector<nlohmann::ordered_json> products() const;
  int webhooks_sent() const;

 private:
  using Json = nlohmann::ordered_json;
  http::HttpResponse handle(const http::HttpRequest& request);
  http::HttpResponse list(const std::vector<Json>& rows, const http::HttpRequest& request) const;
  http::HttpResponse patch(std::vector<Json>& rows, const char* id_field, const std::string& id,
                           const std::string& body, const std::vector<std::string>& writable);
  void touch(Json& row);
  void add_master_data(const Json& order);  // under mu_
  void send_webhooks();

  CrmOptions options_;
  Faults faults_;
  mutable std::mutex mu_;
  std::vector<Json> orders_, customers_, products_;  // each sorted by (updated_at, id) via `_seq`
  std::set<std::string> customer_ids_, product_codes_;
  mutable std::map<int64_t, std::string> text_;  // row JSON by `_seq` (each change has a new one)
  std::map<std::string, int64_t> tokens_;        // token -> expiry (steady seconds)
  int64_t seq_ = 0;
  int next_index_ = 0;

  // webhook sender
  std::condition_variable hooks_cv_;
  std::deque<std::string> hooks_;
  bool stopping_ = false;
  bool hooks_on_ = false;  // changes after start-up are sent
  int hooks_sent_ = 0;
  std::thread sender_;

  std::unique_ptr<http::HttpServer> server_;
};

}  // namespace synchub::simulators
