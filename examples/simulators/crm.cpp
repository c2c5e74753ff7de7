#include "examples/simulators/crm.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "examples/generator/crm_orders.hpp"

namespace synchub::simulators {

using Json = nlohmann::ordered_json;
using runtime::HttpRequest;
using runtime::HttpResponse;

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

}  // namespace

CrmSimulator::CrmSimulator(CrmOptions options) : options_(std::move(options)), faults_(options_.faults) {
  trickle(options_.orders, 0);
  runtime::HttpServerOptions http;
  http.port = options_.port;
  http.threads = 4;
  server_ = std::make_unique<runtime::HttpServer>(http, [this](const HttpRequest& r) { return handle(r); });
}

void CrmSimulator::touch(Json& order) {
  // Several orders share a second: clients must break ties by id.
  order["updated_at"] = stamp(++seq_ / 3);
  order["_seq"] = seq_;
}

void CrmSimulator::trickle(int count, int edits) {
  std::lock_guard lock(mu_);
  for (int i = 0; i < count; ++i) {
    Json order = Json::parse(examples::make_crm_order(static_cast<uint64_t>(next_index_++), options_.seed));
    touch(order);
    orders_.push_back(std::move(order));
  }
  for (int i = 0; i < edits && !orders_.empty(); ++i) {
    Json& order = orders_[static_cast<size_t>((i * 7919) % static_cast<int>(orders_.size()))];
    order["remarks"] = "edited " + std::to_string(seq_);
    touch(order);
  }
  std::sort(orders_.begin(), orders_.end(), [](const Json& a, const Json& b) { return a["_seq"] < b["_seq"]; });
}

std::vector<Json> CrmSimulator::orders() const {
  std::lock_guard lock(mu_);
  return orders_;
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
  if (request.path != "/orders" || request.method != "GET") return error(404, "not_found");
  const std::string since = request.param("updated_since");
  const size_t limit =
      std::clamp<size_t>(request.has_param("limit") ? std::stoul(request.param("limit")) : 100, 1, 1000);
  size_t start = request.has_param("cursor") ? std::stoul(request.param("cursor")) : 0;
  Json data = Json::array();
  size_t next = 0;
  {
    std::lock_guard lock(mu_);
    std::vector<const Json*> match;
    for (const auto& o : orders_)
      if (o["updated_at"].get<std::string>() >= since) match.push_back(&o);
    for (size_t i = start; i < match.size() && data.size() < limit; ++i) {
      Json o = *match[i];
      o.erase("_seq");
      data.push_back(std::move(o));
    }
    if (start + data.size() < match.size()) next = start + data.size();
  }
  HttpResponse response = HttpResponse::json(
      200, Json{{"data", data}, {"next_cursor", next ? Json(std::to_string(next)) : Json(nullptr)}}.dump());
  faults_.after(response);
  return response;
}

}  // namespace synchub::simulators
