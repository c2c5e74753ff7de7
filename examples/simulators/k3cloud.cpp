#include "examples/simulators/k3cloud.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <ctime>
#include <sstream>

#include "examples/simulators/money.hpp"

namespace synchub::simulators {

using Json = nlohmann::ordered_json;
using http::HttpRequest;
using http::HttpResponse;

namespace {

constexpr const char* kStub = "/k3cloud/Kingdee.BOS.WebApi.ServicesStub.";

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// "/k3cloud/Kingdee...DynamicFormService.Save.common.kdsvc" -> "Save"; "" when unknown.
std::string service_of(const std::string& path) {
  static const char* const services[] = {"AuthService.ValidateUser", "DynamicFormService.Save",
                                         "DynamicFormService.Submit", "DynamicFormService.Audit",
                                         "DynamicFormService.ExecuteBillQuery"};
  for (const char* s : services) {
    const std::string full = std::string(kStub) + s + ".common.kdsvc";
    if (path == full) return std::string(s).substr(std::string(s).find('.') + 1);
  }
  return "";
}

HttpResponse answer(const Json& body) {
  return HttpResponse::json(200, body.dump(-1, ' ', false, Json::error_handler_t::replace));
}

// The value of cookie `name` in a Cookie header ("a=1; kdservice-sessionid=x").
std::string cookie(const std::string& header, const std::string& name) {
  std::istringstream in(header);
  std::string part;
  while (std::getline(in, part, ';')) {
    const size_t start = part.find_first_not_of(' ');
    if (start == std::string::npos) continue;
    part = part.substr(start);
    if (part.rfind(name + "=", 0) == 0) return part.substr(name.size() + 1);
  }
  return "";
}

const char* number_field(const std::string& form) {
  return form == "SAL_SaleOrder" || form == "AR_receivable" ? "FBillNo" : "FNumber";
}

const char* id_field(const std::string& form) {
  if (form == "BD_Customer") return "FCUSTID";
  if (form == "BD_MATERIAL") return "FMATERIALID";
  return "FID";
}

}  // namespace

Json K3CloudSimulator::refusal(int msg_code, const std::string& message) {
  return {{"Result",
           {{"ResponseStatus",
             {{"ErrorCode", 500},
              {"IsSuccess", false},
              {"Errors", Json::array({{{"FieldName", nullptr}, {"Message", message}, {"DIndex", 0}}})},
              {"SuccessEntitys", Json::array()},
              {"SuccessMessages", Json::array()},
              {"MsgCode", msg_code}}}}}};
}

Json K3CloudSimulator::success(int64_t id, const std::string& number) {
  return {{"Result",
           {{"ResponseStatus",
             {{"ErrorCode", 0},
              {"IsSuccess", true},
              {"Errors", Json::array()},
              {"SuccessEntitys", Json::array({{{"Id", id}, {"Number", number}, {"DIndex", 0}}})},
              {"SuccessMessages", Json::array()},
              {"MsgCode", 0}}},
            {"Id", id},
            {"Number", number},
            {"NeedReturnData", Json::array({Json::object()})}}}};
}

std::string K3CloudSimulator::now_text() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now()) + 8 * 3600;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string K3CloudSimulator::today_text() {
  return now_text().substr(0, 10) + " 00:00:00";
}

K3CloudSimulator::K3CloudSimulator(K3CloudOptions options)
    : options_(std::move(options)), faults_(options_.faults), rng_(options_.seed) {
  options_.max_rows = std::max(1, options_.max_rows);
  for (const char* form : {"BD_Customer", "BD_MATERIAL", "SAL_SaleOrder", "AR_receivable", "STK_Inventory"})
    forms_[form];
  http::HttpServerOptions http;
  http.port = options_.port;
  http.threads = 4;
  server_ = std::make_unique<http::HttpServer>(http, [this](const HttpRequest& r) { return handle(r); });
}

K3CloudSimulator::~K3CloudSimulator() {
  server_->stop();
}

