// Kingdee K3Cloud (金蝶云星空) WebAPI simulator. Every call is a POST with a
// JSON body under base_url() (".../k3cloud/"), every answer HTTP 200 (only
// injected faults give 503/429, a dropped connection or cut-off JSON).
//   Kingdee.BOS.WebApi.ServicesStub.AuthService.ValidateUser.common.kdsvc
//       {acctID, username, password, lcid} -> LoginResultType 1 and a cookie
//       kdservice-sessionid, valid for session_ttl_ms (or until expire_now()).
//   ...DynamicFormService.Save.common.kdsvc {formid, data: {Model}}: BD_Customer,
//       BD_MATERIAL, SAL_SaleOrder; a new number is created, an id in the
//       Model (FCUSTID, FMATERIALID, FID) updates; a number in use is refused.
//   ...DynamicFormService.Submit / .Audit {formid, data: {Numbers | Ids}}:
//       A (created) or D (re-audit) -> B (submitted) -> C (audited); a step
//       repeated or out of turn is refused. Auditing a sales order creates an
//       AR_receivable bill for its FAllAmount.
//   ...DynamicFormService.ExecuteBillQuery {data: {FormId, FieldKeys,
//       FilterString, OrderString, StartRow, Limit}} -> rows as arrays, one per
//       entry line when an entry field is asked for; Limit capped at max_rows.
// Refusals are {"Result": {"ResponseStatus": {IsSuccess: false, MsgCode,
// Errors}}} (wrapped in [[...]] for ExecuteBillQuery): MsgCode 1 for a lost
// session, 11 for business errors, 13 busy (busy_rate, before any work).
// Amounts and quantities are kept as the decimal text they came in, compared
// and summed exactly (money.hpp), never through a double.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "examples/simulators/faults.hpp"
#include "http/http_server.hpp"

namespace synchub::simulators {

struct K3CloudOptions {
  std::string acct_id = "K3DEMO";
  std::string username = "synchub";
  std::string password = "k3-demo-password";
  int lcid = 2052;
  int64_t session_ttl_ms = 1800000;
  uint16_t port = 0;
  uint64_t seed = 7;
  double busy_rate = 0;  // MsgCode 13 before any work
  int max_rows = 2000;   // ExecuteBillQuery's cap on Limit
  FaultOptions faults;
};

class K3CloudSimulator {
 public:
  using Json = nlohmann::ordered_json;
  explicit K3CloudSimulator(K3CloudOptions options);
  ~K3CloudSimulator();
  std::string base_url() const { return server_->base_url() + "/k3cloud/"; }

  // Adds `delta` (decimal text, 3 places at most) to a material's quantity in
  // a stock; false when the material is unknown or the delta unreadable.
  bool adjust_stock(const std::string& material_no, const std::string& stock_no, const std::string& delta);
  // Changes `changes` stock quantities at random (for --trickle-ms).
  void trickle(int changes);
  // Every session so far is lost.
  void expire_now();
  // A document status set by hand ("D": un-audited for a change), for tests.
  bool set_document_status(const std::string& form, const std::string& number, const std::string& status);

  // For tests (copies, taken under the lock).
  std::map<std::string, Json> bills(const std::string& form) const;  // by number
  std::map<std::string, Json> receivables() const { return bills("AR_receivable"); }
  std::string stock_of(const std::string& material_no) const;  // summed over stocks, "" when unknown
  int sessions_issued() const;
  int session_lost_refusals() const;
  // "saves", "duplicates_refused", "steps_refused", "busy", and requests by service ("Save"...).
  std::map<std::string, int> counts() const;
  // What the demo prints (GET /k3cloud/stats): bills by form and state, sessions, refusals.
  Json stats() const;
  int early_retries() const { return faults_.early_retries(); }

 private:
  struct Form {
    std::map<int64_t, Json> records;         // by id: the default order
    std::map<std::string, int64_t> numbers;  // number -> id
  };

  http::HttpResponse handle(const http::HttpRequest& request);
  http::HttpResponse login(const http::HttpRequest& request);
  bool session_valid(const http::HttpRequest& request) const;
  Json step(const std::string& service, const Json& body);
  Json step_one(const std::string& service, const std::string& form, Form& records, int64_t id,
                const std::string& number);
  void create_receivable(const Json& order);
  Json add_record(const std::string& form, const std::string& number, Json record);  // new id, FModifyDate

  // k3cloud_save.cpp
  Json save(const Json& body);
  Json store(const std::string& form, int64_t id, const std::string& number, const Json& fields);
  Json save_customer(const Json& model);
  Json save_material(const Json& model);
  Json save_order(const Json& model);
  Json sale_order_entries(const Json& model, Json& entries);  // null when the lines are fine
  Json refuse_duplicate(const std::string& number);

  // k3cloud_query.cpp
  Json execute_query(const Json& data) const;

  // Answers.
  static Json refusal(int msg_code, const std::string& message);
  static Json success(int64_t id, const std::string& number);
  static std::string now_text();    // "YYYY-MM-DD HH:MM:SS", Asia/Shanghai
  static std::string today_text();  // "YYYY-MM-DD 00:00:00"

  K3CloudOptions options_;
  Faults faults_;
  mutable std::mutex mu_;
  std::mt19937_64 rng_;
  std::map<std::string, Form> forms_;        // BD_Customer, BD_MATERIAL, SAL_SaleOrder, AR_receivable, STK_Inventory
  std::map<std::string, int64_t> sessions_;  // session id -> expiry (steady ms)
  std::map<std::string, int> counts_;
  int64_t next_id_ = 100001;
  int next_receivable_ = 1;
  std::unique_ptr<http::HttpServer> server_;
};

}  // namespace synchub::simulators
