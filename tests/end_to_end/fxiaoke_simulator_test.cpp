// The Fxiaoke (纷享销客) CRM OpenAPI v2 simulator over HTTP, as a connector sees
// it. Each test asserts one behaviour the YAML configs rely on: paging and its
// caps, ties across a page boundary, token expiry, errors and faults.
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include "examples/simulators/fxiaoke.hpp"
#include "tests/end_to_end/vendor_sim_support.hpp"

namespace synchub::test {
namespace {

using namespace vendor;  // NOLINT: the shared helpers of these tests

class FxiaokeClient {
 public:
  explicit FxiaokeClient(const simulators::FxiaokeSimulator& sim) : base_(sim.base_url()) {}

  Json get_token(const std::string& secret = "fxiaoke-secret") {
    return post("/cgi/corpAccessToken/get/V2",
                {{"appId", "fxiaoke-app"}, {"appSecret", secret}, {"permanentCode", "fxiaoke-permanent"}});
  }
  std::string token() {
    Json answer = get_token();
    EXPECT_EQ(answer["errorCode"], 0) << answer.dump();
    return answer.value("corpAccessToken", "");
  }
  Json post(const std::string& path, const Json& body) {
    return parse_or_fail(post_raw(client_, base_ + path, body.dump()));
  }
  // A call as the demo user, with a fresh token unless one is given.
  Json call(const std::string& path, const Json& data, std::string token = "") {
    if (token.empty()) token = token_.empty() ? (token_ = this->token()) : token_;
    return post(
        path,
        {{"corpAccessToken", token}, {"corpId", "FSCORP_DEMO"}, {"currentOpenUserId", "FSUID_DEMO"}, {"data", data}});
  }
  Json query(const std::string& object, Json info) {
    return call("/cgi/crm/v2/data/query", {{"dataObjectApiName", object}, {"search_query_info", info}});
  }
  // Every row of `object` matching `filters`, page by page in `orders` order.
  std::vector<Json> all(const std::string& object, const Json& filters = Json::array(),
                        const Json& orders = Json::array()) {
    std::vector<Json> rows;
    for (int offset = 0;; offset += 100) {
      Json answer = query(object, {{"limit", 100}, {"offset", offset}, {"filters", filters}, {"orders", orders}});
      EXPECT_EQ(answer["errorCode"], 0) << answer.dump();
      const Json& list = answer["data"]["dataList"];
      for (const auto& row : list) rows.push_back(row);
      if (list.size() < 100 || offset > 100000) return rows;
    }
  }
  HttpClient& http() { return client_; }
  const std::string& base() const { return base_; }

