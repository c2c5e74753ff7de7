#include "examples/simulators/crm.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "examples/generator/crm_orders.hpp"
#include "http/http_client.hpp"
#include "http/signing.hpp"

namespace synchub::simulators {

using Json = nlohmann::ordered_json;
using http::HttpRequest;
using http::HttpResponse;

namespace {

int64_t steady_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// 2024-01-01T00:00:00Z plus `seq` seconds, as ISO-8601 UTC.
std::string stamp(int64_t seq) {
  int64_t t = 1704067200 + seq;
  std::time_t tt = static_cast<std::time_t>(t);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&tt));
  return buf;
}

HttpResponse error(int status, const std::string& code) {
  return HttpResponse::json(status, Json{{"error", code}}.dump());
}

Json without_seq(Json row) {
  row.erase("_seq");
  return row;
}

}  // namespace

CrmSimulator::CrmSimulator(CrmOptions options) : options_(std::move(options)), faults_(options_.faults) {
  trickle(options_.orders, 0);  // what the CRM holds already: no webhooks for it
  if (!options_.webhook_url.empty()) {
    hooks_on_ = true;
    sender_ = std::thread([this] { send_webhooks(); });
  }
  http::HttpServerOptions http;
  http.port = options_.port;
  http.threads = 4;
  server_ = std::make_unique<http::HttpServer>(http, [this](const HttpRequest& r) { return handle(r); });
}

CrmSimulator::~CrmSimulator() {
  server_->stop();
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  hooks_cv_.notify_all();
  if (sender_.joinable()) sender_.join();
}

void CrmSimulator::touch(Json& row) {
  if (row.contains("_seq")) text_.erase(row["_seq"].get<int64_t>());
  // Several rows share a second: clients must break ties by id.
  row["updated_at"] = stamp(++seq_ / 3);
  row["_seq"] = seq_;
}

void CrmSimulator::add_master_data(const Json& order) {
  const Json& customer = order["customer"];
  if (customer.contains("id") && customer_ids_.insert(customer["id"].get<std::string>()).second) {
    Json c = {{"id", customer["id"]}, {"name", customer.value("name", "")}};
    if (customer.contains("tax_id")) c["tax_id"] = customer["tax_id"];
    // shown to reps, filled from the ERP
    c["credit_limit"] = nullptr;
    c["credit_used"] = nullptr;
    c["credit_available"] = nullptr;
    touch(c);
    customers_.push_back(std::move(c));
  }
  for (const auto& line : order["lines"]) {
    const std::string code = line.value("product_code", "");
    if (code.empty() || !product_codes_.insert(code).second) continue;
    Json p = {
        {"code", code}, {"name", line.value("name", "")}, {"uom", line.value("uom", "")}, {"stock_level", nullptr}};
    touch(p);
    products_.push_back(std::move(p));
  }
}

void CrmSimulator::trickle(int count, int edits) {
  std::vector<std::string> hooks;
  {
    std::lock_guard lock(mu_);
    for (int i = 0; i < count; ++i) {
      Json order = Json::parse(examples::make_crm_order(static_cast<uint64_t>(next_index_++), options_.seed));
      add_master_data(order);
      touch(order);
      if (hooks_on_) hooks.push_back(without_seq(order).dump());
      orders_.push_back(std::move(order));
    }
    for (int i = 0; i < edits && !orders_.empty(); ++i) {
      const size_t at = static_cast<size_t>((i * 7919 + seq_) % static_cast<int64_t>(orders_.size()));
      Json order = std::move(orders_[at]);
      orders_.erase(orders_.begin() + static_cast<long>(at));
      order["remarks"] = "edited " + std::to_string(seq_);
      touch(order);  // the newest: it goes last
      if (hooks_on_) hooks.push_back(without_seq(order).dump());
      orders_.push_back(std::move(order));
    }
    for (auto& h : hooks) hooks_.push_back(std::move(h));
  }
  hooks_cv_.notify_one();
}

