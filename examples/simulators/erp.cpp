#include "examples/simulators/erp.hpp"

#include <regex>

namespace synchub::simulators {

using Json = nlohmann::ordered_json;
using runtime::HttpRequest;
using runtime::HttpResponse;

namespace {

HttpResponse error(int status, const std::string& message) {
  return HttpResponse::json(status, Json{{"error", message}}.dump());
}

// Quantities: a number or decimal text with at most 3 places.
bool is_quantity(const Json& v) {
  static const std::regex three(R"([0-9]+(\.[0-9]{1,3})?)");
  std::string text = v.is_string() ? v.get<std::string>() : v.is_number() ? v.dump() : "";
  return std::regex_match(text, three);
}

// Money is decimal text with exactly 2 places ("12.50"), as many ERP APIs
// require: no client can lose a cent to binary floating point on the way.
bool is_money(const Json& v) {
  static const std::regex money(R"(-?[0-9]+\.[0-9]{2})");
  return v.is_string() && std::regex_match(v.get<std::string>(), money);
}

}  // namespace

ErpSimulator::ErpSimulator(ErpOptions options) : options_(std::move(options)), faults_(options_.faults) {
  runtime::HttpServerOptions http;
  http.port = options_.port;
  http.threads = 4;
  server_ = std::make_unique<runtime::HttpServer>(http, [this](const HttpRequest& r) { return handle(r); });
}

std::map<std::string, Json> ErpSimulator::orders() const {
  std::lock_guard lock(mu_);
  std::map<std::string, Json> out;
  for (const auto& [no, id] : id_of_) out[no] = by_id_.at(id);
  return out;
}

int ErpSimulator::creates() const {
  std::lock_guard lock(mu_);
  return creates_;
}

HttpResponse ErpSimulator::save_order(const Json& body, const std::string& id) {
  if (!body.is_object()) return error(400, "expected a JSON object");
  if (!body.contains("external_no") || !body["external_no"].is_string() ||
      body["external_no"].get<std::string>().empty())
    return error(422, "external_no is required");
  if (!body.contains("customer_code") || !body["customer_code"].is_string())
    return error(422, "customer_code is required (unknown customer)");
  if (!body.contains("lines") || !body["lines"].is_array() || body["lines"].empty())
    return error(422, "an order needs at least one line");
  for (size_t i = 0; i < body["lines"].size(); ++i) {
    const Json& l = body["lines"][i];
    if (!l.contains("qty") || !is_quantity(l["qty"]) || l["qty"].dump() == "0")
      return error(422, "lines[" + std::to_string(i) + "].qty must be a positive number (3 decimals at most)");
    if (!l.contains("amount") || !is_money(l["amount"]))
      return error(422, "lines[" + std::to_string(i) + "].amount must be decimal text with 2 places, like \"12.50\"");
  }
  if (!body.contains("total") || !is_money(body["total"]))
    return error(422, "total must be decimal text with 2 places, like \"12.50\"");
  std::lock_guard lock(mu_);
  const std::string no = body["external_no"].get<std::string>();
  std::string target = id;
  if (target.empty()) {
    if (id_of_.count(no)) return error(409, "order " + no + " exists as id " + id_of_[no]);
    target = std::to_string(next_id_++);
    ++creates_;
  } else if (!by_id_.count(target)) {
    return error(404, "no sales order " + target);
  } else if (by_id_[target]["external_no"] != no) {
    return error(422, "external_no cannot change");
  }
  Json order = body;
  order["id"] = target;
  order["status"] = "confirmed";
  order["modified_at"] = ++clock_;
  by_id_[target] = order;
  id_of_[no] = target;
  // Confirmed orders are invoiced; a changed order gets its invoice amended.
  const std::string number = "INV-" + std::string(6 - std::min<size_t>(6, target.size()), '0') + target;
  invoices_[number] = Json{{"number", number},
                           {"order_no", no},
                           {"customer_code", order["customer_code"]},
                           {"currency", order.value("currency", "CNY")},
                           {"amount", order["total"]},
                           {"status", "open"},
                           {"modified_at", ++clock_}};
  return HttpResponse::json(id.empty() ? 201 : 200, order.dump());
}

HttpResponse ErpSimulator::handle(const HttpRequest& request) {
  if (request.path == "/healthz") return HttpResponse::json(200, R"({"status":"ok"})");
  if (request.header("X-Api-Key") != options_.api_key) return error(401, "missing or wrong X-Api-Key");
  if (auto refusal = faults_.before()) return *refusal;
  HttpResponse response;
  if (request.path == "/sales_orders" && request.method == "GET") {
    std::lock_guard lock(mu_);
    Json items = Json::array();
    if (request.has_param("external_no")) {
      auto it = id_of_.find(request.param("external_no"));
      if (it != id_of_.end()) items.push_back(by_id_[it->second]);
      response = HttpResponse::json(200, Json{{"items", items}, {"total", items.size()}}.dump());
    } else {
      int64_t after = request.has_param("modified_after") ? std::stoll(request.param("modified_after")) : 0;
      size_t offset = request.has_param("offset") ? std::stoul(request.param("offset")) : 0;
      size_t limit = request.has_param("limit") ? std::stoul(request.param("limit")) : 100;
      std::vector<const Json*> match;
      for (const auto& [id, o] : by_id_)
        if (o["modified_at"].get<int64_t>() > after) match.push_back(&o);
      std::sort(match.begin(), match.end(),
                [](const Json* a, const Json* b) { return (*a)["modified_at"] < (*b)["modified_at"]; });
      for (size_t i = offset; i < match.size() && items.size() < limit; ++i) items.push_back(*match[i]);
      response = HttpResponse::json(200, Json{{"items", items}, {"total", match.size()}}.dump());
    }
  } else if (request.path == "/invoices" && request.method == "GET") {
    std::lock_guard lock(mu_);
    int64_t after = request.has_param("modified_after") ? std::stoll(request.param("modified_after")) : 0;
    size_t offset = request.has_param("offset") ? std::stoul(request.param("offset")) : 0;
    size_t limit = request.has_param("limit") ? std::stoul(request.param("limit")) : 100;
    std::vector<const Json*> match;
    for (const auto& [number, inv] : invoices_)
      if (inv["modified_at"].get<int64_t>() > after) match.push_back(&inv);
    std::sort(match.begin(), match.end(),
              [](const Json* a, const Json* b) { return (*a)["modified_at"] < (*b)["modified_at"]; });
    Json items = Json::array();
    for (size_t i = offset; i < match.size() && items.size() < limit; ++i) items.push_back(*match[i]);
    response = HttpResponse::json(200, Json{{"items", items}, {"total", match.size()}}.dump());
  } else if (request.path == "/sales_orders" && request.method == "POST") {
    response = save_order(Json::parse(request.body, nullptr, false), "");
  } else if (request.path.rfind("/sales_orders/", 0) == 0 && request.method == "PUT") {
    response = save_order(Json::parse(request.body, nullptr, false), request.path.substr(14));
  } else {
    return error(404, "no route " + request.method + " " + request.path);
  }
  faults_.after(response);
  return response;
}

}  // namespace synchub::simulators