 private:
  std::string base_, token_;
  HttpClient client_;
};

Json by_time(bool asc = true) {
  return Json::array({{{"fieldName", "last_modified_time"}, {"isAsc", asc}}});
}

Json filter(const std::string& field, const std::string& op, Json values) {
  if (!values.is_array()) values = Json::array({values});
  return {{"field_name", field}, {"field_values", values}, {"operator", op}};
}

TEST(FxiaokeSimulatorAuth, TokensAreIssuedForTheRightCredentialsOnlyAndSeveralWorkAtOnce) {
  simulators::FxiaokeSimulator sim({});
  FxiaokeClient fx(sim);
  Json wrong = fx.get_token("not-the-secret");
  EXPECT_EQ(wrong["errorCode"], 20001) << wrong.dump();
  EXPECT_FALSE(wrong.contains("corpAccessToken"));
  Json first = fx.get_token();
  EXPECT_EQ(first["errorCode"], 0);
  EXPECT_EQ(first["corpId"], "FSCORP_DEMO");
  EXPECT_EQ(first["expiresIn"], 7200);
  const std::string second = fx.token();
  EXPECT_NE(first["corpAccessToken"], second);
  for (const std::string& t : {first["corpAccessToken"].get<std::string>(), second}) {
    Json answer = fx.call("/cgi/crm/v2/data/query",
                          {{"dataObjectApiName", "AccountObj"}, {"search_query_info", {{"limit", 1}}}}, t);
    EXPECT_EQ(answer["errorCode"], 0) << answer.dump();
  }
  EXPECT_GE(sim.tokens_issued(), 2);
  EXPECT_EQ(sim.expired_token_refusals(), 0);
}

TEST(FxiaokeSimulatorAuth, TokensExpireAfterTheirTtlAndOnExpireNow) {
  simulators::FxiaokeOptions options;
  options.token_ttl_ms = 30;
  simulators::FxiaokeSimulator short_lived(options);
  FxiaokeClient fx(short_lived);
  const std::string token = fx.token();
  std::this_thread::sleep_for(std::chrono::milliseconds(80));
  Json answer = fx.call("/cgi/crm/v2/data/query", {{"dataObjectApiName", "AccountObj"}}, token);
  EXPECT_EQ(answer["errorCode"], 20016) << answer.dump();
  EXPECT_EQ(short_lived.expired_token_refusals(), 1);

  simulators::FxiaokeSimulator sim({});
  FxiaokeClient fx2(sim);
  const std::string good = fx2.token();
  EXPECT_EQ(fx2.call("/cgi/crm/v2/data/query", {{"dataObjectApiName", "AccountObj"}}, good)["errorCode"], 0);
  sim.expire_now();
  EXPECT_EQ(fx2.call("/cgi/crm/v2/data/query", {{"dataObjectApiName", "AccountObj"}}, good)["errorCode"], 20016);
  EXPECT_EQ(fx2.call("/cgi/crm/v2/data/query", {{"dataObjectApiName", "AccountObj"}}, "made-up")["errorCode"], 20016);
  EXPECT_EQ(fx2.call("/cgi/crm/v2/data/query", {{"dataObjectApiName", "AccountObj"}}, fx2.token())["errorCode"], 0);
  EXPECT_EQ(sim.expired_token_refusals(), 2);
}

TEST(FxiaokeSimulatorAuth, WrongCorpIdOrMissingUserIsRefused) {
  simulators::FxiaokeSimulator sim({});
  FxiaokeClient fx(sim);
  const std::string token = fx.token();
  Json data = {{"dataObjectApiName", "AccountObj"}};
  Json wrong_corp =
      fx.post("/cgi/crm/v2/data/query",
              {{"corpAccessToken", token}, {"corpId", "OTHER"}, {"currentOpenUserId", "FSUID_DEMO"}, {"data", data}});
  EXPECT_EQ(wrong_corp["errorCode"], 20002) << wrong_corp.dump();
  Json no_user =
      fx.post("/cgi/crm/v2/data/query", {{"corpAccessToken", token}, {"corpId", "FSCORP_DEMO"}, {"data", data}});
  EXPECT_EQ(no_user["errorCode"], 20003) << no_user.dump();
  EXPECT_FALSE(no_user["errorMessage"].get<std::string>().empty());
}

TEST(FxiaokeSimulatorQuery, LimitIsCappedAt100AndTotalCountsEveryMatch) {
  simulators::FxiaokeSimulator sim({});
  FxiaokeClient fx(sim);
  Json answer = fx.query("SalesOrderObj", {{"limit", 500}, {"offset", 0}, {"orders", by_time()}});
  ASSERT_EQ(answer["errorCode"], 0) << answer.dump();
  EXPECT_EQ(answer["data"]["limit"], 100);
  EXPECT_EQ(answer["data"]["dataList"].size(), 100u);
  EXPECT_EQ(answer["data"]["total"], 200);
  Json past = fx.query("SalesOrderObj", {{"limit", 100}, {"offset", 200}});
  EXPECT_TRUE(past["data"]["dataList"].empty());
  EXPECT_EQ(past["data"]["total"], 200);
  std::set<std::string> names;
  for (const auto& o : fx.all("SalesOrderObj", Json::array(), by_time())) names.insert(o["name"].get<std::string>());
  EXPECT_EQ(names.size(), 200u);
}

TEST(FxiaokeSimulatorQuery, TiedTimesStraddleThePageBoundaryInTheServersOwnOrder) {
  simulators::FxiaokeSimulator sim({});
  FxiaokeClient fx(sim);
  std::vector<Json> rows = fx.all("SalesOrderObj", Json::array(), by_time());
  ASSERT_EQ(rows.size(), 200u);
  const Json tie = rows[90]["last_modified_time"];
  std::vector<std::string> tied_names, tied_ids;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i]["last_modified_time"] != tie) continue;
    EXPECT_TRUE(i >= 90 && i < 110) << i;
    tied_names.push_back(rows[i]["name"]);
    tied_ids.push_back(rows[i]["_id"]);
  }
  ASSERT_EQ(tied_names.size(), 20u);
  EXPECT_TRUE(std::is_sorted(tied_names.begin(), tied_names.end()));  // insertion order...
  EXPECT_FALSE(std::is_sorted(tied_ids.begin(), tied_ids.end()));     // ...which is not _id order
  // A cursor that resumes with GT after the first page loses the tied rows of the second.
  Json gt =
      fx.query("SalesOrderObj", {{"limit", 1}, {"filters", Json::array({filter("last_modified_time", "GT", {tie})})}});
  Json gte =
      fx.query("SalesOrderObj", {{"limit", 1}, {"filters", Json::array({filter("last_modified_time", "GTE", {tie})})}});
  EXPECT_EQ(gt["data"]["total"], 90);
  EXPECT_EQ(gte["data"]["total"], 110);
  // Descending order reverses the times, not the server's order within a tie.
  std::vector<Json> desc = fx.all("SalesOrderObj", Json::array(), by_time(false));
  EXPECT_EQ(desc[90]["name"], tied_names.front());
}

