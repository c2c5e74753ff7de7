// APIs shaped like Kingdee K3Cloud and Fxiaoke, configured by YAML alone:
// an ordered list of error rules tells session loss, "busy", a duplicate
// number, a step done already and a real refusal apart in HTTP 200 bodies;
// look-ups are a POST whose filter text is built from the record, answered
// with rows as arrays; a login answers two values that every later body
// carries; a login refused inside a 200 body is an error.
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "http/http_server.hpp"
#include "tests/connectors/rest/rest_fixture.hpp"

namespace synchub::connectors {
namespace {

using Json = nlohmann::ordered_json;
using http::HttpRequest;
using http::HttpResponse;

Json status_answer(bool ok, int msg_code, const std::string& message) {
  Json errors = Json::array();
  if (!ok) errors.push_back({{"FieldName", nullptr}, {"Message", message}, {"DIndex", 0}});
  return {{"Result", {{"ResponseStatus", {{"IsSuccess", ok}, {"MsgCode", msg_code}, {"Errors", errors}}}}}};
}

// A bill ERP that speaks like K3Cloud: a session cookie, HTTP 200 for everything.
class KingdeeLike {
 public:
  KingdeeLike() : server_({}, [this](const HttpRequest& r) { return handle(r); }) {}
  std::string base_url() const { return server_.base_url(); }

  std::mutex mu;
  std::map<std::string, std::string> bills;  // number -> A (saved), B (submitted), C (audited)
  std::set<std::string> sessions;
  int logins = 0, login_attempts = 0;
  bool busy_next = false;
  bool cut_next_save = false;        // the next Save is done, its answer cut off
  bool cut_busy_submit = false;      // the next Submit is refused as busy (not done), that answer cut off
  std::vector<std::string> filters;  // the FilterStrings asked

 private:
  HttpResponse answer(const Json& body) { return HttpResponse::json(200, body.dump()); }

  HttpResponse handle(const HttpRequest& r) {
    std::lock_guard lock(mu);
    const Json in = Json::parse(r.body, nullptr, false);
    if (r.path == "/ValidateUser") {
      ++login_attempts;
      if (in.value("password", "") != "pw\"1")
        return answer({{"LoginResultType", 0}, {"Message", "用户名或密码错误！"}});
      const std::string sid = "s" + std::to_string(++logins);
      sessions.insert(sid);
      HttpResponse ok = answer({{"LoginResultType", 1}, {"KDSVCSessionId", sid}});
      ok.headers.emplace_back("Set-Cookie", "kdservice-sessionid=" + sid + "; Path=/");
      return ok;
    }
    const std::string cookie = r.header("Cookie");
    const std::string sid = cookie.substr(cookie.find('=') + 1);
    const bool query = r.path == "/ExecuteBillQuery";
    auto refused = [&](int code, const std::string& message) {
      Json a = status_answer(false, code, message);
      return answer(query ? Json::array({Json::array({a})}) : a);
    };
    if (!sessions.count(sid)) return refused(1, "会话信息已丢失，请重新登录");
    if (busy_next) {
      busy_next = false;
      return refused(13, "服务器繁忙，请稍后再试");
    }
    if (query) {
      const std::string filter = in["data"]["FilterString"].get<std::string>();
      filters.push_back(filter);
      Json rows = Json::array();
      for (const auto& [no, state] : bills) {
        std::string literal;  // the number as a quoted filter literal: ' doubled
        for (char c : no) literal += c == '\'' ? std::string("''") : std::string(1, c);
        if (filter == "FBillNo='" + literal + "'") rows.push_back(Json::array({no, 100 + no.size(), state}));
      }
      return answer(rows);
    }
    if (r.path == "/Save") {
      const std::string no = in["data"]["Model"]["FBillNo"].get<std::string>();
      if (no.empty()) return refused(11, "单据编号必填");
      if (bills.count(no)) return refused(11, "违反字段唯一性要求：编码唯一。[" + no + "]已经被使用。");
      bills[no] = "A";
      Json ok = status_answer(true, 0, "");
      ok["Result"]["Number"] = no;
      if (cut_next_save) {
        cut_next_save = false;
        const std::string text = ok.dump();
        return HttpResponse::json(200, text.substr(0, text.size() / 2));
      }
      return answer(ok);
    }
    const std::string no = in["data"]["Numbers"][0].get<std::string>();
    if (r.path == "/Submit" && cut_busy_submit) {
      cut_busy_submit = false;
      const std::string text = status_answer(false, 13, "服务器繁忙，请稍后再试").dump();
      return HttpResponse::json(200, text.substr(0, text.size() / 2));
    }
    std::string& state = bills[no];
    if (r.path == "/Submit") {
      if (state != "A") return refused(11, "单据[" + no + "]已提交或已审核，不能重复提交");
      state = "B";
    } else {
      if (state == "C") return refused(11, "单据[" + no + "]已审核，不能重复审核");
      state = "C";
    }
    return answer(status_answer(true, 0, ""));
  }