HttpResponse K3CloudSimulator::handle(const HttpRequest& request) {
  if (request.path == "/healthz") return HttpResponse::json(200, R"({"status":"ok"})");
  if (request.path == "/k3cloud/stats" && request.method == "GET") return HttpResponse::json(200, stats().dump());
  if (auto refusal = faults_.before()) return *refusal;
  const std::string service = service_of(request.path);
  if (service.empty() || request.method != "POST") return HttpResponse::json(404, R"({"Message":"not found"})");
  HttpResponse response;
  {
    std::lock_guard lock(mu_);
    ++counts_[service];
    if (service == "ValidateUser") {
      response = login(request);
    } else {
      const bool query = service == "ExecuteBillQuery";
      auto wrapped = [&](Json result) { return answer(query ? Json::array({Json::array({result})}) : result); };
      const Json body = Json::parse(quote_decimals(request.body), nullptr, false);
      if (options_.busy_rate > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < options_.busy_rate) {
        ++counts_["busy"];
        response = wrapped(refusal(13, "服务器繁忙，请稍后再试"));
      } else if (!session_valid(request)) {
        ++counts_["session_lost"];
        response = wrapped(refusal(1, "会话信息已丢失，请重新登录"));
      } else if (!body.is_object()) {
        response = wrapped(refusal(11, "请求参数不是JSON对象"));
      } else {
        try {
          response = answer(query               ? execute_query(body.contains("data") ? body["data"] : body)
                            : service == "Save" ? save(body)
                                                : step(service, body));
        } catch (const nlohmann::json::exception& e) {  // a member of the wrong type
          response = wrapped(refusal(11, std::string("参数格式错误: ") + e.what()));
        }
      }
    }
  }
  faults_.after(response);
  return response;
}

HttpResponse K3CloudSimulator::login(const HttpRequest& request) {
  const Json body = Json::parse(request.body, nullptr, false);
  auto text = [&](const char* name) {
    return body.is_object() && body.contains(name) && body[name].is_string() ? body[name].get<std::string>() : "";
  };
  bool lcid_ok = false;
  if (body.is_object() && body.contains("lcid")) {
    const Json& lcid = body["lcid"];
    lcid_ok = lcid.is_number_integer() || (lcid.is_string() && scaled(lcid.get<std::string>(), 0).has_value());
  }
  if (!lcid_ok || text("acctID") != options_.acct_id || text("username") != options_.username ||
      text("password") != options_.password)
    return answer({{"LoginResultType", 0}, {"Message", "用户名或密码错误！"}, {"MessageCode", nullptr}});
  static const char* const hex = "0123456789abcdef";
  std::string sid(32, '0');
  for (char& c : sid) c = hex[rng_() % 16];
  sessions_[sid] = steady_ms() + options_.session_ttl_ms;
  ++counts_["sessions_issued"];
  HttpResponse response = answer({{"Message", nullptr},
                                  {"MessageCode", "CheckPasswordPolicy"},
                                  {"LoginResultType", 1},
                                  {"KDSVCSessionId", sid},
                                  {"Context", {{"UserName", options_.username}, {"SessionId", sid}}}});
  response.headers.emplace_back("Set-Cookie", "kdservice-sessionid=" + sid + "; Path=/");
  return response;
}

bool K3CloudSimulator::session_valid(const HttpRequest& request) const {
  auto it = sessions_.find(cookie(request.header("Cookie"), "kdservice-sessionid"));
  return it != sessions_.end() && it->second > steady_ms();
}

Json K3CloudSimulator::add_record(const std::string& form, const std::string& number, Json record) {
  const int64_t id = next_id_++;
  Json row = {{id_field(form), id}};
  for (auto& [key, value] : record.items()) row[key] = std::move(value);
  row["FModifyDate"] = now_text();
  Form& f = forms_[form];
  f.numbers[number] = id;
  f.records[id] = row;
  return row;
}

