// The Kingdee K3Cloud WebAPI simulator over HTTP, as a connector sees it. Each
// test asserts one behaviour the YAML configs rely on: session expiry,
// duplicates, bill steps, queries and their caps, errors and faults.
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include "examples/simulators/k3cloud.hpp"
#include "tests/end_to_end/vendor_sim_support.hpp"

namespace synchub::test {
namespace {

using namespace vendor;  // NOLINT: the shared helpers of these tests

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