TEST(FxiaokeSimulatorQuery, FiltersCompareTimesAsNumbersAndTextAsText) {
  simulators::FxiaokeSimulator sim({});
  FxiaokeClient fx(sim);
  std::vector<Json> orders = fx.all("SalesOrderObj", Json::array(), by_time());
  const int64_t t = orders[150]["last_modified_time"];
  auto total = [&](const Json& f) {
    Json answer = fx.query("SalesOrderObj", {{"limit", 10}, {"offset", 0}, {"filters", Json::array({f})}});
    EXPECT_EQ(answer["errorCode"], 0) << answer.dump();
    return answer["data"].value("total", -1);
  };
  EXPECT_EQ(total(filter("last_modified_time", "GTE", {t})), 50);
  EXPECT_EQ(total(filter("last_modified_time", "GTE", {std::to_string(t)})), 50);
  EXPECT_EQ(total(filter("last_modified_time", "LT", {std::to_string(t)})), 150);
  EXPECT_EQ(total(filter("last_modified_time", "LTE", {t})), 151);
  EXPECT_EQ(total(filter("name", "EQ", {"SO20261205-00007"})), 1);
  EXPECT_EQ(total(filter("name", "IN", {"SO20261205-00007", "SO20261205-00008", "nope"})), 2);
  EXPECT_EQ(total(filter("name", "GT", {"SO20261205-00190"})), 10);  // text order
  EXPECT_EQ(fx.query("SalesOrderObj", {{"filters", Json::array({filter("name", "LIKE", {"x"})})}})["errorCode"],
            300003);
  EXPECT_EQ(fx.query("NoSuchObj", {})["errorCode"], 300003);
}

TEST(FxiaokeSimulatorData, OrderAmountsAreExactSumsOfRoundedLinesExceptTheBadTotals) {
  simulators::FxiaokeOptions options;
  options.bad_totals = 2;
  simulators::FxiaokeSimulator sim(options);
  FxiaokeClient fx(sim);
  std::map<std::string, Decimal> sums;
  int long_prices = 0;
  for (const auto& line : fx.all("SalesOrderProductObj")) {
    const Decimal exact = dec(line["quantity"]) * dec(line["sales_price"]);
    EXPECT_TRUE(exact == dec(line["subtotal"])) << line.dump();
    sums[line["order_id"].get<std::string>()] =
        sums[line["order_id"].get<std::string>()] + exact.round(2, mapping::Rounding::HalfUp);
    const std::string price = line["sales_price"];
    if (price.size() - price.find('.') > 3 && price.substr(price.size() - 4) != "0000") ++long_prices;
  }
  EXPECT_GT(long_prices, 0) << "some prices have more than 2 places";
  int off = 0;
  std::map<std::string, int> statuses;
  for (const auto& order : fx.all("SalesOrderObj")) {
    const std::string amount = order["order_amount"];
    EXPECT_EQ(amount.size() - amount.find('.'), 3u) << amount;
    const Decimal diff = dec(amount) - sums[order["_id"].get<std::string>()];
    if (!(diff == Decimal(0))) {
      ++off;
      EXPECT_TRUE(diff == *Decimal::parse("0.01")) << order["name"] << " off by " << diff.str();
    }
    ++statuses[order["life_status"].get<std::string>()];
  }
  EXPECT_EQ(off, 2);
  EXPECT_GT(statuses["normal"], 150);
  EXPECT_GT(statuses["under_review"], 0);
  EXPECT_GT(statuses["ineffective"], 0);
}