void CrmSimulator::send_webhooks() {
  http::HttpClient client({std::chrono::milliseconds(2000), std::chrono::milliseconds(10000), true, ""});
  std::unique_lock lock(mu_);
  while (true) {
    hooks_cv_.wait(lock, [&] { return stopping_ || !hooks_.empty(); });
    if (stopping_) return;
    std::string body = std::move(hooks_.front());
    hooks_.pop_front();
    lock.unlock();
    bool delivered = false;
    for (int attempt = 0; attempt < 5 && !delivered; ++attempt) {
      if (attempt) std::this_thread::sleep_for(std::chrono::milliseconds(200 << attempt));
      const std::string ts = std::to_string(std::time(nullptr));
      auto reply = client.send({"POST",
                                options_.webhook_url,
                                {{"Content-Type", "application/json"},
                                 {"X-Synchub-Timestamp", ts},
                                 {"X-Synchub-Signature", http::webhook_signature(options_.webhook_secret, ts, body)}},
                                body});
      delivered = reply.status >= 200 && reply.status < 300;
    }
    lock.lock();
    if (delivered) ++hooks_sent_;
  }
}

int CrmSimulator::webhooks_sent() const {
  std::lock_guard lock(mu_);
  return hooks_sent_;
}

std::vector<Json> CrmSimulator::orders() const {
  std::lock_guard lock(mu_);
  return orders_;
}

std::vector<Json> CrmSimulator::customers() const {
  std::lock_guard lock(mu_);
  return customers_;
}

std::vector<Json> CrmSimulator::products() const {
  std::lock_guard lock(mu_);
  return products_;
}

// updated_since (>=) and cursor paging over rows kept in (updated_at, id) order.
HttpResponse CrmSimulator::list(const std::vector<Json>& rows, const HttpRequest& request) const {
  const std::string since = request.param("updated_since");
  size_t limit = 100, start = 0;
  try {
    if (request.has_param("limit")) limit = std::clamp<size_t>(std::stoul(request.param("limit")), 1, 1000);
    if (request.has_param("cursor")) start = std::stoul(request.param("cursor"));
  } catch (const std::exception&) {
    return error(400, "invalid_paging");
  }
  // Rows are in _seq order, and updated_at grows with _seq: the rows since
  // `since` are a tail, found by binary search.
  auto first = std::partition_point(
      rows.begin(), rows.end(), [&](const Json& r) { return r["updated_at"].get_ref<const std::string&>() < since; });
  const size_t match = static_cast<size_t>(rows.end() - first);
  std::string body = "{\"data\":[";
  size_t taken = 0;
  for (size_t i = start; i < match && taken < limit; ++i, ++taken) {
    const Json& row = *(first + static_cast<long>(i));
    std::string& text = text_[row["_seq"].get<int64_t>()];  // serialised once per version
    if (text.empty()) text = without_seq(row).dump();
    if (taken) body += ',';
    body += text;
  }
  const size_t next = start + taken < match ? start + taken : 0;
  body += "],\"next_cursor\":";
  if (next) {
    body += '"';
    body += std::to_string(next);
    body += '"';
  } else {
    body += "null";
  }
  body += '}';
  return HttpResponse::json(200, std::move(body));
}

// Changes the `writable` fields of one row; it becomes the newest.
HttpResponse CrmSimulator::patch(std::vector<Json>& rows, const char* id_field, const std::string& id,
                                 const std::string& text, const std::vector<std::string>& writable) {
  Json body = Json::parse(text, nullptr, false);
  if (!body.is_object()) return error(400, "invalid_json");
  for (const auto& [name, value] : body.items())
    if (std::find(writable.begin(), writable.end(), name) == writable.end()) return error(422, "read_only:" + name);
  auto it = std::find_if(rows.begin(), rows.end(), [&](const Json& r) { return r[id_field] == id; });
  if (it == rows.end()) return error(404, "not_found");
  Json row = std::move(*it);
  rows.erase(it);
  for (const auto& [name, value] : body.items()) row[name] = value;
  touch(row);
  rows.push_back(row);
  return HttpResponse::json(200, without_seq(row).dump());
}

