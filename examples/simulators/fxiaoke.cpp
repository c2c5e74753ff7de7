#include "examples/simulators/fxiaoke.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>

#include "examples/simulators/money.hpp"

namespace synchub::simulators {

using Json = nlohmann::ordered_json;
using http::HttpRequest;
using http::HttpResponse;

namespace {

constexpr int kMaxLimit = 100;
constexpr int kParamError = 300003;

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Json failure(int code, const std::string& message) {
  return {{"errorCode", code}, {"errorMessage", message}};
}

// 12, "12", "12.0" -> 12; nullopt for anything else.
std::optional<int64_t> whole_number(const Json& value) {
  if (value.is_number_integer()) return value.get<int64_t>();
  if (!value.is_string()) return std::nullopt;
  auto micros = scaled(value.get<std::string>(), 6);
  if (!micros || *micros % 1000000 != 0) return std::nullopt;
  return *micros / 1000000;
}

std::string text_of(const Json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

// A row's field against a filter value: epoch-ms (integer) fields compare as
// numbers, text fields as text. nullopt: not comparable (null, bad number).
std::optional<int> compare_value(const Json& field, const Json& value) {
  if (field.is_number_integer()) {
    auto v = whole_number(value);
    if (!v) return std::nullopt;
    const int64_t a = field.get<int64_t>();
    return (a > *v) - (a < *v);
  }
  if (field.is_string()) {
    const int c = field.get_ref<const std::string&>().compare(text_of(value));
    return (c > 0) - (c < 0);
  }
  return std::nullopt;
}

// Two rows' values for sorting: nulls first, numbers as numbers, else text.
int compare_fields(const Json& a, const Json& b) {
  if (a.is_null() || b.is_null()) return (b.is_null() ? 0 : -1) + (a.is_null() ? 0 : 1);
  if (a.is_number_integer() && b.is_number_integer()) {
    const int64_t x = a.get<int64_t>(), y = b.get<int64_t>();
    return (x > y) - (x < y);
  }
  const int c = text_of(a).compare(text_of(b));
  return (c > 0) - (c < 0);
}

struct Filter {
  std::string field, op;
  Json values;
};

bool matches(const Json& row, const Filter& f) {
  auto it = row.find(f.field);
  if (it == row.end()) return false;
  if (f.op == "IN") {
    return std::any_of(f.values.begin(), f.values.end(), [&](const Json& v) { return compare_value(*it, v) == 0; });
  }
  if (f.values.empty()) return false;
  auto c = compare_value(*it, f.values.front());
  if (!c) return false;
  if (f.op == "EQ") return *c == 0;
  if (f.op == "GT") return *c > 0;
  if (f.op == "GTE") return *c >= 0;
  if (f.op == "LT") return *c < 0;
  return *c <= 0;  // LTE
}

const Json& member(const Json& object, const char* name) {
  static const Json empty = Json::object();
  if (!object.is_object()) return empty;
  auto it = object.find(name);
  return it == object.end() ? empty : *it;
}

}  // namespace

FxiaokeSimulator::FxiaokeSimulator(FxiaokeOptions options)
    : options_(std::move(options)), faults_(options_.faults), rng_(options_.seed), busy_rng_(options_.seed + 1) {
  options_.products = std::max(1, options_.products);
  options_.orders = std::max(0, options_.orders);
  {
    std::lock_guard lock(mu_);
    seed_data();
  }
  http::HttpServerOptions http;
  http.port = options_.port;
  http.threads = 4;
  server_ = std::make_unique<http::HttpServer>(http, [this](const HttpRequest& r) { return handle(r); });
}

FxiaokeSimulator::~FxiaokeSimulator() {
  server_->stop();
}

HttpResponse FxiaokeSimulator::handle(const HttpRequest& request) {
  if (request.path == "/healthz") return HttpResponse::json(200, R"({"status":"ok"})");
  if (request.path == "/stats" && request.method == "GET") return HttpResponse::json(200, stats().dump());
  if (auto refusal = faults_.before()) return *refusal;
  const bool known = request.path == "/cgi/corpAccessToken/get/V2" || request.path == "/cgi/crm/v2/data/query" ||
                     request.path == "/cgi/crm/v2/data/update";
  if (!known || request.method != "POST")
    return HttpResponse::json(404, R"({"errorCode":404,"errorMessage":"not found"})");
  Json answer;
  {
    std::lock_guard lock(mu_);
    ++requests_[request.path];
    const Json body = Json::parse(quote_decimals(request.body), nullptr, false);
    if (options_.busy_rate > 0 && std::uniform_real_distribution<double>(0, 1)(busy_rng_) < options_.busy_rate) {
      answer = failure(-1, "系统繁忙，请稍后重试");
    } else if (!body.is_object()) {
      answer = failure(kParamError, "参数错误: 请求体不是JSON对象");
    } else {
      try {
        answer = work(request.path, body);
      } catch (const nlohmann::json::exception& e) {  // a member of the wrong type
        answer = failure(kParamError, std::string("参数错误: ") + e.what());
      }
    }
  }
  HttpResponse response = HttpResponse::json(200, answer.dump(-1, ' ', false, Json::error_handler_t::replace));
  faults_.after(response);
  return response;
}

Json FxiaokeSimulator::work(const std::string& path, const Json& body) {
  if (path == "/cgi/corpAccessToken/get/V2") return issue_token(body);
  if (Json refusal = refusal_for_caller(body); !refusal.is_null()) return refusal;
  if (path == "/cgi/crm/v2/data/query") return query(member(body, "data"));
  return update(member(body, "data"));
}

Json FxiaokeSimulator::issue_token(const Json& body) {
  if (body.value("appId", "") != options_.app_id || body.value("appSecret", "") != options_.app_secret ||
      body.value("permanentCode", "") != options_.permanent_code)
    return failure(20001, "appId或appSecret或permanentCode错误");
  static const char* const hex = "0123456789ABCDEF";
  std::string token(32, '0');
  for (char& c : token) c = hex[busy_rng_() % 16];
  tokens_[token] = steady_ms() + options_.token_ttl_ms;
  ++tokens_issued_;
  return {{"errorCode", 0},
          {"errorMessage", "success"},
          {"corpAccessToken", token},
          {"corpId", options_.corp_id},
          {"expiresIn", options_.token_ttl_ms / 1000}};
}

Json FxiaokeSimulator::refusal_for_caller(const Json& body) {
  auto it = tokens_.find(body.value("corpAccessToken", ""));
  if (it == tokens_.end() || it->second <= steady_ms()) {
    ++expired_refusals_;
    return failure(20016, "corpAccessToken已过期");
  }
  if (body.value("corpId", "") != options_.corp_id) return failure(20002, "corpId错误或与corpAccessToken不匹配");
  if (body.value("currentOpenUserId", "") != options_.open_user_id)
    return failure(20003, "currentOpenUserId缺失或不是本企业的员工");
  return nullptr;
}

const FxiaokeSimulator::Table* FxiaokeSimulator::table(const std::string& api_name) const {
  if (api_name == "AccountObj") return &accounts_;
  if (api_name == "ProductObj") return &products_;
  if (api_name == "SalesOrderObj") return &orders_;
  if (api_name == "SalesOrderProductObj") return &lines_;
  return nullptr;
}

Json FxiaokeSimulator::query(const Json& data) const {
  const std::string api_name = member(data, "dataObjectApiName").is_string() ? data["dataObjectApiName"] : "";
  const Table* t = table(api_name);
  if (!t) return failure(kParamError, "参数错误: 对象[" + api_name + "]不存在");
  const Json& info = member(data, "search_query_info");
  auto limit = info.contains("limit") ? whole_number(info["limit"]) : std::optional<int64_t>(20);
  auto offset = info.contains("offset") ? whole_number(info["offset"]) : std::optional<int64_t>(0);
  if (!limit || !offset || *limit <= 0 || *offset < 0) return failure(kParamError, "参数错误: limit/offset");
  *limit = std::min<int64_t>(*limit, kMaxLimit);  // silently

  std::vector<Filter> filters;
  const Json& listed = member(info, "filters");
  if (!listed.is_array() && !(listed.is_object() && listed.empty()))
    return failure(kParamError, "参数错误: filters不是数组");
  for (const auto& f : listed.is_array() ? listed : Json::array()) {
    Filter filter{f.value("field_name", ""), f.value("operator", ""), member(f, "field_values")};
    if (!filter.values.is_array()) filter.values = Json::array({filter.values});
    static const std::set<std::string> ops = {"EQ", "GT", "GTE", "LT", "LTE", "IN"};
    if (!ops.count(filter.op)) return failure(kParamError, "参数错误: 不支持的operator[" + filter.op + "]");
    filters.push_back(std::move(filter));
  }
  std::vector<const Json*> rows;
  for (const Json& row : t->rows)
    if (std::all_of(filters.begin(), filters.end(), [&](const Filter& f) { return matches(row, f); }))
      rows.push_back(&row);
  const Json& orders = member(info, "orders");
  if (orders.is_array() && !orders.empty()) {
    // Stable: rows equal on every listed field keep the insertion order.
    std::stable_sort(rows.begin(), rows.end(), [&](const Json* a, const Json* b) {
      for (const auto& o : orders) {
        const std::string field = o.value("fieldName", "");
        const Json& x = member(*a, field.c_str());
        const Json& y = member(*b, field.c_str());
        const int c = compare_fields(x.is_object() ? Json() : x, y.is_object() ? Json() : y);
        if (c != 0) return o.value("isAsc", true) ? c < 0 : c > 0;
      }
      return false;
    });
  }
  Json list = Json::array();
  for (size_t i = static_cast<size_t>(*offset); i < rows.size() && list.size() < static_cast<size_t>(*limit); ++i)
    list.push_back(*rows[i]);
  return {{"errorCode", 0},
          {"errorMessage", "OK"},
          {"data", {{"dataList", std::move(list)}, {"total", rows.size()}, {"offset", *offset}, {"limit", *limit}}}};
}

Json FxiaokeSimulator::update(const Json& data) {
  const Json& object = member(data, "object_data");
  const std::string api_name = member(object, "dataObjectApiName").is_string() ? object["dataObjectApiName"] : "";
  Table* t = table(api_name);
  if (!t) return failure(kParamError, "参数错误: 对象[" + api_name + "]不存在");
  static const std::map<std::string, std::set<std::string>> writable = {
      {"ProductObj", {"stock_qty__c"}}, {"SalesOrderObj", {"receivable_amount__c", "receivable_no__c", "remark"}}};
  const std::string id = member(object, "_id").is_string() ? object["_id"] : "";
  auto at = t->index.find(id);
  if (at == t->index.end()) return failure(300001, "数据不存在或已作废");
  auto fields = writable.find(api_name);
  for (const auto& [name, value] : object.items()) {
    if (name == "dataObjectApiName" || name == "_id") continue;
    if (fields == writable.end() || !fields->second.count(name)) return failure(300002, "字段[" + name + "]不允许编辑");
  }
  Json& row = t->rows[at->second];
  for (const auto& [name, value] : object.items())
    if (name != "dataObjectApiName" && name != "_id") row[name] = value;
  updates_.push_back(object);
  row["last_modified_time"] = next_time(*t);
  return {{"errorCode", 0}, {"errorMessage", "OK"}, {"dataId", id}};
}

void FxiaokeSimulator::expire_now() {
  std::lock_guard lock(mu_);
  tokens_.clear();
}

std::vector<Json> FxiaokeSimulator::accounts() const {
  std::lock_guard lock(mu_);
  return accounts_.rows;
}

std::vector<Json> FxiaokeSimulator::products() const {
  std::lock_guard lock(mu_);
  return products_.rows;
}

std::vector<Json> FxiaokeSimulator::orders() const {
  std::lock_guard lock(mu_);
  std::map<std::string, Json> lines;  // order _id -> its lines
  for (const Json& line : lines_.rows) {
    Json& list = lines[line["order_id"].get<std::string>()];
    if (list.is_null()) list = Json::array();
    list.push_back(line);
  }
  std::vector<Json> out;
  for (Json order : orders_.rows) {
    auto it = lines.find(order["_id"].get<std::string>());
    order["lines"] = it == lines.end() ? Json::array() : std::move(it->second);
    out.push_back(std::move(order));
  }
  return out;
}

Json FxiaokeSimulator::stats() const {
  std::lock_guard lock(mu_);
  int in_force = 0, eligible = 0, with_receivable = 0, with_stock = 0;
  for (const Json& o : orders_.rows) {
    const bool normal = o["life_status"] != "under_review" && o["life_status"] != "ineffective";
    in_force += normal;
    eligible += normal && !bad_totals_.count(o["name"].get<std::string>());
    with_receivable += !o["receivable_no__c"].is_null();
  }
  for (const Json& p : products_.rows) with_stock += !p["stock_qty__c"].is_null();
  return {{"orders", orders_.rows.size()},
          {"in_force", in_force},
          {"eligible", eligible},
          {"bad_totals", bad_totals_},
          {"with_receivable", with_receivable},
          {"products", products_.rows.size()},
          {"products_with_stock", with_stock},
          {"tokens_issued", tokens_issued_},
          {"expired_token_refusals", expired_refusals_}};
}

std::vector<FxiaokeSimulator::Json> FxiaokeSimulator::updates() const {
  std::lock_guard lock(mu_);
  return updates_;
}

int FxiaokeSimulator::tokens_issued() const {
  std::lock_guard lock(mu_);
  return tokens_issued_;
}

int FxiaokeSimulator::expired_token_refusals() const {
  std::lock_guard lock(mu_);
  return expired_refusals_;
}

std::map<std::string, int> FxiaokeSimulator::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

}  // namespace synchub::simulators
