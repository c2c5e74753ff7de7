// The `rest` connector against a real HTTP server on 127.0.0.1 (scripted
// routes): pagination styles, the incremental cursor at ties, every auth
// style, and sink writes with their failure classes.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "config/hub_config.hpp"
#include "connectors/registry.hpp"
#include "http/http_server.hpp"
#include "tests/connectors/rest/rest_fixture.hpp"
#include "tests/support/test_support.hpp"

namespace synchub::connectors {
namespace {

using Json = nlohmann::json;
using http::HttpRequest;
using http::HttpResponse;

struct Row {
  int id;
  std::string updated;
};

TEST(RestSource, PagesAndFollowsTheCursorWithoutLosingRowsAtATie) {
  std::mutex mu;
  std::vector<Row> rows = {{1, "2024-01-01T10:00:00Z"}, {2, "2024-01-01T10:00:00Z"}, {3, "2024-01-01T11:00:00Z"},
                           {4, "2024-01-01T11:00:00Z"}, {5, "2024-01-01T11:00:00Z"}, {6, "2024-01-01T12:00:00Z"},
                           {7, "2024-01-01T12:00:00Z"}};
  std::vector<std::string> asked;
  http::HttpServer server({}, [&](const HttpRequest& req) {
    std::lock_guard lock(mu);
    asked.push_back(req.target);
    std::string since = req.param("updated_since");
    int page = std::stoi(req.param("page")), size = std::stoi(req.param("per_page"));
    std::vector<Row> match;
    for (const auto& r : rows)
      if (r.updated >= since) match.push_back(r);
    Json data = Json::array();
    for (size_t i = static_cast<size_t>((page - 1) * size); i < match.size() && data.size() < static_cast<size_t>(size);
         ++i)
      data.push_back(
          {{"id", match[i].id}, {"updated_at", match[i].updated}, {"name", "客户" + std::to_string(match[i].id)}});
    return HttpResponse::json(200, Json{{"data", data}, {"total", match.size()}}.dump());
  });
  RestFixture api("  api:\n    type: rest\n    base_url: " + server.base_url() +
                  "\n    streams:\n      orders:\n        path: /orders\n        records: /data\n"
                  "        pagination: {type: page, param: page, size_param: per_page, size: 3, total: /total}\n"
                  "        cursor: {field: updated_at, param: updated_since, tiebreak: id}\n");
  auto source = api.source("orders");
  std::string cursor;
  EXPECT_EQ(drain(*source, cursor), (std::vector<std::string>{"1", "2", "3", "4", "5", "6", "7"}));
  EXPECT_EQ(asked.size(), 3u);
  // The second page held one value (11:00) and was followed by its page number: a row updated
  // meanwhile could have moved one past it, so the listing commits no further than that page,
  // and the next poll reads on from there.
  EXPECT_EQ(Json::parse(cursor), (Json{{"since", "2024-01-01T11:00:00Z"}, {"since_seen", {"3", "4", "5"}}}));
  EXPECT_EQ(drain(*source, cursor), (std::vector<std::string>{"6", "7"}));
  EXPECT_EQ(Json::parse(cursor), (Json{{"since", "2024-01-01T12:00:00Z"}, {"since_seen", {"6", "7"}}}));
  // Nothing new: the tie at 12:00 comes back from the server and is skipped.
  EXPECT_TRUE(drain(*source, cursor).empty());
  // New rows, one of them at the same time as the newest seen.
  {
    std::lock_guard lock(mu);
    rows.push_back({8, "2024-01-01T12:00:00Z"});
    rows.push_back({9, "2024-01-01T13:00:00Z"});
  }
  EXPECT_EQ(drain(*source, cursor), (std::vector<std::string>{"8", "9"}));
  EXPECT_EQ(asked.back().find("updated_since=2024-01-01T12%3A00%3A00Z") != std::string::npos, true) << asked.back();
}

// A record "as read now" compared with where the hub's committed cursor stands: on its way
// (changed after it), read already, or not to be told.
TEST(RestSource, ChangedAfterTheCommittedCursorIsTold) {
  std::mutex mu;
  std::map<int, std::string> rows = {{1, "2024-01-01T11:00:00Z"},
                                     {2, "2024-01-01T10:00:00Z"},
                                     {3, "2024-01-01T13:00:00Z"},
                                     {4, "2024-01-01T12:00:00Z"},
                                     {5, "2024-01-01T10:30:00Z"}};
  // Rows changed at or after `updated_since`, listed by id (not in cursor order), two to a page.
  http::HttpServer server({}, [&](const HttpRequest& req) {
    std::lock_guard lock(mu);
    const std::string since = req.param("updated_since");
    const size_t page = std::stoul(req.param("page")), size = 2;
    Json match = Json::array();
    for (const auto& [id, updated] : rows)
      if (updated >= since) match.push_back({{"id", id}, {"updated_at", updated}});
    Json data = Json::array();
    for (size_t i = (page - 1) * size; i < match.size() && data.size() < size; ++i) data.push_back(match[i]);
    return HttpResponse::json(200, Json{{"data", data}, {"total", match.size()}}.dump());
  });
  const std::string stream =
      "        path: /rows\n        records: data\n"
      "        pagination: {type: page, param: page, size: 2, total: total}\n";
  RestFixture api(
      "  api:\n    type: rest\n    base_url: " + server.base_url() + "\n    streams:\n      rows:\n" + stream +
      "        cursor: {field: updated_at, param: updated_since, tiebreak: id, format: iso}\n" + "      untied:\n" +
      stream + "        cursor: {field: updated_at, param: updated_since, format: iso}\n" + "      overlapping:\n" +
      stream + "        cursor: {field: updated_at, param: updated_since, tiebreak: id, format: iso, overlap: 1h}\n" +
      "      whole:\n" + stream);
  auto record = [](int id, const std::string& updated) {
    return SourceRecord{std::to_string(id), Json{{"id", id}, {"updated_at", updated}}.dump(), "test"};
  };
  auto source = api.source("rows");
  std::string cursor;
  EXPECT_EQ(drain(*source, cursor).size(), 5u);
  ASSERT_EQ(Json::parse(cursor), (Json{{"since", "2024-01-01T13:00:00Z"}, {"since_seen", {"3"}}}));
  EXPECT_EQ(source->changed_after(record(2, "2024-01-01T10:00:00Z"), cursor), false) << "read before the cursor";
  EXPECT_EQ(source->changed_after(record(3, "2024-01-01T13:00:00Z"), cursor), false) << "taken at the cursor";
  EXPECT_EQ(source->changed_after(record(6, "2024-01-01T13:00:00Z"), cursor), true) << "a tie not taken yet";
  EXPECT_EQ(source->changed_after(record(2, "2024-01-01T13:30:00Z"), cursor), true) << "changed after";
  EXPECT_EQ(source->changed_after({"7", R"({"id":7})", "test"}, cursor), std::nullopt) << "no cursor value";
  EXPECT_EQ(source->changed_after({"7", R"({"id":7,"updated_at":null})", "test"}, cursor), std::nullopt);

  // Committed within a listing whose pages are not in cursor order: "max" (14:00, row 2) is ahead
  // of "since", and row 7 below it is on the next page, not read yet.
  {
    std::lock_guard lock(mu);
    rows[2] = "2024-01-01T14:00:00Z";
    rows[6] = "2024-01-01T15:00:00Z";
    rows[7] = "2024-01-01T13:30:00Z";
  }
  PullResult first = source->pull(cursor, 1000);
  ASSERT_TRUE(first.more);
  const Json within = Json::parse(first.next_cursor);
  ASSERT_EQ(within.value("since", ""), "2024-01-01T13:00:00Z") << within;
  ASSERT_EQ(within.value("max", ""), "2024-01-01T14:00:00Z") << within;
  EXPECT_EQ(source->changed_after(record(7, "2024-01-01T13:30:00Z"), first.next_cursor), true);
  EXPECT_EQ(source->changed_after(record(3, "2024-01-01T13:00:00Z"), first.next_cursor), false);
  EXPECT_EQ(source->changed_after(record(4, "2024-01-01T12:00:00Z"), first.next_cursor), false);
  cursor = first.next_cursor;
  drain(*source, cursor);
  EXPECT_EQ(source->changed_after(record(7, "2024-01-01T13:30:00Z"), cursor), false) << "read by the listing's end";
  EXPECT_EQ(source->changed_after(record(6, "2024-01-01T15:00:00Z"), cursor), false);
  EXPECT_EQ(source->changed_after(record(8, "2024-01-01T15:00:00Z"), cursor), true);

  // A cursor of an earlier version: the ids up to since_id were taken at "since".
  const std::string legacy = Json{{"since", "2024-01-01T15:00:00Z"}, {"since_id", "6"}}.dump();
  EXPECT_EQ(source->changed_after(record(5, "2024-01-01T15:00:00Z"), legacy), false);
  EXPECT_EQ(source->changed_after(record(8, "2024-01-01T15:00:00Z"), legacy), true);

  // Without a tiebreak the next listing skips every row at "since": they count as read.
  const std::string at_noon = Json{{"since", "2024-01-01T12:00:00Z"}, {"since_seen", Json::array()}}.dump();
  auto untied = api.source("untied");
  EXPECT_EQ(untied->changed_after(record(9, "2024-01-01T12:00:00Z"), at_noon), false);
  EXPECT_EQ(untied->changed_after(record(9, "2024-01-01T12:00:01Z"), at_noon), true);
  EXPECT_EQ(untied->changed_after(record(9, "2024-01-01T11:59:59Z"), at_noon), false);

  // With an overlap the hour before "since" is read again for late rows: which were read is not known.
  auto overlapping = api.source("overlapping");
  EXPECT_EQ(overlapping->changed_after(record(9, "2024-01-01T11:30:00Z"), at_noon), std::nullopt);
  EXPECT_EQ(overlapping->changed_after(record(9, "2024-01-01T10:59:59Z"), at_noon), false);
  EXPECT_EQ(overlapping->changed_after(record(9, "2024-01-01T12:00:00Z"), at_noon), true);

  // A listing without an incremental cursor cannot tell.
  auto whole = api.source("whole");
  EXPECT_EQ(whole->changed_after(record(1, "2024-01-01T11:00:00Z"), R"({"page":2})"), std::nullopt);
}

TEST(RestSource, CursorTokensLinkHeadersAndOffsets) {
  http::HttpServer server({}, [&](const HttpRequest& req) {
    if (req.path == "/token-paged") {
      int at = req.has_param("cursor") ? std::stoi(req.param("cursor")) : 0;
      Json items = Json::array({{{"code", "A" + std::to_string(at)}}, {{"code", "B" + std::to_string(at)}}});
      Json body = {{"result", {{"items", items}}}, {"next", at < 2 ? Json(std::to_string(at + 1)) : Json(nullptr)}};
      return HttpResponse::json(200, body.dump());
    }
    if (req.path == "/linked") {
      int page = req.has_param("p") ? std::stoi(req.param("p")) : 1;
      HttpResponse r = HttpResponse::json(200, Json::array({{{"id", page}}}).dump());
      if (page < 3)
        r.headers.emplace_back("Link", "<http://127.0.0.1:1/elsewhere>; rel=\"prev\", <" + std::string("/linked?p=") +
                                           std::to_string(page + 1) + ">; rel=\"next\"");
      return r;
    }
    int offset = std::stoi(req.param("start")), limit = std::stoi(req.param("limit"));
    Json rows = Json::array();
    for (int i = offset; i < std::min(offset + limit, 5); ++i) rows.push_back({{"id", i}});
    return HttpResponse::json(200, Json{{"rows", rows}, {"count", 5}}.dump());
  });
  RestFixture api(
      "  api:\n    type: rest\n    base_url: " + server.base_url() +
      "\n    streams:\n"
      "      tokens:\n        path: /token-paged\n        key: code\n        records: result.items\n"
      "        pagination: {type: cursor, param: cursor, next: next}\n"
      "      links:\n        path: /linked\n        pagination: {type: link}\n"
      "      offsets:\n        path: /offset\n        records: rows\n"
      "        pagination: {type: offset, param: start, size_param: limit, size: 2, first: 0, total: count}\n");
  std::string cursor;
  auto tokens = api.source("tokens");
  EXPECT_EQ(drain(*tokens, cursor), (std::vector<std::string>{"A0", "B0", "A1", "B1", "A2", "B2"}));
  cursor.clear();
  auto links = api.source("links");
  EXPECT_EQ(drain(*links, cursor), (std::vector<std::string>{"1", "2", "3"}));
  cursor.clear();
  auto offsets = api.source("offsets");
  EXPECT_EQ(drain(*offsets, cursor), (std::vector<std::string>{"0", "1", "2", "3", "4"}));
}

// A server that lists rows changed after a counter, oldest change first, by offset (like the
// quick start's ERP): each page changes rows already read, which moves them to the end. Read by
// offsets alone, the rows behind them would slide past the next offset and never be read.
TEST(RestSource, RowsChangedDuringAnOffsetListingMoveNoUnreadRowPastTheOffset) {
  std::mutex mu;
  std::map<int, int64_t> modified;  // id -> change counter
  int64_t clock = 0;
  for (int id = 1; id <= 40; ++id) modified[id] = ++clock;
  int requests = 0;
  http::HttpServer server({}, [&](const HttpRequest& req) {
    std::lock_guard lock(mu);
    const int64_t after = req.has_param("modified_after") ? std::stoll(req.param("modified_after")) : 0;
    const size_t offset = std::stoul(req.param("offset")), limit = std::stoul(req.param("limit"));
    std::vector<std::pair<int64_t, int>> match;
    for (const auto& [id, at] : modified)
      if (at > after) match.emplace_back(at, id);
    std::sort(match.begin(), match.end());
    Json items = Json::array();
    for (size_t i = offset; i < match.size() && items.size() < limit; ++i)
      items.push_back({{"sku", match[i].second}, {"modified_at", match[i].first}});
    // Between this page and the next, two rows read earlier change.
    if (++requests <= 6) {
      modified[requests] = ++clock;
      modified[requests + 10] = ++clock;
    }
    return HttpResponse::json(200, Json{{"items", items}, {"total", match.size()}}.dump());
  });
  RestFixture api(
      "  api:\n    type: rest\n    base_url: " + server.base_url() +
      "\n    streams:\n      stock:\n        path: /stock\n        key: sku\n        records: items\n"
      "        pagination: {type: offset, param: offset, size_param: limit, size: 7, first: 0, total: total}\n"
      "        cursor: {field: modified_at, param: modified_after, format: text}\n");
  auto source = api.source("stock");
  std::string cursor;
  std::set<std::string> seen;
  for (int poll = 0; poll < 3; ++poll)
    for (const std::string& key : drain(*source, cursor)) seen.insert(key);
  EXPECT_EQ(seen.size(), 40u);
  // Caught up: the next poll asks after the newest change and reads nothing.
  EXPECT_TRUE(drain(*source, cursor).empty());
  EXPECT_EQ(Json::parse(cursor)["since"], std::to_string(clock));
}

TEST(RestSource, BadRowsAreRejectedAndBadResponsesThrow) {
  std::string answer =
      R"({"data":[{"id":1,"amount":100.10,"big":12345678901234567890.123},{"noid":2},"text",{"id":{"x":1}}]})";
  int status = 200;
  http::HttpServer server({}, [&](const HttpRequest&) { return HttpResponse::json(status, answer); });
  RestFixture api("  api:\n    type: rest\n    base_url: " + server.base_url() +
                  "\n    streams:\n      things: {path: /things, records: /data}\n");
  auto source = api.source("things");
  PullResult r = source->pull("", 100);
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].value, R"({"id":1,"amount":100.10,"big":12345678901234567890.123})");  // digits kept
  SourceRecord replayed;
  EXPECT_EQ(source->accept(R"({"id":7,"amount":0.10})", replayed), "");
  EXPECT_EQ(replayed.value, R"({"id":7,"amount":0.10})");
  EXPECT_EQ(source->accept(R"({"amount":1})", replayed), "missing key 'id'");
  ASSERT_EQ(r.rejects.size(), 3u);
  EXPECT_EQ(r.rejects[0].reason, "missing key 'id'");
  EXPECT_EQ(r.rejects[1].reason, "record is not a JSON object");
  status = 500;
  answer = "down for maintenance";
  EXPECT_THROW(source->pull("", 100), std::runtime_error);
  status = 200;
  answer = "{not json";
  EXPECT_THROW(source->pull("", 100), std::runtime_error);
}

