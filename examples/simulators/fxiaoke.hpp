// Fxiaoke (纷享销客) CRM simulator, OpenAPI v2: every call is a POST with a
// JSON body and every answer HTTP 200 with {"errorCode", "errorMessage", ...}
// (only injected faults give 503/429, a dropped connection or cut-off JSON).
//   POST /cgi/corpAccessToken/get/V2 {appId, appSecret, permanentCode}
//        -> {corpAccessToken, corpId, expiresIn}; several tokens valid at once,
//        each for token_ttl_ms (20016 after that, or after expire_now()).
//   POST /cgi/crm/v2/data/query  {corpAccessToken, corpId, currentOpenUserId,
//        data: {dataObjectApiName, search_query_info: {limit, offset, filters,
//        orders}}} -> data: {dataList, total, offset, limit}; limit capped at 100;
//        rows tied on every sort field stay in the server's own (insertion) order.
//   POST /cgi/crm/v2/data/update {..., data: {object_data: {dataObjectApiName,
//        _id, fields}}}: stock_qty__c of ProductObj; receivable_amount__c,
//        receivable_no__c and remark of SalesOrderObj. A write is a change:
//        last_modified_time becomes now (and the newest).
// Objects: AccountObj, ProductObj, SalesOrderObj, SalesOrderProductObj, from a
// seed. Order amounts are the exact sum of the lines' round_half_up(quantity *
// sales_price, 2), except `bad_totals` orders that are 0.01 off; `tie_group`
// orders from index 90 share one last_modified_time (across a page of 100).
// busy_rate answers errorCode -1 (系统繁忙) before doing anything.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "examples/simulators/faults.hpp"
#include "http/http_server.hpp"

namespace synchub::simulators {

struct FxiaokeOptions {
  std::string app_id = "fxiaoke-app";
  std::string app_secret = "fxiaoke-secret";
  std::string permanent_code = "fxiaoke-permanent";
  std::string open_user_id = "FSUID_DEMO";
  std::string corp_id = "FSCORP_DEMO";
  int64_t token_ttl_ms = 7200000;
  uint16_t port = 0;
  int orders = 200;
  int accounts = 0;  // 0: orders / 10, at least 5
  int products = 40;
  uint64_t seed = 42;
  int tie_group = 20;    // consecutive orders from index 90 sharing one last_modified_time
  int bad_totals = 1;    // orders whose order_amount is 0.01 more than their lines
  double busy_rate = 0;  // {"errorCode": -1} before any work
  FaultOptions faults;
};

class FxiaokeSimulator {
 public:
  using Json = nlohmann::ordered_json;
  explicit FxiaokeSimulator(FxiaokeOptions options);
  ~FxiaokeSimulator();
  std::string base_url() const { return server_->base_url(); }

  // Adds `new_orders` orders (with lines) and edits `edits` existing ones
  // (remark changed, last_modified_time bumped).
  void trickle(int new_orders, int edits);
  // Every token issued so far stops working.
  void expire_now();

  // For tests (copies, taken under the lock).
  std::vector<Json> accounts() const;
  std::vector<Json> products() const;
  std::vector<Json> orders() const;  // each with its "lines"
  int tokens_issued() const;
  // Every update applied so far (its object_data), in order: for tests that look for a lost write.
  std::vector<Json> updates() const;
  // What the demo prints (GET /stats): orders, those in force with a right header total
  // ("eligible"), the corrupted ones, products with stock and orders with a receivable written.
  Json stats() const;
  int expired_token_refusals() const;
  std::map<std::string, int> requests() const;  // by path
  int early_retries() const { return faults_.early_retries(); }

 private:
  // Rows in insertion order: the server's own order for rows that tie.
  struct Table {
    std::vector<Json> rows;
    std::map<std::string, size_t> index;  // _id -> position
    int64_t max_time = 0;                 // the largest last_modified_time
    void add(Json row);
  };

  http::HttpResponse handle(const http::HttpRequest& request);
  Json work(const std::string& path, const Json& body);  // under mu_
  Json issue_token(const Json& body);
  Json refusal_for_caller(const Json& body);  // null when the caller may go on
  Json query(const Json& data) const;
  Json update(const Json& data);
  const Table* table(const std::string& api_name) const;  // null when unknown
  Table* table(const std::string& api_name) {
    return const_cast<Table*>(static_cast<const FxiaokeSimulator*>(this)->table(api_name));
  }

  // fxiaoke_data.cpp: the seeded data, under mu_
  void seed_data();
  void add_order(int index, int64_t time, bool bad_total);
  std::string new_id();
  static int64_t next_time(Table& table);  // now, but after every row's

  FxiaokeOptions options_;
  Faults faults_;
  mutable std::mutex mu_;
  std::mt19937_64 rng_;       // the data
  std::mt19937_64 busy_rng_;  // busy answers
  Table accounts_, products_, orders_, lines_;
  std::map<std::string, int64_t> tokens_;  // token -> expiry (steady ms)
  int tokens_issued_ = 0, expired_refusals_ = 0;
  std::vector<Json> updates_;         // every update applied, in order (object_data)
  std::set<std::string> bad_totals_;  // names of the orders seeded with a corrupted header total
  std::map<std::string, int> requests_;
  int next_order_ = 0;
  std::unique_ptr<http::HttpServer> server_;
};

}  // namespace synchub::simulators