  http::HttpServer server_;
};

std::string kingdee_config(const std::string& base, const std::string& password = "'pw\"1'") {
  const std::string status = "Result.ResponseStatus";
  return "  api:\n    type: rest\n    base_url: " + base +
         "\n"
         "    auth:\n"
         "      type: session\n"
         "      login_path: /ValidateUser\n"
         "      login_fields: {acctID: K3, username: ann, password: " +
         password +
         "}\n"
         "    errors:\n"
         "      - {path: LoginResultType, equals: [0, -1], means: permanent, message: Message}\n"
         "      - {path: " +
         status +
         ".MsgCode, equals: [1], means: relogin}\n"
         "      - {path: 0.0." +
         status +
         ".MsgCode, equals: [1], means: relogin}\n"
         "      - {path: " +
         status +
         ".MsgCode, equals: [13, 14], means: transient}\n"
         "      - {path: 0.0." +
         status +
         ".MsgCode, equals: [13, 14], means: transient}\n"
         "      - {path: " +
         status +
         ".Errors.0.Message, matches: '已经被使用', request: Save, means: exists}\n"
         "      - {path: " +
         status +
         ".Errors.0.Message, matches: '不能重复提交', request: Submit, means: done}\n"
         "      - {path: " +
         status +
         ".Errors.0.Message, matches: '不能重复审核', request: Audit, means: done}\n"
         "      - {path: " +
         status + ".IsSuccess, equals: [false], means: permanent, message: " + status +
         ".Errors.0.Message}\n"
         "    streams:\n"
         "      orders:\n"
         "        write:\n"
         "          mode: create\n"
         "          path: /Save\n"
         "          id: Result.Number\n"
         "          lookup_method: POST\n"
         "          lookup_path: /ExecuteBillQuery\n"
         "          lookup_body: '{\"data\": {\"FormId\": \"SAL_SaleOrder\", \"FieldKeys\": "
         "\"FBillNo,FID,FDocumentStatus\", "
         "\"FilterString\": \"FBillNo=''{record.data.Model.FBillNo}''\"}}'\n"
         "          lookup_fields: [FBillNo, FID, FDocumentStatus]\n"
         "          lookup_id: FBillNo\n"
         "          then:\n"
         "            - 'POST /Submit {\"formid\": \"SAL_SaleOrder\", \"data\": {\"Numbers\": [{id}]}}'\n"
         "            - 'POST /Audit {\"formid\": \"SAL_SaleOrder\", \"data\": {\"Numbers\": [{id}]}}'\n";
}

SinkResult push_bill(SinkStream& sink, const std::string& no) {
  const std::string value = Json{{"formid", "SAL_SaleOrder"}, {"data", {{"Model", {{"FBillNo", no}}}}}}.dump();
  Batch batch{"f", "b-" + no, {{no, value, "", false, ""}}};
  return sink.push(batch).at(0);
}

TEST(RestErrorRules, AnOrderedListTellsSessionLossBusyDuplicatesDoneStepsAndRefusalsApart) {
  KingdeeLike erp;
  RestFixture api(kingdee_config(erp.base_url()));
  auto sink = api.sink("orders");

  SinkResult first = push_bill(*sink, "SO-1");
  ASSERT_EQ(first.outcome(), Outcome::Created) << first.error;
  EXPECT_EQ(first.target_id, "SO-1");
  EXPECT_EQ(erp.bills["SO-1"], "C");

  erp.sessions.clear();  // the session is lost: MsgCode 1 logs in again and the call is repeated
  SinkResult after_loss = push_bill(*sink, "SO-2");
  ASSERT_EQ(after_loss.outcome(), Outcome::Created) << after_loss.error;
  EXPECT_EQ(erp.logins, 2);

  erp.busy_next = true;  // "server busy": transient, not a dead letter
  SinkResult busy = push_bill(*sink, "SO-3");
  ASSERT_EQ(busy.outcome(), Outcome::Failed);
  EXPECT_EQ(busy.failure(), Failure::Transient) << busy.error;
  EXPECT_NE(busy.error.find("服务器繁忙"), std::string::npos) << busy.error;

  // Saved and submitted by an attempt whose answers were lost: the duplicate is found by a
  // POST look-up whose filter text is built from the record, adopted, and audited; the submit
  // step answered "done already" counts as done.
  erp.bills["SO-4"] = "B";
  SinkResult adopted = push_bill(*sink, "SO-4");
  ASSERT_EQ(adopted.outcome(), Outcome::Unchanged) << adopted.error;
  EXPECT_EQ(adopted.target_id, "SO-4");
  EXPECT_EQ(erp.bills["SO-4"], "C");
  EXPECT_EQ(erp.filters.back(), "FBillNo='SO-4'");

  // A quote in the number stays inside the filter's quotes, doubled; JSON escaping is synchub's.
  erp.bills["O'Neil \"7\""] = "C";
  SinkResult quoted = push_bill(*sink, "O'Neil \"7\"");
  ASSERT_EQ(quoted.outcome(), Outcome::Unchanged) << quoted.error;
  EXPECT_EQ(erp.filters.back(), "FBillNo='O''Neil \"7\"'");

  // Saved, but the answer was cut off: the number the steps need is looked up, not guessed.
  erp.cut_next_save = true;
  SinkResult cut = push_bill(*sink, "SO-5");
  ASSERT_EQ(cut.outcome(), Outcome::Created) << cut.error;
  EXPECT_EQ(cut.target_id, "SO-5");
  EXPECT_EQ(erp.bills["SO-5"], "C");

  // A refusal that was cut off is not a success: the step is not taken as done.
  erp.cut_busy_submit = true;
  SinkResult unknown = push_bill(*sink, "SO-6");
  ASSERT_EQ(unknown.outcome(), Outcome::Failed) << "a cut-off answer to Submit was taken as done";
  EXPECT_EQ(unknown.failure(), Failure::Transient) << unknown.error;
  EXPECT_EQ(unknown.resume, "created:0");
  EXPECT_EQ(erp.bills["SO-6"], "A");
  // As the runtime retries it: from where it stopped, with the saved id.
  const std::string value = Json{{"formid", "SAL_SaleOrder"}, {"data", {{"Model", {{"FBillNo", "SO-6"}}}}}}.dump();
  Batch retry{"f", "b-SO-6", {{"SO-6", value, unknown.target_id, true, unknown.resume}}};
  SinkResult done = sink->push(retry).at(0);
  ASSERT_EQ(done.outcome(), Outcome::Created) << done.error;
  EXPECT_EQ(erp.bills["SO-6"], "C");

  SinkResult refused = push_bill(*sink, "");  // a real refusal: permanent, with the ERP's own words
  ASSERT_EQ(refused.outcome(), Outcome::Failed);
  EXPECT_EQ(refused.failure(), Failure::Permanent);
  EXPECT_NE(refused.error.find("单据编号必填"), std::string::npos) << refused.error;
}

TEST(RestErrorRules, ALoginRefusedInsideA200BodyIsAnErrorWithTheApisWords) {
  KingdeeLike erp;
  RestFixture api(kingdee_config(erp.base_url(), "wrong"));
  auto sink = api.sink("orders");
  SinkResult r = push_bill(*sink, "SO-1");
  ASSERT_EQ(r.outcome(), Outcome::Failed);
  EXPECT_EQ(r.failure(), Failure::Configuration) << "no record can pass: the flow stops instead of dead-lettering";
  EXPECT_NE(r.error.find("用户名或密码错误"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("login of synchub at " + erp.base_url() + "/ValidateUser refused"), std::string::npos)
      << r.error;
  // Each refused login counts against the user at many targets: the next ones wait.
  SinkResult again = push_bill(*sink, "SO-2");
  EXPECT_EQ(again.failure(), Failure::Configuration);
  EXPECT_NE(again.error.find("not tried again for"), std::string::npos) << again.error;
  EXPECT_EQ(erp.login_attempts, 1);
  EXPECT_TRUE(erp.bills.empty());
}

// Fxiaoke-like: a token call answering corpAccessToken and corpId, both (and the user id) in
// every JSON body; errorCode 20016 when the token expired; rows under data.dataList.
TEST(RestAuth, TwoValuesCapturedFromTheLoginTravelInEveryBodyAndAreRenewedWhenRefused) {
  std::mutex mu;
  int tokens = 0;
  std::set<std::string> valid;
  std::vector<std::string> bodies;
  http::HttpServer server({}, [&](const HttpRequest& r) {
    std::lock_guard lock(mu);
    const Json in = Json::parse(r.body, nullptr, false);
    if (r.path == "/cgi/corpAccessToken/get/V2") {
      if (in.value("appSecret", "") != "se\"cret") return HttpResponse::json(200, R"({"errorCode":20001})");
      const std::string token = "T" + std::to_string(++tokens);
      valid.insert(token);
      return HttpResponse::json(200, Json{{"errorCode", 0}, {"corpAccessToken", token}, {"corpId", "CORP9"}}.dump());
    }
    bodies.push_back(r.body);
    if (!valid.count(in.value("corpAccessToken", "")) || in.value("corpId", "") != "CORP9" ||
        in.value("currentOpenUserId", "") != "FSUID_1")
      return HttpResponse::json(200, R"({"errorCode":20016,"errorMessage":"token expired"})");
    return HttpResponse::json(200, R"({"errorCode":0,"data":{"dataList":[{"_id":"a1"}]}})");
  });
  RestFixture api("  api:\n    type: rest\n    base_url: " + server.base_url() +
                  "\n"
                  "    auth:\n"
                  "      type: session\n"
                  "      login_path: /cgi/corpAccessToken/get/V2\n"
                  "      login_fields: {appId: app1, appSecret: 'se\"cret', permanentCode: pc}\n"
                  "      capture: {corpAccessToken: corpAccessToken, corpId: corpId}\n"
                  "      in: body\n"
                  "      fields: {currentOpenUserId: FSUID_1}\n"
                  "    errors:\n"
                  "      - {path: errorCode, equals: [0], means: ok}\n"
                  "      - {path: errorCode, equals: [20016], means: relogin, message: errorMessage}\n"
                  "      - {path: errorCode, means: permanent, message: errorMessage}\n"
                  "    streams:\n"
                  "      accounts:\n"
                  "        key: _id\n"
                  "        path: /cgi/crm/v2/data/query\n"
                  "        method: POST\n"
                  "        body: '{\"data\": {\"dataObjectApiName\": \"AccountObj\"}}'\n"
                  "        records: data.dataList\n");
  auto source = api.source("accounts");
  EXPECT_EQ(source->pull("", 100).records.size(), 1u);
  valid.clear();  // the token expired: 20016 fetches a new one, the call is repeated
  EXPECT_EQ(source->pull("", 100).records.size(), 1u);
  EXPECT_EQ(tokens, 2);
  const Json last = Json::parse(bodies.back());
  EXPECT_EQ(last["corpAccessToken"], "T2");
  EXPECT_EQ(last["corpId"], "CORP9");
  EXPECT_EQ(last["data"]["dataObjectApiName"], "AccountObj");
}

// Details whose rows are arrays in FieldKeys order, asked for with the page's master keys
// inside a filter string: `in ('A','B')`.
TEST(RestSource, DetailRowsAsArraysAreNamedAndTheKeysGoInsideTheFilterText) {
  std::string detail_filter;
  http::HttpServer server({}, [&](const HttpRequest& r) {
    const Json in = Json::parse(r.body);
    if (in["data"]["FormId"] == "BD_MATERIAL") return HttpResponse::json(200, R"([["M1","Bolt"],["M'2","Nut"]])");
    detail_filter = in["data"]["FilterString"].get<std::string>();
    return HttpResponse::json(200, R"([["M1","CK001","3.5"],["M1","CK002","1.25"],["M'2","CK001","7"]])");
  });
  RestFixture api("  api:\n    type: rest\n    base_url: " + server.base_url() +
                  "\n"
                  "    streams:\n"
                  "      materials:\n"
                  "        key: FNumber\n"
                  "        path: /query\n"
                  "        method: POST\n"
                  "        body: '{\"data\": {\"FormId\": \"BD_MATERIAL\", \"FieldKeys\": \"FNumber,FName\"}}'\n"
                  "        fields: [FNumber, FName]\n"
                  "        detail:\n"
                  "          path: /query\n"
                  "          method: POST\n"
                  "          body: '{\"data\": {\"FormId\": \"STK_Inventory\", \"FilterString\": "
                  "\"FMaterialId.FNumber in ({keys})\"}}'\n"
                  "          fields: [material, stock, qty]\n"
                  "          match: material\n"
                  "          into: stocks\n");
  PullResult r = api.source("materials")->pull("", 100);
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(detail_filter, "FMaterialId.FNumber in ('M1','M''2')");
  const Json m1 = Json::parse(r.records[0].value);
  ASSERT_EQ(m1["stocks"].size(), 2u);
  EXPECT_EQ(m1["stocks"][1]["qty"], "1.25");
  EXPECT_EQ(m1["stocks"][1]["stock"], "CK002");
  EXPECT_EQ(Json::parse(r.records[1].value)["stocks"].size(), 1u);
}

}  // namespace
}  // namespace synchub::connectors
