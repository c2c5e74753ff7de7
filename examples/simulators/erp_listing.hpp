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
  // Each row's time read once and sorted as a number: a page of a 50,000-row listing sorted the
  // rows by looking the field up in both JSON objects of every comparison (13.5 s for the listing).
  std::vector<std::pair<int64_t, const Json*>> changed;
  changed.reserve(rows.size());
  for (const Json* r : rows)
    if (const int64_t at = (*r)["modified_at"].get<int64_t>(); at > after) changed.emplace_back(at, r);
  std::stable_sort(changed.begin(), changed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  Json items = Json::array();
  for (size_t i = static_cast<size_t>(offset); i < changed.size() && items.size() < static_cast<size_t>(limit); ++i)
    items.push_back(*changed[i].second);
  return http::HttpResponse::json(200, Json{{"items", items}, {"total", changed.size()}}.dump());
}

}  // namespace synchub::simulators
