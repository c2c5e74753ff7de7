// ERP listings: rows changed after `modified_after`, oldest change first,
// paged by offset and limit: {"items": [...], "total": N}.
#pragma once

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "http/http_server.hpp"

namespace synchub::simulators {

inline http::HttpResponse listing(std::vector<const nlohmann::ordered_json*> rows, const http::HttpRequest& request) {
  using Json = nlohmann::ordered_json;
  auto number = [&](const char* name, int64_t fallback) -> int64_t {
    try {
      return request.has_param(name) ? std::stoll(request.param(name)) : fallback;
    } catch (const std::exception&) {
      return int64_t{-1};
    }
  };
  const int64_t after = number("modified_after", 0), offset = number("offset", 0), limit = number("limit", 100);
  if (after < 0 || offset < 0 || limit < 1 || limit > 1000)
    return http::HttpResponse::json(
        400, R"({"error":"modified_after and offset must be numbers >= 0, limit between 1 and 1000"})");
  std::erase_if(rows, [&](const Json* r) { return (*r)["modified_at"].get<int64_t>() <= after; });
  std::sort(rows.begin(), rows.end(),
            [](const Json* a, const Json* b) { return (*a)["modified_at"] < (*b)["modified_at"]; });
  Json items = Json::array();
  for (size_t i = static_cast<size_t>(offset); i < rows.size() && items.size() < static_cast<size_t>(limit); ++i)
    items.push_back(*rows[i]);
  return http::HttpResponse::json(200, Json{{"items", items}, {"total", rows.size()}}.dump());
}

}  // namespace synchub::simulators
