// Master-detail listings whose detail answers are capped, against a real HTTP
// server on 127.0.0.1: the detail call is paged like a listing, and a record
// whose details cannot be complete is read again, then dead-lettered with the
// reason; it never goes out with part of its lines.
#include <gtest/gtest.h>

#include <mutex>
#include <nlohmann/json.hpp>

#include "http/http_server.hpp"
#include "tests/connectors/rest/rest_fixture.hpp"

namespace synchub::connectors {
namespace {

using Json = nlohmann::json;
using http::HttpRequest;
using http::HttpResponse;

// Ten orders; order i has 50 + i lines (555 in all). The line listing answers at most 100 rows a
// call, whatever was asked, and says how many it holds in all. `line_count` on an order can lie.
class OrdersWithLines {
 public:
  OrdersWithLines() {
    server_ = std::make_unique<http::HttpServer>(http::HttpServerOptions{}, [this](const HttpRequest& r) {
      std::lock_guard lock(mu_);
      return r.path == "/orders" ? orders() : lines(r);
    });
  }
  std::string base_url() const { return server_->base_url(); }
  void claim_lines(int order, int count) {
    std::lock_guard lock(mu_);
    claimed_[order] = count;
  }
  int detail_calls() const {
    std::lock_guard lock(mu_);
    return detail_calls_;
  }

 private:
  HttpResponse orders() const {
    Json rows = Json::array();
    for (int id = 1; id <= 10; ++id) {
      auto it = claimed_.find(id);
      rows.push_back({{"id", id},
                      {"no", "SO-" + std::to_string(id)},
                      {"line_count", it == claimed_.end() ? 50 + id : it->second}});
    }
    return HttpResponse::json(200, Json{{"data", rows}}.dump());
  }
  HttpResponse lines(const HttpRequest& r) {
    ++detail_calls_;
    std::vector<Json> all;
    std::string ids = "," + r.param("ids") + ",";
    for (int id = 1; id <= 10; ++id)
      if (ids.find("," + std::to_string(id) + ",") != std::string::npos)
        for (int n = 1; n <= 50 + id; ++n) all.push_back({{"order_id", id}, {"line", n}, {"amount", "1.10"}});
    const size_t page = r.has_param("page") ? std::stoul(r.param("page")) : 1;
    const size_t asked = r.has_param("per_page") ? std::stoul(r.param("per_page")) : 1000;
    const size_t size = std::min<size_t>(asked, 100);  // the cap, silently
    Json rows = Json::array();
    for (size_t i = (page - 1) * size; i < all.size() && rows.size() < size; ++i) rows.push_back(all[i]);
    return HttpResponse::json(200, Json{{"lines", rows}, {"total", all.size()}}.dump());
  }

  mutable std::mutex mu_;
  std::map<int, int> claimed_;
  int detail_calls_ = 0;
  std::unique_ptr<http::HttpServer> server_;
};

std::string config(const std::string& base_url, const std::string& detail_extra) {
  return "  api:\n    type: rest\n    base_url: " + base_url +
         "\n    streams:\n      orders:\n        path: /orders\n        key: no\n        records: data\n"
         "        detail: {path: /lines, param: ids, records: lines, match: order_id, by: id, into: lines, "
         "count: line_count" +
         detail_extra + "}\n";
}

size_t lines_of(const SourceRecord& record) {
  return Json::parse(record.value)["lines"].size();
}

TEST(RestDetails, ACappedDetailAnswerIsPagedUntilEveryLineCame) {
  OrdersWithLines server;
  RestFixture api(config(server.base_url(),
                         ", pagination: {type: page, param: page, size_param: per_page, size: 500, total: total}"));
  PullResult r = api.source("orders")->pull("", 100);
  ASSERT_EQ(r.records.size(), 10u);
  EXPECT_TRUE(r.rejects.empty());
  for (size_t i = 0; i < 10; ++i) EXPECT_EQ(lines_of(r.records[i]), 51 + i) << r.records[i].key;
  EXPECT_EQ(server.detail_calls(), 6);  // 555 rows, 100 at a time
}

TEST(RestDetails, ADetailAnswerHoldingMoreThanItReturnedIsAFailureThenADeadLetter) {
  OrdersWithLines server;
  RestFixture api(config(server.base_url(), ", attempts: 2, pagination: {total: total}"));
  auto source = api.source("orders");
  // First read: the answer says 555 rows and brings 100; nothing goes out, the page is read again.
  try {
    source->pull("", 100);
    FAIL() << "a page with incomplete details was accepted";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("holds 555 rows, 100 came"), std::string::npos) << e.what();
  }
  // Second read, the last attempt: every order of the page is dead-lettered whole, none sent.
  PullResult r = source->pull("", 100);
  EXPECT_TRUE(r.records.empty());
  ASSERT_EQ(r.rejects.size(), 10u);
  EXPECT_EQ(r.rejects[0].key, "SO-1");
  EXPECT_NE(r.rejects[0].reason.find("details incomplete"), std::string::npos) << r.rejects[0].reason;
  EXPECT_EQ(Json::parse(r.rejects[0].input).contains("lines"), false);
}

TEST(RestDetails, AMasterWhoseCountDisagreesIsHeldBackAloneAndReplayedWhole) {
  OrdersWithLines server;
  server.claim_lines(3, 60);  // order 3 says 60 lines, 53 exist
  RestFixture api(config(server.base_url(),
                         ", attempts: 2, pagination: {type: page, param: page, size_param: per_page, size: 100, "
                         "total: total}"));
  auto source = api.source("orders");
  EXPECT_THROW(source->pull("", 100), std::runtime_error);
  PullResult r = source->pull("", 100);
  ASSERT_EQ(r.records.size(), 9u);
  ASSERT_EQ(r.rejects.size(), 1u);
  EXPECT_EQ(r.rejects[0].key, "SO-3");
  EXPECT_EQ(r.rejects[0].reason, "details incomplete: 'line_count' says 60, 53 came");
  for (const auto& rec : r.records) EXPECT_EQ(lines_of(rec), 50 + std::stoul(rec.key.substr(3))) << rec.key;
  // Replayed as it was dead-lettered (without lines): still short, then whole once the CRM agrees.
  SourceRecord replayed;
  EXPECT_EQ(source->accept(r.rejects[0].input, replayed), "details incomplete: 'line_count' says 60, 53 came");
  const std::string fixed = Json{{"id", 3}, {"no", "SO-3"}, {"line_count", 53}}.dump();
  EXPECT_EQ(source->accept(fixed, replayed), "");
  EXPECT_EQ(lines_of(replayed), 53u);
}

}  // namespace
}  // namespace synchub::connectors