// A row naming a member twice is rejected with the name; the rows around it are read.
TEST(RestSource, ARowThatNamesAKeyTwiceIsRejectedNamingIt) {
  const std::string answer =
      R"({"data":[{"id":1,"n":"1"},{"id":2,"n":"1","line":{"n":1,"n":2}},{"id":3,"n":"1","n":"2"}]})";
  http::HttpServer server({}, [&](const HttpRequest&) { return HttpResponse::json(200, answer); });
  RestFixture api("  api:\n    type: rest\n    base_url: " + server.base_url() +
                  "\n    streams:\n      things: {path: /things, records: /data}\n");
  auto source = api.source("things");
  PullResult r = source->pull("", 100);
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].key, "1");
  ASSERT_EQ(r.rejects.size(), 2u);
  EXPECT_EQ(r.rejects[0].reason, "duplicate key 'n'");
  EXPECT_EQ(r.rejects[1].reason, "duplicate key 'n'");
  SourceRecord replayed;
  EXPECT_EQ(source->accept(R"({"id":7,"amount":"1","amount":"2"})", replayed), "duplicate key 'amount'");
}

TEST(RestAuth, EveryStyleIsSent) {
  std::mutex mu;
  std::vector<std::string> seen;
  int tokens_issued = 0;
  bool revoke = false;
  http::HttpServer server({}, [&](const HttpRequest& req) {
    std::lock_guard lock(mu);
    if (req.path == "/oauth/token") {
      if (req.body.find("client_id=synchub") == std::string::npos ||
          req.body.find("client_secret=s3cr%21t") == std::string::npos)
        return HttpResponse::json(401, R"({"error":"invalid_client"})");
      ++tokens_issued;
      return HttpResponse::json(
          200, Json{{"access_token", "tok" + std::to_string(tokens_issued)}, {"expires_in", 3600}}.dump());
    }
    std::string auth = req.header("Authorization");
    if (revoke && auth == "Bearer tok1") return HttpResponse::json(401, R"({"error":"expired"})");
    seen.push_back(auth.empty()
                       ? (req.header("X-Key").empty() ? "key=" + req.param("key") : "X-Key " + req.header("X-Key"))
                       : auth);
    return HttpResponse::json(200, "[]");
  });
  const std::string base = server.base_url();
  auto stream = "    streams:\n      s: {path: /s}\n";
  RestFixture basic("  api:\n    type: rest\n    base_url: " + base +
                    "\n    auth: {type: basic, username: ann, password: pw}\n" + stream);
  basic.source("s")->pull("", 1);
  RestFixture bearer("  api:\n    type: rest\n    base_url: " + base + "\n    auth: {type: bearer, token: abc}\n" +
                     stream);
  bearer.source("s")->pull("", 1);
  RestFixture header("  api:\n    type: rest\n    base_url: " + base +
                     "\n    auth: {type: api_key, name: X-Key, value: k1}\n" + stream);
  header.source("s")->pull("", 1);
  RestFixture query("  api:\n    type: rest\n    base_url: " + base +
                    "\n    auth: {type: api_key, name: key, value: k2, in: query}\n" + stream);
  query.source("s")->pull("", 1);
  RestFixture oauth("  api:\n    type: rest\n    base_url: " + base + "\n    auth: {type: oauth2, token_url: " + base +
                    "/oauth/token, client_id: synchub, client_secret: 's3cr!t'}\n" + stream);
  auto s = oauth.source("s");
  s->pull("", 1);
  s->pull("", 1);  // the cached token
  revoke = true;   // the server drops tok1: a 401 fetches a new token and retries once
  s->pull("", 1);
  EXPECT_EQ(seen, (std::vector<std::string>{"Basic YW5uOnB3", "Bearer abc", "X-Key k1", "key=k2", "Bearer tok1",
                                            "Bearer tok1", "Bearer tok2"}));
  EXPECT_EQ(tokens_issued, 2);
  RestFixture wrong("  api:\n    type: rest\n    base_url: " + base + "\n    auth: {type: oauth2, token_url: " + base +
                    "/oauth/token, client_id: nobody, client_secret: x}\n" + stream);
  EXPECT_THROW(wrong.source("s")->pull("", 1), std::runtime_error);
}

