// ERP simulator: customers (with the credit limit the ERP sets), products
// and their stock, the credit listing and the OA approval of held orders.
#include <cstdio>

#include "examples/simulators/erp.hpp"
#include "examples/simulators/erp_listing.hpp"
#include "examples/simulators/money.hpp"

namespace synchub::simulators {

using Json = nlohmann::ordered_json;
using http::HttpRequest;
using http::HttpResponse;

namespace {

HttpResponse error(int status, const std::string& message) {
  return HttpResponse::json(status, Json{{"error", message}}.dump());
}

uint64_t fnv(const std::string& text) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ULL;
  return h;
}

std::string numbered(const char* prefix, size_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%06zu", prefix, n);
  return buf;
}

bool text_field(const Json& body, const char* name) {
  return body.contains(name) && body[name].is_string() && !body[name].get<std::string>().empty();
}

}  // namespace

std::map<std::string, Json> ErpSimulator::customers() const {
  std::lock_guard lock(mu_);
  std::map<std::string, Json> out;
  for (const auto& [code, c] : customers_) out[code] = credit_of(code);
  return out;
}

std::map<std::string, Json> ErpSimulator::approvals() const {
  std::lock_guard lock(mu_);
  std::map<std::string, Json> out;
  for (const auto& [id, a] : approvals_) out[a["order_no"]] = a;
  return out;
}

std::string ErpSimulator::stock_of(const std::string& sku) const {
  std::lock_guard lock(mu_);
  auto it = on_hand_.find(sku);
  return it == on_hand_.end() ? "" : unscaled(it->second, 3);
}

Json ErpSimulator::credit_of(const std::string& code) const {
  const Json& c = customers_.at(code);
  const int64_t limit = *scaled(c["credit_limit"], 2);
  auto used = used_cents_.find(code);
  const int64_t in_use = used == used_cents_.end() ? 0 : used->second;
  auto modified = credit_modified_.find(code);
  return Json{{"customer_code", code},
              {"crm_id", c["crm_id"]},
              {"currency", "CNY"},
              {"credit_limit", c["credit_limit"]},
              {"credit_used", cents_text(in_use)},
              {"credit_available", cents_text(limit - in_use)},
              {"modified_at", modified == credit_modified_.end() ? c["modified_at"].get<int64_t>() : modified->second}};
}

