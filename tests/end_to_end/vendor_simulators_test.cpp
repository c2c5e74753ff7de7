// The vendor simulators over HTTP, as a connector sees them: Fxiaoke (纷享销客)
// CRM OpenAPI v2 and Kingdee K3Cloud WebAPI. Each test asserts one behaviour
// the YAML configs rely on: paging and its caps, ties across a page boundary,
// token and session expiry, duplicates, bill steps, errors and faults.
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include "connectors/rest/http_client.hpp"
#include "examples/simulators/fxiaoke.hpp"
#include "examples/simulators/k3cloud.hpp"
#include "mapping/decimal.hpp"

namespace synchub::test {
namespace {

using connectors::rest::HttpClient;
using connectors::rest::HttpReply;
using Json = nlohmann::ordered_json;
using mapping::Decimal;

Decimal dec(const Json& v) {
  auto d = Decimal::parse(v.is_string() ? v.get<std::string>() : v.dump());
  if (!d) throw std::runtime_error("not a number: " + v.dump());
  return *d;
}

HttpReply post_raw(HttpClient& client, const std::string& url, const std::string& body,
                   std::vector<std::pair<std::string, std::string>> headers = {}) {
  headers.emplace_back("Content-Type", "application/json");
  return client.send({"POST", url, headers, body});
}

Json parse_or_fail(const HttpReply& reply) {
  EXPECT_EQ(reply.status, 200) << reply.transport_error << " " << reply.body;
  Json body = Json::parse(reply.body, nullptr, false);
  EXPECT_FALSE(body.is_discarded()) << reply.body;
  return body;
}

// ---------------------------------------------------------------- Fxiaoke

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

// ---------------------------------------------------------------- K3Cloud

class K3Client {
 public:
  explicit K3Client(const simulators::K3CloudSimulator& sim) : base_(sim.base_url()) {}

  HttpReply login_raw(const Json& body) {
    return post_raw(client_, base_ + "Kingdee.BOS.WebApi.ServicesStub.AuthService.ValidateUser.common.kdsvc",
                    body.dump());
  }
  Json login(const std::string& password = "k3-demo-password", Json lcid = 2052) {
    HttpReply reply =
        login_raw({{"acctID", "K3DEMO"}, {"username", "synchub"}, {"password", password}, {"lcid", lcid}});
    const std::string cookie = reply.header("set-cookie");
    if (cookie.rfind("kdservice-sessionid=", 0) == 0) session_ = cookie.substr(20, cookie.find(';') - 20);
    return parse_or_fail(reply);
  }
  HttpReply call_raw(const std::string& service, const std::string& body) {
    if (session_.empty()) login();
    return post_raw(client_, base_ + "Kingdee.BOS.WebApi.ServicesStub.DynamicFormService." + service + ".common.kdsvc",
                    body, {{"Cookie", "ASP.NET_SessionId=abc; kdservice-sessionid=" + session_ + "; lang=zh"}});
  }
  Json call(const std::string& service, const Json& body) { return parse_or_fail(call_raw(service, body.dump())); }
  Json save(const std::string& form, const Json& model) {
    return call("Save", {{"formid", form}, {"data", {{"IsDeleteEntry", true}, {"Model", model}}}});
  }
  Json step(const std::string& service, const std::string& form, const Json& numbers) {
    return call(service, {{"formid", form}, {"data", {{"Numbers", numbers}}}});
  }
  Json query(const Json& data) { return call("ExecuteBillQuery", {{"data", data}}); }
  std::string& session() { return session_; }

