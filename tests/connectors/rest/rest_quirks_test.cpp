// The API quirks the `rest` connector expresses in YAML, each against a real
// HTTP server on 127.0.0.1: request signing, session logins (cookie or
// token, re-login when lost), credentials and paging in the JSON body,
// errors inside 200 answers, rows as arrays of values, master-detail,
// epoch-ms and local-time cursors with overlap, multi-step writes, batch
// endpoints and the concurrency cap.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "http/http_server.hpp"
#include "http/signing.hpp"
#include "tests/connectors/rest/rest_fixture.hpp"

namespace synchub::connectors {
namespace {

using Json = nlohmann::json;
using http::HttpRequest;
using http::HttpResponse;

std::string api(const std::string& base, const std::string& rest) {
  return "  api:\n    type: rest\n    base_url: " + base + "\n" + rest;
}

TEST(Signing, KnownVectors) {
  EXPECT_EQ(http::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // RFC 4231, test case 2
  EXPECT_EQ(http::hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(http::hmac_sha256_base64("Jefe", "what do ya want for nothing?"),
            "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=");
  // Webhooks sign "<timestamp>.<body>".
  EXPECT_EQ(http::webhook_signature("k", "1700000000", R"({"id":1})"),
            "sha256=" + http::hmac_sha256_hex("k", R"(1700000000.{"id":1})"));
}

TEST(RestAuth, HmacSignsMethodPathTimestampAndBodyHash) {
  std::mutex mu;
  std::vector<std::string> verdicts;
  http::HttpServer server({}, [&](const HttpRequest& req) {
    std::lock_guard lock(mu);
    const std::string ts = req.header("X-Ts");
    const std::string canonical = req.method + "\n" + req.target + "\n" + ts + "\n" + http::sha256_hex(req.body);
    const std::string expected = "HMAC k1:" + http::hmac_sha256_hex("s3cret", canonical);
    const long age = std::time(nullptr) - std::stol(ts.empty() ? "0" : ts);
    verdicts.push_back(req.header("Authorization") == expected && age >= 0 && age < 5 && req.header("X-Key-Id") == "k1"
                           ? "ok"
                           : "bad: " + req.header("Authorization") + " for " + canonical);
    if (req.method == "GET") return HttpResponse::json(200, R"({"items":[{"id":1}]})");
    return HttpResponse::json(201, R"({"id":"9"})");
  });
  RestFixture fixture(
      api(server.base_url() + "/api/v2",
          "    auth: {type: hmac, key_id: k1, secret: s3cret, timestamp_header: X-Ts, signature_header: "
          "Authorization, signature_format: 'HMAC {key_id}:{signature}'}\n"
          "    streams:\n      orders: {path: /orders, query: {status: open}, records: items}\n"
          "      out: {write: {mode: create, path: /orders}}\n"));
  EXPECT_EQ(fixture.source("orders")->pull("", 10).records.size(), 1u);
  auto results = fixture.sink("out")->push(Batch{"f", "b", {{"A", R"({"no":"A","total":100.10})", "", false}}});
  EXPECT_EQ(results[0].outcome(), Outcome::Created);
  EXPECT_EQ(verdicts, (std::vector<std::string>{"ok", "ok"}));
}

TEST(RestAuth, SessionCookieLoginAgainWhenTheSessionIsLost) {
  std::mutex mu;
  int logins = 0;
  std::string live;  // the session the server accepts
  std::vector<std::string> seen;
  http::HttpServer server({}, [&](const HttpRequest& req) {
    std::lock_guard lock(mu);
    if (req.path == "/login") {
      Json body = Json::parse(req.body);
      if (body != Json{{"user", "ann"}, {"password", "p\"w"}}) return HttpResponse::json(403, R"({"error":"denied"})");
      live = "s" + std::to_string(++logins);
      HttpResponse r = HttpResponse::json(200, R"({"ok":true})");
      r.headers.emplace_back("Set-Cookie", "SID=" + live + "; Path=/; HttpOnly");
      r.headers.emplace_back("Set-Cookie", "lang=zh; Path=/");
      return r;
    }
    seen.push_back(req.header("Cookie"));
    if (req.header("Cookie") != "SID=" + live + "; lang=zh") return HttpResponse::json(401, R"({"error":"login"})");
    return HttpResponse::json(200, R"([{"id":1}])");
  });
  RestFixture fixture(api(server.base_url(),
                          "    auth: {type: session, login_path: /login, username: ann, password: 'p\"w',\n"
                          "           login_body: '{\"user\": {username}, \"password\": {password}}'}\n"
                          "    streams:\n      s: {path: /s}\n"));
  auto source = fixture.source("s");
  EXPECT_EQ(source->pull("", 10).records.size(), 1u);
  EXPECT_EQ(source->pull("", 10).records.size(), 1u);  // the same session
  {
    std::lock_guard lock(mu);
    live = "gone";  // the server restarted: sessions lost
  }
  EXPECT_EQ(source->pull("", 10).records.size(), 1u);  // 401, login, the same call again
  EXPECT_EQ(logins, 2);
  EXPECT_EQ(seen,
            (std::vector<std::string>{"SID=s1; lang=zh", "SID=s1; lang=zh", "SID=s1; lang=zh", "SID=s2; lang=zh"}));
}

TEST(RestAuth, TokenInTheBodyAndReloginOnAnInBodyCode) {
  std::mutex mu;
  int logins = 0;
  std::string live;
  std::vector<Json> bodies;
  http::HttpServer server({}, [&](const HttpRequest& req) {
    std::lock_guard lock(mu);
    if (req.path == "/auth") {
      live = "t" + std::to_string(++logins);
      return HttpResponse::json(200, Json{{"code", 0}, {"data", {{"token", live}}}}.dump());
    }
    Json body = Json::parse(req.body);
    bodies.push_back(body);
    if (body.value("token", "") != live)
      return HttpResponse::json(200, R"({"code":40001,"msg":"token expired","data":null})");
    if (body["pageNo"] == 1)
      return HttpResponse::json(
          200, R"({"code":0,"data":{"fields":["id","name","amount"],"rows":[[1,"甲",100.10],[2,"乙",0.30]]}})");
    return HttpResponse::json(200, R"({"code":0,"data":{"rows":[]}})");
  });
  RestFixture fixture(
      api(server.base_url(),
          "    auth: {type: session, login_path: /auth, username: u, password: p, token_path: data.token, in: body,"
          " name: token, fields: {appKey: demo-app}}\n"
          "    errors: {code: code, message: msg, relogin: ['40001'], transient: ['50001']}\n"
          "    streams:\n"
          "      rows:\n        path: /query\n        method: POST\n        records: data.rows\n"
          "        fields: [id, name, amount]\n"
          "        body: '{\"fields\": [\"id\",\"name\",\"amount\"], \"pageNo\": {page}, \"pageSize\": {size}}'\n"
          "        pagination: {type: page, size: 2, in: body}\n"));
  auto source = fixture.source("rows");
  PullResult first = source->pull("", 10);
  ASSERT_EQ(first.records.size(), 2u);
  EXPECT_EQ(first.records[0].value, R"({"id":1,"name":"甲","amount":100.10})");  // digits kept
  EXPECT_EQ(first.records[1].value, R"({"id":2,"name":"乙","amount":0.30})");
  EXPECT_TRUE(first.more);
  {
    std::lock_guard lock(mu);
    live = "revoked";
  }
  PullResult second = source->pull(first.next_cursor, 10);  // 40001 in a 200: login again, same page
  EXPECT_TRUE(second.records.empty());
  EXPECT_FALSE(second.more);
  EXPECT_EQ(logins, 2);
  ASSERT_EQ(bodies.size(), 3u);
  EXPECT_EQ(bodies[0], (Json{{"token", "t1"},
                             {"appKey", "demo-app"},
                             {"fields", {"id", "name", "amount"}},
                             {"pageNo", 1},
                             {"pageSize", 2}}));
  EXPECT_EQ(bodies[1]["pageNo"], 2);
  EXPECT_EQ(bodies[2]["token"], "t2");
  EXPECT_EQ(bodies[2]["pageNo"], 2);
}

TEST(RestErrors, InBodyCodesAreFailuresWithTheirMessage) {
  std::string answer;
  http::HttpServer server({}, [&](const HttpRequest&) { return HttpResponse::json(200, answer); });
  RestFixture fixture(api(server.base_url(),
                          "    errors: {code: Result.IsSuccess, ok: ['true'], message: Result.Message}\n"
                          "    streams:\n      s: {path: /s, records: Data}\n"
                          "      out: {write: {mode: create, path: /save, id: Data.Id}}\n"));
  answer = R"J({"Result":{"IsSuccess":false,"Message":"库存不足 (stock too low)"}})J";
  try {
    fixture.source("s")->pull("", 10);
    ADD_FAILURE() << "expected a failure";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("error code false: 库存不足 (stock too low)"), std::string::npos) << e.what();
  }
  auto sink = fixture.sink("out");
  auto failed = sink->push(Batch{"f", "b", {{"A", R"({"no":"A"})", "", false}}});
  EXPECT_EQ(failed[0].failure(), Failure::Permanent);
  EXPECT_EQ(failed[0].error, "create of A failed: error code false: 库存不足 (stock too low)");
  answer = R"({"Result":{"IsSuccess":true},"Data":{"Id":"77"}})";
  auto ok = sink->push(Batch{"f", "b", {{"A", R"({"no":"A"})", "", false}}});
  EXPECT_EQ(ok[0].outcome(), Outcome::Created);
  EXPECT_EQ(ok[0].target_id, "77");

  RestFixture coded(api(server.base_url(),
                        "    errors: {code: errorCode, message: errorMsg, transient: ['1001']}\n"
                        "    streams:\n      out: {write: {mode: create, path: /save}}\n"));
  answer = R"({"errorCode":1001,"errorMsg":"system busy"})";
  auto busy = coded.sink("out")->push(Batch{"f", "b", {{"A", "{}", "", false}}});
  EXPECT_EQ(busy[0].failure(), Failure::Transient);
  answer = R"({"errorCode":2002,"errorMsg":"customer frozen"})";
  auto frozen = coded.sink("out")->push(Batch{"f", "b", {{"A", "{}", "", false}}});
  EXPECT_EQ(frozen[0].failure(), Failure::Permanent);
  EXPECT_EQ(frozen[0].error, "create of A failed: error code 2002: customer frozen");
}

TEST(RestSource, MasterDetailFetchesThePageDetailsInOneCall) {
  std::mutex mu;
  std::vector<std::string> detail_calls;
  http::HttpServer server({}, [&](const HttpRequest& req) {
    std::lock_guard lock(mu);
    if (req.path == "/orders") {
      int page = std::stoi(req.param("page"));
      Json rows = Json::array();
      for (int id = (page - 1) * 2 + 1; id <= std::min(page * 2, 3); ++id)
        rows.push_back({{"id", id}, {"no", "SO-" + std::to_string(id)}});
      return HttpResponse::json(200, rows.dump());
    }
    detail_calls.push_back(req.param("ids"));
    Json lines = Json::array();
    for (const char* id : {"1", "2", "3"})
      if (req.param("ids").find(id) != std::string::npos && std::string(id) != "2")
        for (int n = 1; n <= 2; ++n)
          lines.push_back({{"order_id", std::stoi(id)}, {"sku", std::string("P") + id + std::to_string(n)}});
    return HttpResponse::json(200, Json{{"lines", lines}}.dump());
  });
  RestFixture fixture(api(server.base_url(),
                          "    streams:\n      orders:\n        path: /orders\n        key: no\n"
                          "        pagination: {type: page, size: 2}\n"
                          "        detail: {path: /lines, param: ids, records: lines, match: order_id, by: id,"
                          " into: lines}\n"));
  auto source = fixture.source("orders");
  PullResult first = source->pull("", 10);
  ASSERT_EQ(first.records.size(), 2u);
  EXPECT_EQ(first.records[0].value,
            R"({"id":1,"no":"SO-1","lines":[{"order_id":1,"sku":"P11"},{"order_id":1,"sku":"P12"}]})");
  EXPECT_EQ(first.records[1].value, R"({"id":2,"no":"SO-2","lines":[]})");
  PullResult second = source->pull(first.next_cursor, 10);
  ASSERT_EQ(second.records.size(), 1u);
  EXPECT_EQ(second.records[0].key, "SO-3");
  EXPECT_EQ(detail_calls, (std::vector<std::string>{"1,2", "3"}));
}

TEST(RestSource, EpochMillisecondCursorNeverLosesARowAtATie) {
  std::mutex mu;
  std::vector<std::pair<int, int64_t>> rows = {{1, 1700000000000}, {2, 1700000000500}, {3, 1700000000500}};
  std::vector<std::string> asked;
  http::HttpServer server({}, [&](const HttpRequest& req) {
    std::lock_guard lock(mu);
    asked.push_back(req.param("since"));
    int64_t since = req.has_param("since") ? std::stoll(req.param("since")) : 0;
    Json out = Json::array();
    for (auto [id, ts] : rows)
      if (ts >= since) out.push_back({{"id", id}, {"ts", ts}});
    return HttpResponse::json(200, out.dump());
  });
  RestFixture fixture(api(server.base_url(),
                          "    streams:\n      s:\n        path: /s\n"
                          "        cursor: {field: ts, param: since, tiebreak: id, format: epoch_ms}\n"));
  auto source = fixture.source("s");
  std::string cursor;
  EXPECT_EQ(drain(*source, cursor), (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_TRUE(drain(*source, cursor).empty());  // the tie at ...500 comes back and is skipped
  {
    std::lock_guard lock(mu);
    rows.push_back({4, 1700000000500});  // a new row at the newest cursor value
    rows.push_back({5, 1700000001000});
  }
  EXPECT_EQ(drain(*source, cursor), (std::vector<std::string>{"4", "5"}));
  EXPECT_EQ(asked, (std::vector<std::string>{"", "1700000000500", "1700000000500"}));
}

TEST(RestSource, LocalTimeCursorWithAnOverlapCatchesLateRows) {
  std::mutex mu;
  std::vector<std::pair<int, std::string>> rows = {{1, "2024-03-01 09:00:00"}, {2, "2024-03-01 10:00:00"}};
  std::vector<std::string> asked;
  http::HttpServer server({}, [&](const HttpRequest& req) {
    std::lock_guard lock(mu);
    std::string since = req.param("modified");
    asked.push_back(since);
    Json out = Json::array();
    for (auto& [id, at] : rows)
      if (at >= since) out.push_back({{"id", id}, {"modified", at}});
    return HttpResponse::json(200, out.dump());
  });
  RestFixture fixture(api(server.base_url(),
                          "    streams:\n      s:\n        path: /s\n"
                          "        cursor: {field: modified, param: modified, tiebreak: id, format: '%Y-%m-%d "
                          "%H:%M:%S', time_zone: Asia/Shanghai, overlap: 5m}\n"));
  auto source = fixture.source("s");
  std::string cursor;
  EXPECT_EQ(drain(*source, cursor), (std::vector<std::string>{"1", "2"}));
  {
    std::lock_guard lock(mu);
    rows.push_back({3, "2024-03-01 09:58:00"});  // committed late, with an older time
  }
  EXPECT_EQ(drain(*source, cursor), (std::vector<std::string>{"2", "3"}));  // 2 again: the ledger drops it
  EXPECT_EQ(asked, (std::vector<std::string>{"", "2024-03-01 09:55:00"}));
  EXPECT_THROW(
      RestFixture(api(server.base_url(), "    streams:\n      s: {path: /s, cursor: {field: m, overlap: 1m}}\n"))
          .source("s"),
      std::runtime_error);
}

TEST(RestSink, MultiStepWritesSubmitAndApproveWithTheSavedId) {
  std::mutex mu;
  std::vector<std::string> calls;
  http::HttpServer server({}, [&](const HttpRequest& req) {
    std::lock_guard lock(mu);
    calls.push_back(req.method + " " + req.target + (req.body.empty() ? "" : " " + req.body));
    if (req.path == "/orders/save")
      return HttpResponse::json(200, Json{{"data", {{"id", Json::parse(req.body)["no"] == "B" ? 8 : 7}}}}.dump());
    if (req.path == "/orders/8/submit") return HttpResponse::json(422, R"({"error":"over credit"})");
    return HttpResponse::json(200, "{}");
  });
  RestFixture fixture(api(server.base_url(),
                          "    streams:\n      out:\n        write:\n          mode: create\n"
                          "          path: /orders/save\n          id: data.id\n"
                          "          then: ['POST /orders/{id}/submit', 'POST /approve {\"orderId\": {id}, \"no\": "
                          "{key}}']\n"));
  auto results = fixture.sink("out")->push(
      Batch{"f", "b", {{"A", R"({"no":"A"})", "", false}, {"B", R"({"no":"B"})", "", false}}});
  EXPECT_EQ(results[0].outcome(), Outcome::Created);
  EXPECT_EQ(results[0].target_id, "7");
  EXPECT_EQ(results[1].failure(), Failure::Permanent);
  EXPECT_EQ(results[1].error, R"(step POST /orders/8/submit of B answered HTTP 422: {"error":"over credit"})");
  EXPECT_EQ(results[1].target_id, "8");
  EXPECT_EQ(calls, (std::vector<std::string>{R"(POST /orders/save {"no":"A"})", "POST /orders/7/submit",
                                             R"(POST /approve {"orderId": "7", "no": "A"})",
                                             R"(POST /orders/save {"no":"B"})", "POST /orders/8/submit"}));
}

TEST(RestSink, BatchEndpointGivesEachRecordItsOwnResult) {
  std::mutex mu;
  std::vector<size_t> sizes;
  bool garble = false;
  http::HttpServer server({}, [&](const HttpRequest& req) {
    std::lock_guard lock(mu);
    if (garble) return HttpResponse::json(200, R"({"results":[{"id":1}]})");
    Json body = Json::parse(req.body);
    sizes.push_back(body["orders"].size());
    Json results = Json::array();
    for (const auto& o : body["orders"]) {
      std::string no = o["no"];
      if (no == "BAD")
        results.push_back({{"status", 422}, {"error", {{"field", "customer"}, {"reason", "unknown"}}}});
      else if (no == "BUSY")
        results.push_back({{"status", 503}, {"error", "locked, try again"}});
      else
        results.push_back({{"status", no == "OLD" ? 200 : 201}, {"id", "E-" + no}});
    }
    return HttpResponse::json(200, Json{{"results", results}}.dump());
  });
  RestFixture fixture(api(server.base_url(),
                          "    streams:\n      out:\n        write:\n"
                          "          batch: {path: /orders/batch, size: 3, wrap: orders, results: results, status: "
                          "status}\n"));
  auto sink = fixture.sink("out");
  std::vector<std::string> keys = {"A", "OLD", "BAD", "B", "BUSY", "C", "D"};
  std::vector<std::string> values;
  for (const auto& k : keys) values.push_back(R"({"no":")" + k + R"(","amount":12345678901234.56})");
  Batch batch{"f", "b", {}};
  for (size_t i = 0; i < keys.size(); ++i) batch.records.push_back({keys[i], values[i], "", false});
  auto results = sink->push(batch);
  ASSERT_EQ(results.size(), 7u);
  EXPECT_EQ(sizes, (std::vector<size_t>{3, 3, 1}));
  EXPECT_EQ(results[0].outcome(), Outcome::Created);
  EXPECT_EQ(results[0].target_id, "E-A");
  EXPECT_EQ(results[1].outcome(), Outcome::Updated);
  EXPECT_EQ(results[2].failure(), Failure::Permanent);
  EXPECT_EQ(results[2].error,
            R"(write of BAD in a batch failed (status 422): {"field":"customer","reason":"unknown"})");
  EXPECT_EQ(results[4].failure(), Failure::Transient);
  EXPECT_EQ(results[6].target_id, "E-D");
  garble = true;  // a result list that does not match: nothing can be trusted, all again
  auto again = sink->push(Batch{"f", "b2", {{"X", R"({"no":"X"})", "", false}, {"Y", R"({"no":"Y"})", "", false}}});
  EXPECT_EQ(again[0].failure(), Failure::Transient);
  EXPECT_EQ(again[1].failure(), Failure::Transient);
}

TEST(RestSink, ConcurrencyCapKeepsEachKeyInOrder) {
  std::mutex mu;
  std::atomic<int> in_flight{0}, most{0};
  std::map<std::string, std::vector<int>> versions;  // key -> versions in arrival order
  http::HttpServer server({.threads = 8}, [&](const HttpRequest& req) {
    int now = ++in_flight;
    for (int seen = most.load(); now > seen && !most.compare_exchange_weak(seen, now);) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(15));
    Json body = Json::parse(req.body);
    {
      std::lock_guard lock(mu);
      versions[body["no"]].push_back(body["v"]);
    }
    --in_flight;
    return HttpResponse::json(201, R"({"id":"1"})");
  });
  RestFixture fixture(api(server.base_url(),
                          "    concurrency: 3\n"
                          "    streams:\n      out: {write: {mode: create, path: /o}}\n"));
  Batch batch{"f", "b", {}};
  std::vector<std::string> keys, values;
  for (int v = 0; v < 4; ++v)
    for (int k = 0; k < 6; ++k) {
      keys.push_back("K" + std::to_string(k));
      values.push_back(Json{{"no", keys.back()}, {"v", v}}.dump());
    }
  for (size_t i = 0; i < keys.size(); ++i) batch.records.push_back({keys[i], values[i], "", false});
  auto results = fixture.sink("out")->push(batch);
  for (const auto& r : results) EXPECT_EQ(r.outcome(), Outcome::Created);
  EXPECT_LE(most.load(), 3);
  EXPECT_GE(most.load(), 2);
  ASSERT_EQ(versions.size(), 6u);
  for (const auto& [key, order] : versions) EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3})) << key;
}

TEST(RestSink, RateLimitSpacesRequestsAcrossLanes) {
  std::mutex mu;
  std::vector<std::chrono::steady_clock::time_point> arrivals;
  http::HttpServer server({.threads = 4}, [&](const HttpRequest&) {
    std::lock_guard lock(mu);
    arrivals.push_back(std::chrono::steady_clock::now());
    return HttpResponse::json(201, R"({"id":"1"})");
  });
  RestFixture fixture(api(server.base_url(),
                          "    rate_limit: 10\n    concurrency: 3\n"
                          "    streams:\n      out: {write: {mode: create, path: /o}}\n"));
  Batch batch{"f", "b", {}};
  std::vector<std::string> keys;
  for (int i = 0; i < 25; ++i) keys.push_back("K" + std::to_string(i));
  for (const auto& k : keys) batch.records.push_back({k, "{}", "", false});
  for (const auto& r : fixture.sink("out")->push(batch)) EXPECT_EQ(r.outcome(), Outcome::Created);
  ASSERT_EQ(arrivals.size(), 25u);
  std::sort(arrivals.begin(), arrivals.end());
  // A burst of 10, then 10 per second: never more than 20 in any second, and
  // the 25th no sooner than 1.5 s after the first (less a scheduling margin).
  for (size_t i = 0; i + 20 < arrivals.size(); ++i)
    EXPECT_GE(arrivals[i + 20] - arrivals[i], std::chrono::milliseconds(950)) << i;
  EXPECT_GE(arrivals.back() - arrivals.front(), std::chrono::milliseconds(1400));
}

}  // namespace
}  // namespace synchub::connectors