TEST(FxiaokeSimulatorData, MasterDataHasAwkwardNamesAllUnitsAndValidReferences) {
  simulators::FxiaokeSimulator sim({});
  FxiaokeClient fx(sim);
  std::set<std::string> account_ids, product_ids, units;
  bool quoted_name = false;
  for (const auto& a : fx.all("AccountObj")) {
    account_ids.insert(a["_id"].get<std::string>());
    EXPECT_EQ(a["_id"].get<std::string>().size(), 24u);
    quoted_name = quoted_name || a["name"].get<std::string>().find('"') != std::string::npos;
  }
  EXPECT_EQ(account_ids.size(), 20u);  // orders / 10
  EXPECT_TRUE(quoted_name);
  for (const auto& p : fx.all("ProductObj")) {
    product_ids.insert(p["_id"].get<std::string>());
    units.insert(p["unit"].get<std::string>());
    EXPECT_TRUE(p["stock_qty__c"].is_null());
  }
  EXPECT_EQ(units, (std::set<std::string>{"pcs", "个", "件", "台", "套", "箱"}));
  for (const auto& o : sim.orders()) {
    EXPECT_TRUE(account_ids.count(o["account_id"].get<std::string>())) << o["name"];
    for (const auto& l : o["lines"]) EXPECT_TRUE(product_ids.count(l["product_id"].get<std::string>()));
  }
}

TEST(FxiaokeSimulatorQuery, LinesOfOnePageOfOrdersNeedSeveralPages) {
  simulators::FxiaokeSimulator sim({});
  FxiaokeClient fx(sim);
  Json page = fx.query("SalesOrderObj", {{"limit", 100}, {"offset", 0}, {"orders", by_time()}});
  Json ids = Json::array();
  for (const auto& o : page["data"]["dataList"]) ids.push_back(o["_id"]);
  ASSERT_EQ(ids.size(), 100u);
  const Json in = Json::array({filter("order_id", "IN", ids)});
  Json first = fx.query("SalesOrderProductObj", {{"limit", 100}, {"offset", 0}, {"filters", in}});
  const int total = first["data"]["total"];
  EXPECT_GT(total, 200);
  std::vector<Json> lines = fx.all("SalesOrderProductObj", in);
  EXPECT_EQ(static_cast<int>(lines.size()), total);
  size_t expected = 0, longest = 0;
  std::set<std::string> wanted;
  for (const auto& id : ids) wanted.insert(id.get<std::string>());
  for (const auto& o : sim.orders()) {
    if (!wanted.count(o["_id"].get<std::string>())) continue;
    expected += o["lines"].size();
    longest = std::max(longest, o["lines"].size());
  }
  EXPECT_EQ(lines.size(), expected);
  EXPECT_GE(longest, 30u);
}

TEST(FxiaokeSimulatorUpdate, WritableFieldsChangeAndTheRowBecomesTheNewest) {
  simulators::FxiaokeSimulator sim({});
  FxiaokeClient fx(sim);
  std::vector<Json> products = fx.all("ProductObj", Json::array(), by_time());
  const std::string id = products.front()["_id"];
  auto update = [&](const std::string& object, Json fields) {
    fields["dataObjectApiName"] = object;
    return fx.call("/cgi/crm/v2/data/update", {{"object_data", fields}});
  };
  Json ok = update("ProductObj", {{"_id", id}, {"stock_qty__c", "12.5"}});
  EXPECT_EQ(ok["errorCode"], 0) << ok.dump();
  EXPECT_EQ(ok["dataId"], id);
  std::vector<Json> after = fx.all("ProductObj", Json::array(), by_time());
  EXPECT_EQ(after.back()["_id"], id);
  EXPECT_EQ(after.back()["stock_qty__c"], "12.5");
  EXPECT_GT(after.back()["last_modified_time"].get<int64_t>(), products.back()["last_modified_time"].get<int64_t>());

  EXPECT_EQ(update("ProductObj", {{"_id", "000000000000000000000000"}, {"stock_qty__c", 1}})["errorCode"], 300001);
  EXPECT_EQ(update("ProductObj", {{"_id", id}, {"name", "renamed"}})["errorCode"], 300002);
  const std::string account = fx.all("AccountObj").front()["_id"];
  EXPECT_EQ(update("AccountObj", {{"_id", account}, {"name", "renamed"}})["errorCode"], 300002);

  const std::string order = fx.all("SalesOrderObj").front()["_id"];
  Json wrote =
      fx.post("/cgi/crm/v2/data/update",
              Json::parse(R"({"corpAccessToken":")" + fx.token() + R"(","corpId":"FSCORP_DEMO",)" +
                          R"("currentOpenUserId":"FSUID_DEMO","data":{"object_data":{)" +
                          R"("dataObjectApiName":"SalesOrderObj","_id":")" + order +
                          R"(","receivable_amount__c":"1234.50","receivable_no__c":"AR000001","remark":"ok"}}})"));
  EXPECT_EQ(wrote["errorCode"], 0) << wrote.dump();
  // A JSON number with places keeps its digits.
  HttpReply raw =
      post_raw(fx.http(), fx.base() + "/cgi/crm/v2/data/update",
               R"({"corpAccessToken":")" + fx.token() +
                   R"(","corpId":"FSCORP_DEMO","currentOpenUserId":"FSUID_DEMO","data":{"object_data":{)" +
                   R"("dataObjectApiName":"SalesOrderObj","_id":")" + order + R"(","receivable_amount__c":1234.10}}})");
  EXPECT_EQ(parse_or_fail(raw)["errorCode"], 0) << raw.body;
  for (const auto& o : sim.orders()) {
    if (o["_id"] != order) continue;
    EXPECT_EQ(o["receivable_amount__c"], "1234.10");
    EXPECT_EQ(o["receivable_no__c"], "AR000001");
    EXPECT_EQ(o["remark"], "ok");
  }
}