TEST(RestSink, UpsertsAndClassifiesFailures) {
  std::mutex mu;
  std::map<std::string, Json> orders;  // external no -> order
  int next_id = 100;
  std::vector<std::string> calls;
  http::HttpServer server({}, [&](const HttpRequest& req) {
    std::lock_guard lock(mu);
    calls.push_back(req.method + " " + req.target);
    if (req.method == "GET") {
      Json found = Json::array();
      if (orders.count(req.param("no"))) found.push_back(orders[req.param("no")]);
      return HttpResponse::json(200, Json{{"items", found}}.dump());
    }
    Json body = Json::parse(req.body);
    if (body["no"] == "BAD") return HttpResponse::json(422, R"({"error":"customer unknown"})");
    if (body["no"] == "BUSY") {
      HttpResponse r = HttpResponse::json(503, R"({"error":"maintenance"})");
      r.headers.emplace_back("Retry-After", "2");
      return r;
    }
    if (req.method == "POST")
      body["erp_id"] = std::to_string(next_id++);
    else
      body["erp_id"] = req.path.substr(std::string("/orders/").size());
    orders[body["no"]] = body;
    return HttpResponse::json(req.method == "POST" ? 201 : 200, body.dump());
  });
  RestFixture api(
      "  api:\n    type: rest\n    base_url: " + server.base_url() +
      "\n    streams:\n      orders:\n        write: {mode: upsert, path: /orders, update_path: '/orders/{id}', "
      "lookup_path: '/orders?no={key}', lookup_records: items, id: erp_id}\n");
  auto sink = api.sink("orders");
  orders["SO-2"] = {{"no", "SO-2"}, {"erp_id", "7"}};  // already in the ERP, unknown to the ledger
  Batch batch{"f",
              "b1",
              {{"SO-1", R"({"no":"SO-1","total":"10.50"})", "", false},
               {"SO-2", R"({"no":"SO-2","total":"3.00"})", "", false},
               {"SO-3", R"({"no":"SO-3"})", "55", true},
               {"BAD", R"({"no":"BAD"})", "", false},
               {"BUSY", R"({"no":"BUSY"})", "", false}}};
  auto results = sink->push(batch);
  ASSERT_EQ(results.size(), 5u);
  EXPECT_EQ(results[0].outcome(), Outcome::Created);
  EXPECT_EQ(results[0].target_id, "100");
  EXPECT_EQ(results[1].outcome(), Outcome::Updated);
  EXPECT_EQ(results[1].target_id, "7");
  EXPECT_EQ(results[2].outcome(), Outcome::Updated);  // the ledger knew its id: no lookup
  EXPECT_EQ(results[2].target_id, "55");
  EXPECT_EQ(results[3].failure(), Failure::Permanent);
  EXPECT_EQ(results[3].error, R"(create of BAD answered HTTP 422: {"error":"customer unknown"})");
  EXPECT_EQ(results[4].failure(), Failure::Transient);
  EXPECT_EQ(results[4].retry_after, std::chrono::milliseconds(2000));
  EXPECT_EQ(calls, (std::vector<std::string>{"GET /orders?no=SO-1", "POST /orders", "GET /orders?no=SO-2",
                                             "PUT /orders/7", "PUT /orders/55", "GET /orders?no=BAD", "POST /orders",
                                             "GET /orders?no=BUSY", "POST /orders"}));
  server.stop();
  auto down = sink->push(Batch{"f", "b2", {{"SO-9", R"({"no":"SO-9"})", "", false}}});
  EXPECT_EQ(down[0].failure(), Failure::Transient);
  EXPECT_NE(down[0].error.find("lookup of SO-9"), std::string::npos) << down[0].error;
}