 private:
  std::string base_, session_;
  HttpClient client_;
};

const Json& status_of(const Json& answer) {
  return answer.is_array() ? answer[0][0]["Result"]["ResponseStatus"] : answer["Result"]["ResponseStatus"];
}

std::string message_of(const Json& answer) {
  const Json& errors = status_of(answer)["Errors"];
  return errors.empty() ? "" : errors[0]["Message"].get<std::string>();
}

Json customer(const std::string& no, const std::string& name) {
  return {
      {"FNumber", no}, {"FName", name}, {"FCreateOrgId", {{"FNumber", "100"}}}, {"FUseOrgId", {{"FNumber", "100"}}}};
}

Json material(const std::string& no, const std::string& unit = "Pcs") {
  return {{"FNumber", no},
          {"FName", "物料 " + no},
          {"FSpecification", "10mm"},
          {"FBaseUnitId", {{"FNumber", unit}}},
          {"FCreateOrgId", {{"FNumber", "100"}}}};
}

Json entry(const std::string& material, Json qty, Json price, Json all, Json amount, Json tax) {
  return {{"FMaterialId", {{"FNumber", material}}},
          {"FQty", qty},
          {"FTaxPrice", price},
          {"FEntryTaxRate", 13},
          {"FAllAmount", all},
          {"FAmount", amount},
          {"FTaxAmount", tax}};
}

Json order(const std::string& no, const std::string& cust, Json entries) {
  return {{"FBillNo", no},
          {"FDate", "2025-12-05 00:00:00"},
          {"FCustId", {{"FNumber", cust}}},
          {"FSaleOrgId", {{"FNumber", "100"}}},
          {"FSaleOrderFinance", {{"FSettleCurrId", {{"FNumber", "PRE001"}}}}},
          {"FNote", "备注 \"加急\""},
          {"FSaleOrderEntry", entries}};
}

// A K3Cloud with customers C1..C3, materials M1, M2 and `orders` orders of two lines each.
struct K3Fixture {
  explicit K3Fixture(simulators::K3CloudOptions options = {}, int orders = 0) : sim(options), k3(sim) {
    EXPECT_EQ(k3.login()["LoginResultType"], 1);
    for (const std::string c : {"C1", "C2", "C3"}) EXPECT_TRUE(ok(k3.save("BD_Customer", customer(c, "客户" + c))));
    for (const std::string m : {"M1", "M2"}) EXPECT_TRUE(ok(k3.save("BD_MATERIAL", material(m))));
    for (int i = 1; i <= orders; ++i) {
      Json lines = Json::array(
          {entry("M1", 2, "10.00", "22.60", "20.00", "2.60"), entry("M2", "1.5", 100, "169.50", "150.00", "19.50")});
      EXPECT_TRUE(
          ok(k3.save("SAL_SaleOrder", order("SO" + std::to_string(1000 + i), "C" + std::to_string(i % 3 + 1), lines))));
    }
  }
  static bool ok(const Json& answer) { return status_of(answer)["IsSuccess"] == true; }
  simulators::K3CloudSimulator sim;
  K3Client k3;
};

TEST(K3CloudSimulatorAuth, LoginSetsTheSessionCookieAndWrongPasswordsAreRefused) {
  simulators::K3CloudSimulator sim({});
  K3Client k3(sim);
  Json wrong = k3.login("guess");
  EXPECT_EQ(wrong["LoginResultType"], 0);
  EXPECT_EQ(wrong["Message"], "用户名或密码错误！");
  EXPECT_TRUE(k3.session().empty());
  Json good = k3.login("k3-demo-password", "2052");  // lcid as text, as some clients send it
  EXPECT_EQ(good["LoginResultType"], 1) << good.dump();
  EXPECT_EQ(good["MessageCode"], "CheckPasswordPolicy");
  EXPECT_FALSE(k3.session().empty());
  EXPECT_EQ(good["KDSVCSessionId"], k3.session());
  EXPECT_EQ(good["Context"]["UserName"], "synchub");
  EXPECT_EQ(sim.sessions_issued(), 1);
  EXPECT_TRUE(K3Fixture::ok(k3.save("BD_Customer", customer("C1", "客户"))));
}

TEST(K3CloudSimulatorAuth, CallsWithoutALiveSessionAreToldTheSessionIsLost) {
  simulators::K3CloudOptions options;
  options.session_ttl_ms = 30;
  simulators::K3CloudSimulator sim(options);
  K3Client k3(sim);
  k3.session() = "not-a-session";
  Json save = k3.save("BD_Customer", customer("C1", "x"));
  EXPECT_EQ(status_of(save)["MsgCode"], 1) << save.dump();
  EXPECT_EQ(status_of(save)["IsSuccess"], false);
  EXPECT_EQ(message_of(save), "会话信息已丢失，请重新登录");
  Json query = k3.query({{"FormId", "BD_Customer"}, {"FieldKeys", "FNumber"}});
  ASSERT_TRUE(query.is_array() && query[0].is_array()) << query.dump();
  EXPECT_EQ(status_of(query)["MsgCode"], 1);
  k3.login();
  std::this_thread::sleep_for(std::chrono::milliseconds(80));  // past the session's 30 ms
  EXPECT_EQ(status_of(k3.step("Submit", "BD_Customer", {"C1"}))["MsgCode"], 1);
  EXPECT_EQ(sim.session_lost_refusals(), 3);
  EXPECT_TRUE(sim.bills("BD_Customer").empty());

  simulators::K3CloudSimulator lasting({});
  K3Client k3b(lasting);
  EXPECT_TRUE(K3Fixture::ok(k3b.save("BD_Customer", customer("C1", "x"))));
  lasting.expire_now();
  EXPECT_EQ(status_of(k3b.save("BD_Customer", customer("C2", "y")))["MsgCode"], 1);
  k3b.login();
  EXPECT_TRUE(K3Fixture::ok(k3b.save("BD_Customer", customer("C2", "y"))));
  EXPECT_EQ(lasting.session_lost_refusals(), 1);
}

TEST(K3CloudSimulatorSave, BaseDataIsCreatedByNumberUpdatedByIdAndNeverTwice) {
  simulators::K3CloudSimulator sim({});
  K3Client k3(sim);
  Json created = k3.save("BD_Customer", customer("C1", "上海\"华东\"贸易有限公司"));
  const Json& status = status_of(created);
  ASSERT_EQ(status["IsSuccess"], true) << created.dump();
  EXPECT_EQ(status["MsgCode"], 0);
  const int64_t id = created["Result"]["Id"];
  EXPECT_EQ(created["Result"]["Number"], "C1");
  EXPECT_EQ(status["SuccessEntitys"][0]["Id"], id);
  Json again = k3.save("BD_Customer", customer("C1", "another"));
  EXPECT_EQ(status_of(again)["MsgCode"], 11);
  EXPECT_EQ(message_of(again), "违反字段唯一性要求：编码唯一。[C1]已经被使用。");
  Json update = customer("C1", "改名");
  update["FCUSTID"] = id;
  Json updated = k3.save("BD_Customer", update);
  EXPECT_EQ(updated["Result"]["Id"], id) << updated.dump();
  EXPECT_EQ(sim.bills("BD_Customer").at("C1")["FName"], "改名");

  EXPECT_EQ(message_of(k3.save("BD_MATERIAL", material("M1", "box"))), "计量单位[box]不存在");
  EXPECT_TRUE(K3Fixture::ok(k3.save("BD_MATERIAL", material("M1", "tai"))));
  EXPECT_EQ(message_of(k3.save("BD_MATERIAL", material("M1"))), "违反字段唯一性要求：编码唯一。[M1]已经被使用。");
  EXPECT_FALSE(sim.stock_of("M1").empty());
  Json stock = k3.query({{"FormId", "STK_Inventory"},
                         {"FieldKeys", "FMaterialId.FNumber,FStockId.FNumber,FBaseQty"},
                         {"FilterString", "FMaterialId.FNumber = 'M1'"}});
  ASSERT_EQ(stock.size(), 2u) << stock.dump();
  EXPECT_EQ(stock[0][1], "CK001");
  EXPECT_EQ(stock[1][1], "CK002");
  EXPECT_TRUE(dec(stock[0][2]) + dec(stock[1][2]) == dec(sim.stock_of("M1")));
  auto counts = sim.counts();
  EXPECT_EQ(counts["saves"], 3);
  EXPECT_EQ(counts["duplicates_refused"], 2);
}

TEST(K3CloudSimulatorSave, BadSalesOrdersAreRefusedWithTheirReason) {
  K3Fixture f;
  const Json good_line = entry("M1", 2, "10.00", "22.60", "20.00", "2.60");
  auto refused = [&](Json model) {
    Json answer = f.k3.save("SAL_SaleOrder", model);
    EXPECT_EQ(status_of(answer)["MsgCode"], 11) << answer.dump();
    EXPECT_EQ(status_of(answer)["ErrorCode"], 500);
    return message_of(answer);
  };
  EXPECT_NE(refused(order("", "C1", {good_line})), "");
  EXPECT_EQ(refused(order("SO1", "NOPE", {good_line})), "客户[NOPE]不存在");
  EXPECT_EQ(refused(order("SO1", "C1", Json::array({entry("M9", 1, 1, "1", "1", "0")}))), "物料[M9]不存在");
  EXPECT_NE(refused(order("SO1", "C1", Json::array())), "");
  EXPECT_NE(refused(order("SO1", "C1", Json::array({entry("M1", 0, 1, "1", "1", "0")}))), "");
  EXPECT_NE(refused(order("SO1", "C1", Json::array({entry("M1", "-1", 1, "1", "1", "0")}))), "");
  EXPECT_NE(refused(order("SO1", "C1", Json::array({entry("M1", 2, "10", "22.61", "20.00", "2.60")}))), "");
  EXPECT_TRUE(f.sim.bills("SAL_SaleOrder").empty());
  EXPECT_TRUE(K3Fixture::ok(f.k3.save("SAL_SaleOrder", order("SO1", "C1", {good_line}))));
  EXPECT_EQ(refused(order("SO1", "C2", {good_line})), "违反字段唯一性要求：编码唯一。[SO1]已经被使用。");
  EXPECT_EQ(f.sim.bills("SAL_SaleOrder").at("SO1")["FCustId.FNumber"], "C1");
  EXPECT_EQ(f.sim.bills("SAL_SaleOrder").at("SO1")["FDocumentStatus"], "A");
}

TEST(K3CloudSimulatorSave, AmountsKeepEveryDigitTheyCameWith) {
  K3Fixture f;
  // Raw JSON: numbers with places, which a double would not keep.
  const std::string body =
      R"({"formid":"SAL_SaleOrder","data":{"Model":{"FBillNo":"SO9","FCustId":{"FNumber":"C1"},)"
      R"("FSettleCurrId":{"FNumber":"PRE001"},"FSaleOrderEntry":[{"FMaterialId":{"FNumber":"M1"},)"
      R"("FQty":2.5,"FTaxPrice":12.345678,"FAllAmount":30.86,"FAmount":27.31,"FTaxAmount":3.55},)"
      R"({"FMaterialId":{"FNumber":"M2"},"FQty":"0.1","FTaxPrice":"9999999999.99",)"
      R"("FAllAmount":"999999999.999999","FAmount":"884955752.21","FTaxAmount":"115044247.789999"}]}}})";
  Json saved = parse_or_fail(f.k3.call_raw("Save", body));
  ASSERT_TRUE(K3Fixture::ok(saved)) << saved.dump();
  const Json bill = f.sim.bills("SAL_SaleOrder").at("SO9");
  EXPECT_EQ(bill["FSettleCurrId.FNumber"], "PRE001");
  EXPECT_EQ(bill["FSaleOrderEntry"][0]["FQty"], "2.5");
  EXPECT_EQ(bill["FSaleOrderEntry"][0]["FTaxPrice"], "12.345678");
  EXPECT_EQ(bill["FSaleOrderEntry"][1]["FTaxPrice"], "9999999999.99");
  Json rows = f.k3.query({{"FormId", "SAL_SaleOrder"},
                          {"FieldKeys", "FID,FBillNo,FDate,FTaxPrice,FAllAmount"},
                          {"FilterString", "FBillNo = 'SO9'"}});
  ASSERT_EQ(rows.size(), 2u) << rows.dump();
  EXPECT_TRUE(rows[0][0].is_number_integer());
  EXPECT_EQ(rows[0][2].get<std::string>().substr(10), "T00:00:00");
  EXPECT_EQ(rows[0][3], "12.345678");
  EXPECT_EQ(rows[1][4], "999999999.999999");
}

TEST(K3CloudSimulatorSteps, SubmitThenAuditAndEveryStepOutOfTurnIsRefused) {
  K3Fixture f({}, 3);
  auto step = [&](const std::string& service, const std::string& no) {
    return message_of(f.k3.step(service, "SAL_SaleOrder", {no}));
  };
  EXPECT_EQ(step("Audit", "SO1001"), "单据[SO1001]未提交，不能审核");
  Json submitted = f.k3.step("Submit", "SAL_SaleOrder", {"SO1001"});
  EXPECT_TRUE(K3Fixture::ok(submitted)) << submitted.dump();
  EXPECT_EQ(submitted["Result"]["Number"], "SO1001");
  EXPECT_EQ(f.sim.bills("SAL_SaleOrder").at("SO1001")["FDocumentStatus"], "B");
  EXPECT_EQ(step("Submit", "SO1001"), "单据[SO1001]已提交或已审核，不能重复提交");
  Json change = order("SO1001", "C1", {entry("M1", 1, "10", "11.30", "10.00", "1.30")});
  change["FID"] = f.sim.bills("SAL_SaleOrder").at("SO1001")["FID"];
  EXPECT_EQ(message_of(f.k3.save("SAL_SaleOrder", change)), "单据[SO1001]已审核或审核中，不允许修改");
  EXPECT_TRUE(f.sim.receivables().empty());
  EXPECT_TRUE(K3Fixture::ok(f.k3.step("Audit", "SAL_SaleOrder", {"SO1001"})));
  EXPECT_EQ(f.sim.bills("SAL_SaleOrder").at("SO1001")["FDocumentStatus"], "C");
  EXPECT_EQ(step("Audit", "SO1001"), "单据[SO1001]已审核，不能重复审核");
  EXPECT_EQ(step("Submit", "SO1001"), "单据[SO1001]已提交或已审核，不能重复提交");
  EXPECT_EQ(step("Submit", "SO404"), "单据[SO404]不存在");
  auto receivables = f.sim.receivables();
  ASSERT_EQ(receivables.size(), 1u);
  const Json& ar = receivables.begin()->second;
  EXPECT_EQ(receivables.begin()->first, "AR000001");
  EXPECT_EQ(ar["FORDERNUMBER"], "SO1001");
  EXPECT_EQ(ar["FALLAMOUNTFOR"], "192.10");  // 22.60 + 169.50
  EXPECT_EQ(ar["FDocumentStatus"], "C");
  EXPECT_EQ(f.sim.counts()["steps_refused"], 5);  // the save refused is no step

  // By ids, several at once: each is answered for itself.
  const std::string id2 = std::to_string(f.sim.bills("SAL_SaleOrder").at("SO1002")["FID"].get<int64_t>());
  Json both = f.k3.call("Submit", {{"formid", "SAL_SaleOrder"}, {"data", {{"Ids", id2 + ",999999"}}}});
  EXPECT_EQ(status_of(both)["IsSuccess"], false);
  EXPECT_EQ(status_of(both)["SuccessEntitys"].size(), 1u);
  EXPECT_EQ(status_of(both)["Errors"][0]["DIndex"], 1);
  EXPECT_EQ(f.sim.bills("SAL_SaleOrder").at("SO1002")["FDocumentStatus"], "B");
  // Re-audit (D) may be changed and submitted again.
  ASSERT_TRUE(f.sim.set_document_status("SAL_SaleOrder", "SO1002", "D"));
  change["FID"] = f.sim.bills("SAL_SaleOrder").at("SO1002")["FID"];
  change["FBillNo"] = "SO1002";
  EXPECT_TRUE(K3Fixture::ok(f.k3.save("SAL_SaleOrder", change)));
  EXPECT_EQ(f.sim.bills("SAL_SaleOrder").at("SO1002")["FSaleOrderEntry"].size(), 1u);
  EXPECT_TRUE(K3Fixture::ok(f.k3.step("Submit", "SAL_SaleOrder", {"SO1002"})));
}

TEST(K3CloudSimulatorQuery, RowsPerEntryLinePagedWithACapOnLimit) {
  simulators::K3CloudOptions options;
  options.max_rows = 4;
  K3Fixture f(options, 5);
  auto query = [&](const std::string& keys, int start, int limit, const std::string& filter = "") {
    return f.k3.query({{"FormId", "SAL_SaleOrder"},
                       {"FieldKeys", keys},
                       {"FilterString", filter},
                       {"OrderString", ""},
                       {"TopRowCount", 0},
                       {"StartRow", start},
                       {"Limit", limit}});
  };
  EXPECT_EQ(query("FBillNo,FMaterialId.FNumber,FQty", 0, 0).size(), 4u);    // 0: the cap
  EXPECT_EQ(query("FBillNo,FMaterialId.FNumber,FQty", 0, 100).size(), 4u);  // above it: the cap
  std::vector<Json> all;
  for (int start = 0;; start += 4) {
    Json page = query("FBillNo,FMaterialId.FNumber,FQty", start, 4);
    for (const auto& row : page) all.push_back(row);
    if (page.size() < 4) break;
  }
  ASSERT_EQ(all.size(), 10u);  // five orders, two lines each
  EXPECT_EQ(all[0], Json::array({"SO1001", "M1", "2"}));
  EXPECT_EQ(all[1], Json::array({"SO1001", "M2", "1.5"}));
  Json heads = query("FID,FBillNo,FDocumentStatus,FCustId.FNumber", 0, 4, "FBillNo >= 'SO1002'");
  ASSERT_EQ(heads.size(), 4u);  // one row per bill without entry fields
  EXPECT_EQ(heads[0][1], "SO1002");
  EXPECT_LT(heads[0][0].get<int64_t>(), heads[1][0].get<int64_t>());  // by id
  Json unknown = query("FBillNo,FNope", 0, 10);
  EXPECT_EQ(message_of(unknown), "字段[FNope]不存在") << unknown.dump();
  EXPECT_EQ(status_of(unknown)["MsgCode"], 11);
}

TEST(K3CloudSimulatorQuery, FilterStringAndOrderStringAreReadLikeSql) {
  K3Fixture f({}, 4);
  ASSERT_TRUE(K3Fixture::ok(f.k3.save("BD_Customer", customer("C4", "O'Brien & Sons"))));
  auto bills = [&](const std::string& filter, const std::string& order = "") {
    Json rows = f.k3.query(
        {{"FormId", "SAL_SaleOrder"}, {"FieldKeys", "FBillNo"}, {"FilterString", filter}, {"OrderString", order}});
    std::vector<std::string> out;
    if (!rows.is_array() || (rows.size() == 1 && rows[0].is_array() && rows[0][0].is_object()))
      return std::vector<std::string>{"error: " + message_of(rows)};
    for (const auto& r : rows) out.push_back(r[0]);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(bills("FBillNo = 'SO1002'"), V{"SO1002"});
  EXPECT_EQ(bills("FBillNo in ('SO1001', 'SO1003', 'X')"), (V{"SO1001", "SO1003"}));
  EXPECT_EQ(bills("FCustId.FNumber = 'C2' AND FDocumentStatus = 'A'"), (V{"SO1001", "SO1004"}));
  EXPECT_EQ(bills("(FBillNo <> 'SO1001') and FBillNo < 'SO1004'"), (V{"SO1002", "SO1003"}));
  EXPECT_EQ(bills("FModifyDate >= '2000-01-01T00:00:00' and FDate = '2025-12-05 00:00:00'").size(), 4u);
  EXPECT_EQ(bills("FModifyDate > '2999-01-01 00:00:00'"), V{});
  EXPECT_EQ(bills("FQty > 1.75").size(), 4u);  // a line per bill: the quantity 2 ones
  EXPECT_EQ(bills("FQty >= 1.5 AND FAllAmount = 169.5").size(), 4u);
  EXPECT_EQ(bills("", "FBillNo DESC"), (V{"SO1004", "SO1003", "SO1002", "SO1001"}));
  EXPECT_EQ(bills("FBillNo = 'SO1001"), V{"error: FilterString语法错误"});
  EXPECT_EQ(bills("FBillNo == 'SO1001' or"), V{"error: FilterString语法错误"});
  EXPECT_EQ(bills("FBillNo = 'SO1001' OR FBillNo = 'SO1002'"), V{"error: FilterString语法错误"});
  EXPECT_EQ(bills("FNope = 1"), V{"error: 字段[FNope]不存在"});
  Json quoted = f.k3.query({{"FormId", "BD_Customer"},
                            {"FieldKeys", "FCUSTID,FNumber,FName,FModifyDate"},
                            {"FilterString", "FName = 'O''Brien & Sons'"}});
  ASSERT_EQ(quoted.size(), 1u) << quoted.dump();
  EXPECT_EQ(quoted[0][1], "C4");
  EXPECT_EQ(quoted[0][3].get<std::string>().size(), 19u);
  EXPECT_EQ(quoted[0][3].get<std::string>()[10], 'T');
}

TEST(K3CloudSimulatorQuery, DataMayComeAsAJsonString) {
  K3Fixture f({}, 2);
  Json data = {{"FormId", "SAL_SaleOrder"}, {"FieldKeys", "FBillNo"}, {"FilterString", "FBillNo = 'SO1002'"}};
  Json rows = f.k3.call("ExecuteBillQuery", {{"data", data.dump()}});
  EXPECT_EQ(rows, Json::parse(R"([["SO1002"]])"));
}

TEST(K3CloudSimulatorStock, AdjustmentsShowInTheInventoryQuery) {
  K3Fixture f;
  const Decimal before = dec(f.sim.stock_of("M1"));
  EXPECT_TRUE(f.sim.adjust_stock("M1", "CK001", "-1.25"));
  EXPECT_TRUE(f.sim.adjust_stock("M1", "CK003", "7"));  // a stock it was not in yet
  EXPECT_FALSE(f.sim.adjust_stock("M404", "CK001", "1"));
  EXPECT_TRUE(dec(f.sim.stock_of("M1")) == before + *Decimal::parse("5.75"));
  Json rows = f.k3.query({{"FormId", "STK_Inventory"},
                          {"FieldKeys", "FMaterialId.FNumber,FStockId.FNumber,FBaseQty"},
                          {"FilterString", "FMaterialId.FNumber = 'M1'"},
                          {"OrderString", "FStockId.FNumber DESC"}});
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], Json::array({"M1", "CK003", "7"}));
  Decimal sum;
  for (const auto& r : rows) sum = sum + dec(r[2]);
  EXPECT_TRUE(sum == dec(f.sim.stock_of("M1")));
  const std::string m1 = f.sim.stock_of("M1"), m2 = f.sim.stock_of("M2");
  f.sim.trickle(4);
  EXPECT_TRUE(f.sim.stock_of("M1") != m1 || f.sim.stock_of("M2") != m2);
}

TEST(K3CloudSimulatorFaults, BusyAnswersAndInjectedFaults) {
  simulators::K3CloudOptions options;
  options.busy_rate = 1;
  simulators::K3CloudSimulator busy(options);
  K3Client k3(busy);
  EXPECT_EQ(k3.login()["LoginResultType"], 1);  // logging in is never busy
  Json save = k3.save("BD_Customer", customer("C1", "x"));
  EXPECT_EQ(status_of(save)["MsgCode"], 13) << save.dump();
  EXPECT_EQ(message_of(save), "服务器繁忙，请稍后再试");
  Json query = k3.query({{"FormId", "BD_Customer"}, {"FieldKeys", "FNumber"}});
  EXPECT_EQ(status_of(query)["MsgCode"], 13) << query.dump();
  EXPECT_TRUE(busy.bills("BD_Customer").empty());

  const Json creds = {{"acctID", "K3DEMO"}, {"username", "synchub"}, {"password", "k3-demo-password"}, {"lcid", 2052}};
  simulators::K3CloudOptions failing;
  failing.faults.error_rate = 1;
  simulators::K3CloudSimulator unavailable(failing);
  EXPECT_EQ(K3Client(unavailable).login_raw(creds).status, 503);
  EXPECT_EQ(unavailable.sessions_issued(), 0);
  simulators::K3CloudOptions dropping;
  dropping.faults.drop_rate = 1;
  simulators::K3CloudSimulator dropped(dropping);
  EXPECT_EQ(K3Client(dropped).login_raw(creds).status, 0);
  EXPECT_EQ(dropped.sessions_issued(), 1);  // done, then dropped
  simulators::K3CloudOptions spoiling;
  spoiling.faults.malformed_rate = 1;
  simulators::K3CloudSimulator spoiled(spoiling);
  HttpReply reply = K3Client(spoiled).login_raw(creds);
  EXPECT_TRUE(Json::parse(reply.body, nullptr, false).is_discarded()) << reply.body;
  EXPECT_EQ(spoiled.sessions_issued(), 1);
}

}  // namespace
}  // namespace synchub::test
