// The admin API's routes as one table: method, path pattern, the role a caller needs, the
// handler and one line of help. Matching prefers the most literal pattern (/api/v1/dlq/replay
// before /api/v1/dlq/{id}); a GET route also answers HEAD (the HTTP server leaves the body out);
// a path served under other methods only is told apart from one not served at all (405 with
// Allow, not 404); the help lines make the route list (GET /api/v1/routes).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "http/http_server.hpp"

namespace synchub::runtime {

// What a route needs, and what a caller's token gives: ordered, so a caller may use a route when
// its role is at least the route's. A caller without a valid token has Role::Open.
enum class Role { Open, Viewer, Operator };
const char* role_name(Role role);  // "open", "viewer", "operator"

// The {name} segments of a pattern, by name: "/api/v1/flows/{name}" on /api/v1/flows/orders
// gives {"name": "orders"}.
using PathParams = std::map<std::string, std::string, std::less<>>;
using RouteHandler = std::function<http::HttpResponse(const http::HttpRequest&, const PathParams&)>;

struct Route {
  std::string method;   // GET, POST, DELETE
  std::string pattern;  // "/api/v1/flows/{name}/runs": a {capture} matches one path segment
  Role role = Role::Viewer;
  RouteHandler handler;
  std::string help;  // one line: what it answers or does, and its query parameters
};

class RouteTable {
 public:
  explicit RouteTable(std::vector<Route> routes) : routes_(std::move(routes)) {}

  struct Match {
    const Route* route = nullptr;  // the route for the method; null when there is none
    PathParams params;             // the route's captures
    bool path_known = false;       // some route has this path (under any method)
    std::string allow;             // the path's methods, "GET, DELETE", when route is null
    Role least_role = Role::Open;  // the least role among the routes with this path
  };
  // `path` as sent, percent-encoded; each segment is decoded on its own. Empty segments are
  // ignored ("/api/v1/flows/" is "/api/v1/flows"); HEAD finds a GET route.
  Match match(std::string_view method, std::string_view path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace synchub::runtime