// TLS against `openssl s_server` with a self-signed certificate made here:
// refused by default, accepted with that certificate as the CA file or with
// verification off (then the HTML page it serves is "not JSON").
TEST(RestTls, CertificatesAreVerifiedByDefault) {
  test::TempDir dir;
  const auto [cert, key] = test::make_test_certificate(dir);
  int port = 0;
  {  // a free loopback port
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    close(fd);
  }
  const std::string accept = "127.0.0.1:" + std::to_string(port);
  pid_t server = fork();
  if (server == 0) {
    freopen("/dev/null", "w", stdout);
    freopen("/dev/null", "w", stderr);
    execlp("openssl", "openssl", "s_server", "-accept", accept.c_str(), "-cert", cert.c_str(), "-key", key.c_str(),
           "-www", "-quiet", static_cast<char*>(nullptr));
    _exit(127);
  }
  struct Stop {
    pid_t pid;
    ~Stop() {
      kill(pid, SIGTERM);
      waitpid(pid, nullptr, 0);
    }
  } stop{server};
  test::eventually(  // until it listens (if it never does, the errors below say so)
      [&] {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<uint16_t>(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        const bool up = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
        close(fd);
        return up;
      },
      std::chrono::seconds(5));
  auto error_of = [&](const std::string& tls) {
    RestFixture fixture("  api:\n    type: rest\n    base_url: https://" + accept + "\n" + tls +
                        "    streams:\n      s: {path: /s}\n");
    try {
      fixture.source("s")->pull("", 1);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string refused = error_of("");
  EXPECT_NE(refused.find("certificate"), std::string::npos) << refused;
  EXPECT_NE(error_of("    ca_file: " + cert + "\n").find("not JSON"), std::string::npos);
  EXPECT_NE(error_of("    verify_tls: false\n").find("not JSON"), std::string::npos);
}

}  // namespace
}  // namespace synchub::connectors