TEST(FxiaokeSimulatorFaults, BusyAnswersComeBeforeAnyWork) {
  simulators::FxiaokeOptions options;
  options.busy_rate = 1;
  simulators::FxiaokeSimulator sim(options);
  FxiaokeClient fx(sim);
  Json busy = fx.get_token();
  EXPECT_EQ(busy["errorCode"], -1) << busy.dump();
  EXPECT_EQ(busy["errorMessage"], "系统繁忙，请稍后重试");
  EXPECT_EQ(sim.tokens_issued(), 0);
}

TEST(FxiaokeSimulatorFaults, InjectedFaultsRefuseBeforeOrSpoilAfterTheWork) {
  auto with = [](auto set) {
    simulators::FxiaokeOptions options;
    set(options.faults);
    return options;
  };
  const std::string creds =
      R"({"appId":"fxiaoke-app","appSecret":"fxiaoke-secret","permanentCode":"fxiaoke-permanent"})";
  const std::string path = "/cgi/corpAccessToken/get/V2";
  HttpClient client;
  {
    simulators::FxiaokeSimulator sim(with([](auto& f) { f.error_rate = 1; }));
    EXPECT_EQ(post_raw(client, sim.base_url() + path, creds).status, 503);
    EXPECT_EQ(sim.tokens_issued(), 0);
  }
  {
    simulators::FxiaokeSimulator sim(with([](auto& f) { f.throttle_rate = 1; }));
    HttpReply r = post_raw(client, sim.base_url() + path, creds);
    EXPECT_EQ(r.status, 429);
    EXPECT_EQ(r.header("retry-after"), "1");
    EXPECT_EQ(sim.tokens_issued(), 0);
  }
  {
    simulators::FxiaokeSimulator sim(with([](auto& f) { f.drop_rate = 1; }));
    HttpReply r = post_raw(client, sim.base_url() + path, creds);
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(sim.tokens_issued(), 1);  // done, then dropped
  }
  {
    simulators::FxiaokeSimulator sim(with([](auto& f) { f.malformed_rate = 1; }));
    HttpReply r = post_raw(client, sim.base_url() + path, creds);
    EXPECT_EQ(r.status, 200);
    EXPECT_TRUE(Json::parse(r.body, nullptr, false).is_discarded()) << r.body;
    EXPECT_EQ(sim.tokens_issued(), 1);
  }
}

TEST(FxiaokeSimulatorTrickle, NewAndEditedOrdersAreNewerThanEverythingBefore) {
  simulators::FxiaokeSimulator sim({});
  FxiaokeClient fx(sim);
  const int64_t before = fx.all("SalesOrderObj", Json::array(), by_time()).back()["last_modified_time"];
  sim.trickle(3, 0);
  std::vector<Json> added = fx.all("SalesOrderObj", Json::array({filter("last_modified_time", "GT", {before})}));
  ASSERT_EQ(added.size(), 3u);
  EXPECT_EQ(added.back()["name"], "SO20261205-00203");
  std::set<std::string> new_ids;
  for (const auto& o : added) new_ids.insert(o["_id"].get<std::string>());
  Json lines = fx.query("SalesOrderProductObj",
                        {{"limit", 1}, {"filters", Json::array({filter("order_id", "IN", Json(new_ids))})}});
  EXPECT_GE(lines["data"]["total"].get<int>(), 3);
  const int64_t mid = added.back()["last_modified_time"];
  sim.trickle(0, 2);
  std::vector<Json> edited = fx.all("SalesOrderObj", Json::array({filter("last_modified_time", "GT", {mid})}));
  ASSERT_EQ(edited.size(), 2u);
  for (const auto& o : edited) EXPECT_EQ(o["remark"].get<std::string>().rfind("edited ", 0), 0u) << o.dump();
  EXPECT_EQ(fx.query("SalesOrderObj", {{"limit", 1}})["data"]["total"], 203);
}

}  // namespace
}  // namespace synchub::test