// Submit or Audit of every bill named in data.Numbers or data.Ids; those that
// may not take the step are refused one by one, the others take it.
Json K3CloudSimulator::step(const std::string& service, const Json& body) {
  const std::string form = body.value("formid", "");
  auto found = forms_.find(form);
  if (found == forms_.end() || form == "AR_receivable" || form == "STK_Inventory")
    return refusal(11, "业务对象[" + form + "]不存在");
  Form& records = found->second;
  const Json data = body.contains("data") && body["data"].is_string()
                        ? Json::parse(quote_decimals(body["data"].get<std::string>()), nullptr, false)
                        : body.value("data", Json::object());
  std::vector<std::pair<int64_t, std::string>> targets;  // id (0: unknown), as named
  if (data.is_object() && data.contains("Numbers") && data["Numbers"].is_array()) {
    for (const auto& n : data["Numbers"]) {
      const std::string no = n.is_string() ? n.get<std::string>() : n.dump();
      auto it = records.numbers.find(no);
      targets.emplace_back(it == records.numbers.end() ? 0 : it->second, no);
    }
  } else if (data.is_object() && data.contains("Ids")) {
    std::istringstream in(data["Ids"].is_string() ? data["Ids"].get<std::string>() : data["Ids"].dump());
    for (std::string part; std::getline(in, part, ',');) {
      part.erase(0, std::min(part.size(), part.find_first_not_of(' ')));
      auto id = scaled(part, 0);
      targets.emplace_back(id && records.records.count(*id) ? *id : 0, part);
    }
  }
  if (targets.empty()) return refusal(11, "没有指定单据：data.Numbers或data.Ids不能为空");
  Json errors = Json::array(), successes = Json::array();
  for (size_t i = 0; i < targets.size(); ++i) {
    Json outcome = step_one(service, form, records, targets[i].first, targets[i].second);
    outcome["DIndex"] = i;
    (outcome.contains("Message") ? errors : successes).push_back(outcome);
  }
  if (errors.empty() && successes.size() == 1) return success(successes[0]["Id"], successes[0]["Number"]);
  Json result = refusal(errors.empty() ? 0 : 11, "");
  Json& status = result["Result"]["ResponseStatus"];
  status["IsSuccess"] = errors.empty();
  status["ErrorCode"] = errors.empty() ? 0 : 500;
  status["Errors"] = errors;
  status["SuccessEntitys"] = successes;
  return result;
}

// One bill's step: {Id, Number} when taken, {FieldName, Message} when refused.
Json K3CloudSimulator::step_one(const std::string& service, const std::string& form, Form& records, int64_t id,
                                const std::string& number) {
  auto refuse = [&](const std::string& message) {
    ++counts_["steps_refused"];
    return Json{{"FieldName", nullptr}, {"Message", message}};
  };
  if (id == 0) return refuse("单据[" + number + "]不存在");
  Json& bill = records.records[id];
  const std::string no = bill[number_field(form)];
  const std::string state = bill.value("FDocumentStatus", "A");
  if (service == "Submit") {
    if (state == "B" || state == "C") return refuse("单据[" + no + "]已提交或已审核，不能重复提交");
    bill["FDocumentStatus"] = "B";
  } else {
    if (state == "C") return refuse("单据[" + no + "]已审核，不能重复审核");
    if (state != "B") return refuse("单据[" + no + "]未提交，不能审核");
    bill["FDocumentStatus"] = "C";
    if (form == "SAL_SaleOrder") create_receivable(bill);
  }
  bill["FModifyDate"] = now_text();
  return {{"Id", id}, {"Number", no}};
}

void K3CloudSimulator::create_receivable(const Json& order) {
  int64_t total = 0;  // millionths
  for (const auto& entry : order["FSaleOrderEntry"]) total += scaled(entry["FAllAmount"], 6).value_or(0);
  char no[16];
  std::snprintf(no, sizeof no, "AR%06d", next_receivable_++);
  add_record("AR_receivable", no,
             {{"FBillNo", no},
              {"FDate", today_text()},
              {"FORDERNUMBER", order["FBillNo"]},
              {"FALLAMOUNTFOR", trimmed(total, 6, 2)},
              {"FDocumentStatus", "C"}});
}