HttpResponse CrmSimulator::handle(const HttpRequest& request) {
  if (request.path == "/healthz") return HttpResponse::json(200, R"({"status":"ok"})");
  if (request.path == "/oauth/token" && request.method == "POST") {
    if (request.body.find("grant_type=client_credentials") == std::string::npos)
      return error(400, "unsupported_grant_type");
    if (request.body.find("client_id=" + options_.client_id) == std::string::npos ||
        request.body.find("client_secret=" + options_.client_secret) == std::string::npos)
      return error(401, "invalid_client");
    std::lock_guard lock(mu_);
    std::string token = "crm-" + std::to_string(seq_) + "-" + std::to_string(tokens_.size());
    tokens_[token] = steady_seconds() + options_.token_ttl_seconds;
    return HttpResponse::json(
        200,
        Json{{"access_token", token}, {"token_type", "Bearer"}, {"expires_in", options_.token_ttl_seconds}}.dump());
  }
  {
    std::string auth = request.header("Authorization");
    std::lock_guard lock(mu_);
    auto it = auth.rfind("Bearer ", 0) == 0 ? tokens_.find(auth.substr(7)) : tokens_.end();
    if (it == tokens_.end() || it->second < steady_seconds()) return error(401, "invalid_token");
  }
  if (auto refusal = faults_.before()) return *refusal;
  const std::string& path = request.path;
  HttpResponse response;
  {
    std::lock_guard lock(mu_);
    if (request.method == "GET" && path == "/stats") {  // what the demo prints
      auto count = [](const std::vector<Json>& rows, const char* field) {
        return std::count_if(rows.begin(), rows.end(),
                             [&](const Json& r) { return r.contains(field) && !r[field].is_null(); });
      };
      return HttpResponse::json(200, Json{{"orders", orders_.size()},
                                          {"orders_with_invoice", count(orders_, "invoice")},
                                          {"customers", customers_.size()},
                                          {"customers_with_credit", count(customers_, "credit_limit")},
                                          {"products", products_.size()},
                                          {"products_with_stock", count(products_, "stock_level")}}
                                         .dump());
    } else if (request.method == "GET" && path == "/orders") {
      response = list(orders_, request);
    } else if (request.method == "GET" && path == "/customers") {
      response = list(customers_, request);
    } else if (request.method == "GET" && path == "/products") {
      response = list(products_, request);
    } else if (request.method == "PATCH" && path.rfind("/customers/", 0) == 0) {
      response = patch(customers_, "id", path.substr(11), request.body,
                       {"credit_limit", "credit_used", "credit_available", "erp_code"});
    } else if (request.method == "PATCH" && path.rfind("/products/", 0) == 0) {
      response = patch(products_, "code", path.substr(10), request.body, {"stock_level", "stock_updated_at"});
    } else if (request.method == "PUT" && path.rfind("/orders/", 0) == 0 && path.size() > 16 &&
               path.substr(path.size() - 8) == "/invoice") {
      Json invoice = Json::parse(request.body, nullptr, false);
      if (!invoice.is_object()) return error(400, "invalid_json");
      response =
          patch(orders_, "order_no", path.substr(8, path.size() - 16), Json{{"invoice", invoice}}.dump(), {"invoice"});
    } else if (request.method == "GET" && path.rfind("/orders/", 0) == 0) {
      auto it =
          std::find_if(orders_.begin(), orders_.end(), [&](const Json& o) { return o["order_no"] == path.substr(8); });
      response = it == orders_.end() ? error(404, "not_found") : HttpResponse::json(200, without_seq(*it).dump());
    } else {
      response = error(404, "not_found");
    }
  }
  faults_.after(response);
  return response;
}

}  // namespace synchub::simulators