HttpResponse ErpSimulator::route_master(const HttpRequest& request) {
  const std::string& path = request.path;
  const std::string& method = request.method;
  std::lock_guard lock(mu_);
  if (path == "/stats" && method == "GET") {  // what the demo prints
    size_t held = 0, pending = 0;
    for (const auto& [id, o] : by_id_) held += o["status"] == "credit_hold";
    for (const auto& [id, a] : approvals_) pending += a["status"] == "pending";
    return HttpResponse::json(200, Json{{"customers", customers_.size()},
                                        {"products", products_.size()},
                                        {"orders", by_id_.size()},
                                        {"orders_on_credit_hold", held},
                                        {"invoices", invoices_.size()},
                                        {"approvals", approvals_.size()},
                                        {"approvals_pending", pending}}
                                       .dump());
  }
  // ---- customers: created from the CRM's, identified by code -------------
  if (path == "/customers" && method == "GET") {
    std::vector<const Json*> rows;
    for (const auto& [code, c] : customers_)
      if (!request.has_param("crm_id") || c["crm_id"] == request.param("crm_id")) rows.push_back(&c);
    return listing(rows, request);
  }
  if ((path == "/customers" && method == "POST") || (path.rfind("/customers/", 0) == 0 && method == "PUT")) {
    Json body = Json::parse(request.body, nullptr, false);
    if (!body.is_object() || !text_field(body, "crm_id") || !text_field(body, "name"))
      return error(422, "a customer needs crm_id and name");
    const std::string crm_id = body["crm_id"];
    std::string code = method == "PUT" ? path.substr(11) : "";
    if (code.empty()) {
      if (code_of_.count(crm_id)) return error(409, "customer " + crm_id + " exists as " + code_of_[crm_id]);
      code = numbered("CUS-", customers_.size() + 1);
      // The ERP owns credit: 20 to 120 million, fixed per customer.
      body["credit_limit"] = cents_text(static_cast<int64_t>(20 + fnv(crm_id) % 101) * 100000000LL);
    } else if (!customers_.count(code)) {
      return error(404, "no customer " + code);
    } else if (customers_[code]["crm_id"] != crm_id) {
      return error(422, "crm_id cannot change");
    } else {
      body["credit_limit"] = customers_[code]["credit_limit"];
    }
    body["code"] = code;
    body["modified_at"] = ++clock_;
    const bool created = !customers_.count(code);
    customers_[code] = body;
    code_of_[crm_id] = code;
    if (created) credit_modified_[code] = body["modified_at"].get<int64_t>();
    return HttpResponse::json(created ? 201 : 200, body.dump());
  }
  // ---- products and their stock ---------------------------------------------
  if (path == "/products" && method == "GET") {
    std::vector<const Json*> rows;
    for (const auto& [sku, p] : products_)
      if (!request.has_param("sku") || sku == request.param("sku")) rows.push_back(&p);
    return listing(rows, request);
  }
  if ((path == "/products" && method == "POST") || (path.rfind("/products/", 0) == 0 && method == "PUT")) {
    Json body = Json::parse(request.body, nullptr, false);
    if (!body.is_object() || !text_field(body, "sku") || !text_field(body, "name"))
      return error(422, "a product needs sku and name");
    const std::string sku = body["sku"];
    if (method == "POST" && products_.count(sku)) return error(409, "product " + sku + " exists");
    if (method == "PUT" && (path.substr(10) != sku || !products_.count(sku)))
      return error(path.substr(10) != sku ? 422 : 404, "no product " + path.substr(10));
    body["modified_at"] = ++clock_;
    const bool created = !products_.count(sku);
    products_[sku] = body;
    if (created) {
      on_hand_[sku] = static_cast<int64_t>(200 + fnv(sku) % 800) * 1000;  // opening stock
      stock_modified_[sku] = clock_;
    }
    return HttpResponse::json(created ? 201 : 200, body.dump());
  }
  if (path == "/stock" && method == "GET") {
    std::vector<Json> levels;
    levels.reserve(on_hand_.size());
    for (const auto& [sku, milli] : on_hand_)
      levels.push_back(Json{
          {"sku", sku}, {"warehouse", "WH01"}, {"on_hand", unscaled(milli, 3)}, {"modified_at", stock_modified_[sku]}});
    std::vector<const Json*> rows;
    for (const auto& l : levels) rows.push_back(&l);
    return listing(rows, request);
  }
  if (path == "/credit" && method == "GET") {
    std::vector<Json> credit;
    credit.reserve(customers_.size());
    for (const auto& [code, c] : customers_) credit.push_back(credit_of(code));
    std::vector<const Json*> rows;
    for (const auto& c : credit) rows.push_back(&c);
    return listing(rows, request);
  }
  // ---- OA approvals of orders held over credit --------------------------------
  if (path == "/approvals" && method == "GET") {
    std::vector<const Json*> rows;
    for (const auto& [id, a] : approvals_)
      if (!request.has_param("order_no") || a["order_no"] == request.param("order_no")) rows.push_back(&a);
    return listing(rows, request);
  }
  if (path == "/approvals" && method == "POST") {
    Json body = Json::parse(request.body, nullptr, false);
    if (!body.is_object() || !text_field(body, "order_no")) return error(422, "an approval needs order_no");
    const std::string no = body["order_no"];
    if (approval_of_.count(no)) return error(409, "order " + no + " has approval " + approval_of_[no]);
    auto order = id_of_.find(no);
    if (order == id_of_.end()) return error(422, "no sales order " + no);
    if (by_id_[order->second]["status"] != "credit_hold") return error(422, "order " + no + " is not on credit hold");
    const std::string id = numbered("AP-", approvals_.size() + 1);
    body["id"] = id;
    body["status"] = "pending";
    body["modified_at"] = ++clock_;
    approvals_[id] = body;
    approval_of_[no] = id;
    return HttpResponse::json(201, body.dump());
  }
  if (path.rfind("/approvals/", 0) == 0 && path.size() > 19 && path.substr(path.size() - 8) == "/approve" &&
      method == "POST") {
    auto it = approvals_.find(path.substr(11, path.size() - 19));
    if (it == approvals_.end()) return error(404, "no approval " + path.substr(11, path.size() - 19));
    Json& approval = it->second;
    Json& order = by_id_[id_of_[approval["order_no"].get<std::string>()]];
    if (order["status"] == "credit_hold") {
      order["approved"] = true;
      order["modified_at"] = ++clock_;
      confirm(order);
    }
    approval["status"] = "approved";
    approval["modified_at"] = ++clock_;
    return HttpResponse::json(200, approval.dump());
  }
  return error(404, "no route " + method + " " + path);
}

}  // namespace synchub::simulators
