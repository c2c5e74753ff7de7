// The admin API's route table: the most literal pattern wins, captures, HEAD on GET routes, 405
// with the path's methods, and the least role a path needs (for 401 before 405).
#include "runtime/admin/route_table.hpp"

#include <gtest/gtest.h>

namespace synchub::runtime {
namespace {

RouteTable example_table() {
  auto answer = [](const std::string& what) {
    return [what](const http::HttpRequest&, const PathParams&) { return http::HttpResponse::json(200, what); };
  };
  return RouteTable({
      {"GET", "/healthz", Role::Open, answer("health"), "liveness"},
      {"GET", "/api/v1/dlq", Role::Viewer, answer("list"), "dead letters"},
      {"POST", "/api/v1/dlq/replay", Role::Operator, answer("replay all"), "replay every pending one"},
      {"GET", "/api/v1/dlq/{id}", Role::Viewer, answer("one"), "one dead letter"},
      {"DELETE", "/api/v1/dlq/{id}", Role::Operator, answer("discard"), "discard one"},
      {"POST", "/api/v1/flows/{name}/pause", Role::Operator, answer("pause"), "pause a flow"},
  });
}

TEST(RouteTable, FindsTheRouteAndItsCaptures) {
  const RouteTable table = example_table();
  RouteTable::Match found = table.match("GET", "/api/v1/dlq/42");
  ASSERT_NE(found.route, nullptr);
  EXPECT_EQ(found.route->help, "one dead letter");
  EXPECT_EQ(found.params.at("id"), "42");
  found = table.match("POST", "/api/v1/flows/orders/pause");
  ASSERT_NE(found.route, nullptr);
  EXPECT_EQ(found.params.at("name"), "orders");
  // Empty segments do not count, as before the table.
  EXPECT_NE(table.match("GET", "/api/v1/dlq/").route, nullptr);
  EXPECT_NE(table.match("GET", "//healthz").route, nullptr);
}

// Document keys hold '/' and '+' ("2024/SO+1"): sent percent-encoded, a key is one segment,
// decoded on its own, and a '+' in a path is a plus, not a space.
TEST(RouteTable, AnEncodedSlashStaysInsideItsCapture) {
  const RouteTable table = example_table();
  RouteTable::Match found = table.match("GET", "/api/v1/dlq/2024%2FSO+1%20A");
  ASSERT_NE(found.route, nullptr);
  EXPECT_EQ(found.params.at("id"), "2024/SO+1 A");
  found = table.match("POST", "/api/v1/flows/crm%2Forders/pause");
  ASSERT_NE(found.route, nullptr);
  EXPECT_EQ(found.params.at("name"), "crm/orders");
  // Literal segments are compared decoded: %70ause is "pause".
  EXPECT_NE(table.match("POST", "/api/v1/flows/orders/%70ause").route, nullptr);
  EXPECT_EQ(table.match("GET", "/api/v1/dlq/2024/SO1").route, nullptr);
}

TEST(RouteTable, TheMostLiteralPatternWins) {
  const RouteTable table = example_table();
  const RouteTable::Match replay = table.match("POST", "/api/v1/dlq/replay");
  ASSERT_NE(replay.route, nullptr);
  EXPECT_EQ(replay.route->help, "replay every pending one");
  // Not the dead letter "replay": the literal path is served by POST only.
  const RouteTable::Match get = table.match("GET", "/api/v1/dlq/replay");
  EXPECT_EQ(get.route, nullptr);
  EXPECT_TRUE(get.path_known);
  EXPECT_EQ(get.allow, "POST");
}

TEST(RouteTable, HeadIsAnsweredByTheGetRoute) {
  const RouteTable table = example_table();
  const RouteTable::Match head = table.match("HEAD", "/api/v1/dlq/7");
  ASSERT_NE(head.route, nullptr);
  EXPECT_EQ(head.route->method, "GET");
  // No GET route, no HEAD: the path is known, its methods are listed.
  const RouteTable::Match no_get = table.match("HEAD", "/api/v1/flows/orders/pause");
  EXPECT_EQ(no_get.route, nullptr);
  EXPECT_EQ(no_get.allow, "POST");
}

TEST(RouteTable, AnotherMethodListsThePathsMethodsAndAnUnknownPathNone) {
  const RouteTable table = example_table();
  const RouteTable::Match put = table.match("PUT", "/api/v1/dlq/7");
  EXPECT_EQ(put.route, nullptr);
  EXPECT_TRUE(put.path_known);
  EXPECT_EQ(put.allow, "GET, HEAD, DELETE");
  EXPECT_EQ(put.least_role, Role::Viewer);
  const RouteTable::Match unknown = table.match("GET", "/api/v1/dlq/7/nothing");
  EXPECT_EQ(unknown.route, nullptr);
  EXPECT_FALSE(unknown.path_known);
  EXPECT_EQ(unknown.allow, "");
  EXPECT_EQ(unknown.least_role, Role::Open);
  EXPECT_EQ(table.match("POST", "/healthz").least_role, Role::Open);
  EXPECT_EQ(table.match("GET", "/api/v1/flows/orders/pause").least_role, Role::Operator);
}

TEST(RouteTable, RolesAreOrderedAndNamed) {
  EXPECT_LT(Role::Open, Role::Viewer);
  EXPECT_LT(Role::Viewer, Role::Operator);
  EXPECT_STREQ(role_name(Role::Open), "open");
  EXPECT_STREQ(role_name(Role::Viewer), "viewer");
  EXPECT_STREQ(role_name(Role::Operator), "operator");
}

}  // namespace
}  // namespace synchub::runtime
