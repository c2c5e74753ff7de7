#include "runtime/admin/route_table.hpp"

#include <algorithm>
#include <cstdint>

#include "config/units.hpp"

namespace synchub::runtime {

namespace {

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    const size_t slash = path.find('/');
    std::string_view part = path.substr(0, slash);
    if (!part.empty()) parts.push_back(part);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

bool is_capture(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// The captures when `pattern` matches `path` (its segments, each decoded), with how many there
// are (fewer: more literal).
bool matches(std::string_view pattern, const std::vector<std::string>& path, PathParams& params, size_t& captures) {
  const std::vector<std::string_view> want = segments(pattern);
  if (want.size() != path.size()) return false;
  params.clear();
  captures = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    if (is_capture(want[i])) {
      params.emplace(std::string(want[i].substr(1, want[i].size() - 2)), path[i]);
      ++captures;
    } else if (want[i] != path[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

const char* role_name(Role role) {
  switch (role) {
    case Role::Open: return "open";
    case Role::Viewer: return "viewer";
    case Role::Operator: return "operator";
  }
  return "?";
}

RouteTable::Match RouteTable::match(std::string_view method, std::string_view path) const {
  const std::string_view wanted = method == "HEAD" ? "GET" : method;
  // Split as sent, then each segment decoded on its own (once, for every route): a capture may
  // hold a '/' sent as %2F, a document key such as "2024/SO-1".
  std::vector<std::string> parts;
  for (std::string_view segment : segments(path)) parts.push_back(config::path_decode(segment));
  // Only the most literal patterns that match take part: /api/v1/dlq/replay hides
  // /api/v1/dlq/{id} for that path, under every method.
  std::vector<std::pair<const Route*, PathParams>> candidates;
  size_t fewest = SIZE_MAX;
  for (const Route& route : routes_) {
    PathParams params;
    size_t captures = 0;
    if (!matches(route.pattern, parts, params, captures) || captures > fewest) continue;
    if (captures < fewest) candidates.clear();
    fewest = captures;
    candidates.emplace_back(&route, std::move(params));
  }
  Match found;
  if (candidates.empty()) return found;
  found.path_known = true;
  found.least_role = Role::Operator;
  std::vector<std::string_view> methods;
  for (auto& [route, params] : candidates) {
    found.least_role = std::min(found.least_role, route->role);
    if (route->method == wanted && !found.route) {
      found.route = route;
      found.params = std::move(params);
    }
    if (std::find(methods.begin(), methods.end(), route->method) == methods.end()) methods.push_back(route->method);
    if (route->method == "GET" && std::find(methods.begin(), methods.end(), "HEAD") == methods.end())
      methods.push_back("HEAD");  // every GET route answers HEAD too
  }
  if (found.route) return found;
  for (std::string_view m : methods) found.allow += (found.allow.empty() ? "" : ", ") + std::string(m);
  return found;
}

}  // namespace synchub::runtime
