// ERP simulator: routing, sales orders (single and batch) and invoices.
// Master data, stock, credit and approvals: erp_master.cpp.
#include "examples/simulators/erp.hpp"

#include "examples/simulators/erp_listing.hpp"
#include "examples/simulators/money.hpp"

namespace synchub::simulators {

using Json = nlohmann::ordered_json;
using http::HttpRequest;
using http::HttpResponse;

namespace {

// Money is decimal text with exactly 2 places ("12.50"), as many ERP APIs
// require: no client can lose a cent to binary floating point on the way.
bool is_money(const Json& v) {
  if (!v.is_string()) return false;
  const std::string& t = v.get_ref<const std::string&>();
  const size_t dot = t.find('.');
  return dot != std::string::npos && dot + 3 == t.size() && scaled(t, 2).has_value();
}

std::optional<int64_t> thousandths(const Json& v) {
  if (v.is_number()) return scaled(v.dump(), 3);
  return scaled(v, 3);
}

std::string invoice_number(const std::string& id) {
  return "INV-" + std::string(6 - std::min<size_t>(6, id.size()), '0') + id;
}

}  // namespace

ErpSimulator::ErpSimulator(ErpOptions options) : options_(std::move(options)), faults_(options_.faults) {
  http::HttpServerOptions http;
  http.port = options_.port;
  http.threads = 4;
  server_ = std::make_unique<http::HttpServer>(http, [this](const HttpRequest& r) { return handle(r); });
}

ErpSimulator::~ErpSimulator() {
  server_->stop();  // no handler runs on a half-destroyed simulator
}

std::string ErpSimulator::base_url() const {
  return server_->base_url();
}

std::map<std::string, Json> ErpSimulator::orders() const {
  std::lock_guard lock(mu_);
  std::map<std::string, Json> out;
  for (const auto& [no, id] : id_of_) out[no] = by_id_.at(id);
  return out;
}

std::map<std::string, std::chrono::steady_clock::time_point> ErpSimulator::creation_times() const {
  std::lock_guard lock(mu_);
  return created_at_;
}

int ErpSimulator::creates() const {
  std::lock_guard lock(mu_);
  return creates_;
}

void ErpSimulator::confirm(Json& order) {
  order["status"] = "confirmed";
  const std::string id = order["id"];
  const std::string number = invoice_number(id);
  invoices_[number] = Json{{"number", number},
                           {"order_no", order["external_no"]},
                           {"customer_code", order["customer_code"]},
                           {"currency", order.value("currency", "CNY")},
                           {"amount", order["total"]},
                           {"status", "open"},
                           {"modified_at", ++clock_}};
  const std::string code = order["customer_code"];
  if (customers_.count(code)) {
    used_cents_[code] += *scaled(order["total"], 2);
    credit_modified_[code] = ++clock_;
  }
  for (const auto& line : order["lines"]) {  // shipped from stock
    const std::string sku = line.value("sku", "");
    if (!on_hand_.count(sku)) continue;
    on_hand_[sku] -= *thousandths(line["qty"]);
    stock_modified_[sku] = ++clock_;
  }
}

void ErpSimulator::unconfirm(Json& order) {
  if (order["status"] != "confirmed") return;
  const std::string code = order["customer_code"];
  if (customers_.count(code)) {
    used_cents_[code] -= *scaled(order["total"], 2);
    credit_modified_[code] = ++clock_;
  }
  for (const auto& line : order["lines"]) {  // back into stock
    const std::string sku = line.value("sku", "");
    if (!on_hand_.count(sku)) continue;
    on_hand_[sku] += *thousandths(line["qty"]);
    stock_modified_[sku] = ++clock_;
  }
}

ErpSimulator::Saved ErpSimulator::save_order(Json body, std::string id) {
  auto refuse = [](int status, const std::string& message) { return Saved{status, "", message}; };
  if (!body.is_object()) return refuse(400, "expected a JSON object");
  if (!body.contains("external_no") || !body["external_no"].is_string() ||
      body["external_no"].get<std::string>().empty())
    return refuse(422, "external_no is required");
  if (!body.contains("customer_code") || !body["customer_code"].is_string())
    return refuse(422, "customer_code is required (unknown customer)");
  if (options_.strict_customers && !customers_.count(body["customer_code"].get<std::string>()))
    return refuse(422, "unknown customer " + body["customer_code"].get<std::string>());
  if (!body.contains("lines") || !body["lines"].is_array() || body["lines"].empty())
    return refuse(422, "an order needs at least one line");
  for (size_t i = 0; i < body["lines"].size(); ++i) {
    const Json& l = body["lines"][i];
    auto qty = l.contains("qty") ? thousandths(l["qty"]) : std::nullopt;
    if (!qty || *qty <= 0)
      return refuse(422, "lines[" + std::to_string(i) + "].qty must be a positive number (3 decimals at most)");
    if (!l.contains("amount") || !is_money(l["amount"]))
      return refuse(422, "lines[" + std::to_string(i) + "].amount must be decimal text with 2 places, like \"12.50\"");
  }
  if (!body.contains("total") || !is_money(body["total"]))
    return refuse(422, "total must be decimal text with 2 places, like \"12.50\"");
  const std::string no = body["external_no"].get<std::string>();
  if (failing_.count(no)) {
    ++refused_;
    return refuse(503, "order " + no + " cannot be saved now (try again later)");
  }
  const bool create = id.empty();
  if (create) {
    if (id_of_.count(no)) return refuse(409, "order " + no + " exists as id " + id_of_[no]);
    id = std::to_string(next_id_++);
    ++creates_;
    created_at_[no] = std::chrono::steady_clock::now();
  } else if (!by_id_.count(id)) {
    return refuse(404, "no sales order " + id);
  } else if (by_id_[id]["external_no"] != no) {
    return refuse(422, "external_no cannot change");
  } else {
    unconfirm(by_id_[id]);
  }
  Json& order = body;
  order["id"] = id;
  order["modified_at"] = ++clock_;
  const std::string code = order["customer_code"];
  const bool approved = !create && by_id_[id].value("approved", false);
  if (approved) order["approved"] = true;
  if (options_.strict_customers && !approved &&
      used_cents_[code] + *scaled(order["total"], 2) > *scaled(customers_[code]["credit_limit"], 2)) {
    order["status"] = "credit_hold";  // waits for an approval (POST /approvals/{id}/approve)
  } else {
    confirm(order);
  }
  by_id_[id] = std::move(order);
  id_of_[no] = id;
  return Saved{create ? 201 : 200, id, ""};
}

HttpResponse ErpSimulator::answer(const Saved& saved) const {
  if (saved.status >= 300) return HttpResponse::json(saved.status, Json{{"error", saved.error}}.dump());
  return HttpResponse::json(saved.status, by_id_.at(saved.id).dump());
}

// {"orders": [...]} -> {"results": [{"status", "id"} or {"status", "error"}]}, in order.
HttpResponse ErpSimulator::save_batch(const std::string& text) {
  Json body = Json::parse(text, nullptr, false);
  if (!body.is_object() || !body.contains("orders") || !body["orders"].is_array())
    return HttpResponse::json(400, R"({"error":"expected {\"orders\": [...]}"})");
  if (body["orders"].size() > 1000) return HttpResponse::json(413, R"({"error":"at most 1000 orders per batch"})");
  Json results = Json::array();
  std::lock_guard lock(mu_);
  for (auto& order : body["orders"]) {
    std::string id;
    if (order.is_object() && order.contains("external_no") && order["external_no"].is_string())
      if (auto it = id_of_.find(order["external_no"].get<std::string>()); it != id_of_.end()) id = it->second;
    Saved saved = save_order(std::move(order), id);
    if (saved.status < 300)
      results.push_back({{"status", saved.status}, {"id", saved.id}, {"state", by_id_[saved.id]["status"]}});
    else
      results.push_back({{"status", saved.status}, {"error", saved.error}});
  }
  return HttpResponse::json(200, Json{{"results", results}}.dump());
}

HttpResponse ErpSimulator::handle(const HttpRequest& request) {
  if (request.path == "/healthz") return HttpResponse::json(200, R"({"status":"ok"})");
  if (request.header("X-Api-Key") != options_.api_key)
    return HttpResponse::json(401, R"({"error":"missing or wrong X-Api-Key"})");
  if (auto refusal = faults_.before()) return *refusal;
  {
    std::lock_guard lock(mu_);
    if (down_) return HttpResponse::json(503, R"({"error":"ERP down for maintenance"})");
  }
  HttpResponse response;
  if (request.path == "/sales_orders" && request.method == "GET") {
    std::lock_guard lock(mu_);
    if (request.has_param("external_no")) {
      Json items = Json::array();
      if (auto it = id_of_.find(request.param("external_no")); it != id_of_.end()) items.push_back(by_id_[it->second]);
      response = HttpResponse::json(200, Json{{"items", items}, {"total", items.size()}}.dump());
    } else {
      const std::string status = request.param("status");
      std::vector<const Json*> rows;
      for (const auto& [id, o] : by_id_)
        if (status.empty() || o["status"] == status) rows.push_back(&o);
      response = listing(rows, request);
    }
  } else if (request.path == "/invoices" && request.method == "GET") {
    std::lock_guard lock(mu_);
    std::vector<const Json*> rows;
    for (const auto& [number, inv] : invoices_) rows.push_back(&inv);
    response = listing(rows, request);
  } else if (request.path == "/sales_orders/batch" && request.method == "POST") {
    response = save_batch(request.body);
  } else if (request.path == "/sales_orders" && request.method == "POST") {
    std::lock_guard lock(mu_);
    response = answer(save_order(Json::parse(request.body, nullptr, false), ""));
  } else if (request.path.rfind("/sales_orders/", 0) == 0 && request.method == "PUT") {
    std::lock_guard lock(mu_);
    response = answer(save_order(Json::parse(request.body, nullptr, false), request.path.substr(14)));
  } else {
    response = route_master(request);
  }
  faults_.after(response);
  return response;
}

}  // namespace synchub::simulators