bool K3CloudSimulator::adjust_stock(const std::string& material_no, const std::string& stock_no,
                                    const std::string& delta) {
  auto change = scaled(delta, 3);
  std::lock_guard lock(mu_);
  if (!change || !forms_["BD_MATERIAL"].numbers.count(material_no)) return false;
  Form& stock = forms_["STK_Inventory"];
  const std::string key = material_no + "|" + stock_no;
  auto it = stock.numbers.find(key);
  if (it == stock.numbers.end()) {
    add_record(
        "STK_Inventory", key,
        {{"FMaterialId.FNumber", material_no}, {"FStockId.FNumber", stock_no}, {"FBaseQty", trimmed(*change, 3)}});
    return true;
  }
  Json& row = stock.records[it->second];
  row["FBaseQty"] = trimmed(scaled(row["FBaseQty"], 3).value_or(0) + *change, 3);
  row["FModifyDate"] = now_text();
  return true;
}

void K3CloudSimulator::trickle(int changes) {
  std::vector<std::array<std::string, 3>> picked;  // material, stock, delta
  {
    std::lock_guard lock(mu_);
    const Form& stock = forms_["STK_Inventory"];
    for (int i = 0; i < changes && !stock.records.empty(); ++i) {
      auto it = std::next(stock.records.begin(), static_cast<long>(rng_() % stock.records.size()));
      picked.push_back({it->second["FMaterialId.FNumber"], it->second["FStockId.FNumber"],
                        std::to_string(static_cast<int>(rng_() % 21) - 10) + ".5"});
    }
  }
  for (const auto& [material, stock, delta] : picked) adjust_stock(material, stock, delta);
}

void K3CloudSimulator::expire_now() {
  std::lock_guard lock(mu_);
  sessions_.clear();
}

bool K3CloudSimulator::set_document_status(const std::string& form, const std::string& number,
                                           const std::string& status) {
  std::lock_guard lock(mu_);
  auto f = forms_.find(form);
  if (f == forms_.end() || !f->second.numbers.count(number)) return false;
  f->second.records[f->second.numbers[number]]["FDocumentStatus"] = status;
  return true;
}

std::map<std::string, Json> K3CloudSimulator::bills(const std::string& form) const {
  std::lock_guard lock(mu_);
  std::map<std::string, Json> out;
  auto f = forms_.find(form);
  if (f == forms_.end()) return out;
  for (const auto& [number, id] : f->second.numbers) out[number] = f->second.records.at(id);
  return out;
}

std::string K3CloudSimulator::stock_of(const std::string& material_no) const {
  std::lock_guard lock(mu_);
  int64_t total = 0;
  bool any = false;
  for (const auto& [id, row] : forms_.at("STK_Inventory").records) {
    if (row["FMaterialId.FNumber"] != material_no) continue;
    any = true;
    total += scaled(row["FBaseQty"], 3).value_or(0);
  }
  return any ? trimmed(total, 3) : "";
}

int K3CloudSimulator::sessions_issued() const {
  std::lock_guard lock(mu_);
  auto it = counts_.find("sessions_issued");
  return it == counts_.end() ? 0 : it->second;
}

int K3CloudSimulator::session_lost_refusals() const {
  std::lock_guard lock(mu_);
  auto it = counts_.find("session_lost");
  return it == counts_.end() ? 0 : it->second;
}

K3CloudSimulator::Json K3CloudSimulator::stats() const {
  std::lock_guard lock(mu_);
  Json out = Json::object();
  for (const auto& [form, f] : forms_) {
    Json by_state = Json::object();
    for (const auto& [id, record] : f.records) {
      const std::string state = record.value("FDocumentStatus", "A");
      by_state[state] = by_state.value(state, 0) + 1;
    }
    out[form] = {{"count", f.records.size()}, {"by_status", by_state}};
  }
  out["counts"] = counts_;
  return out;
}

std::map<std::string, int> K3CloudSimulator::counts() const {
  std::lock_guard lock(mu_);
  return counts_;
}

}  // namespace synchub::simulators
