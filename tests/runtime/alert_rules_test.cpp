// Alert decisions (when to fire, remind and resolve) and the message each
// receiver format gets, with a clock the test moves.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "config/units.hpp"
#include "http/signing.hpp"
#include "runtime/admin/alerts.hpp"

namespace synchub::runtime {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

FlowStatus flow(const std::string& name) {
  FlowStatus f;
  f.name = name;
  f.state = "idle";
  return f;
}

TEST(AlertRules, AFailingFlowAlertsOnceAfterTheDelayThenRecovers) {
  AlertRules rules({.failing_for = 60s});
  FlowStatus f = flow("orders");
  EXPECT_TRUE(rules.evaluate({f}, {}, 1000).empty());
  f.attempt = 2;
  f.last_error = "HTTP 503";
  EXPECT_TRUE(rules.evaluate({f}, {}, 2000).empty()) << "failing, but not for 60 s yet";
  EXPECT_TRUE(rules.evaluate({f}, {}, 61000).empty());
  auto fired = rules.evaluate({f}, {}, 62000);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].status, "firing");
  EXPECT_EQ(fired[0].condition, "flow_failing");
  EXPECT_EQ(fired[0].since_ms, 2000);
  EXPECT_NE(fired[0].summary.find("HTTP 503"), std::string::npos) << fired[0].summary;
  EXPECT_TRUE(rules.evaluate({f}, {}, 10'000'000).empty()) << "repeat 0: one alert per outage";
  f.attempt = 0;
  auto resolved = rules.evaluate({f}, {}, 10'001'000);
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].status, "resolved");
  EXPECT_TRUE(rules.evaluate({f}, {}, 10'002'000).empty());
}

TEST(AlertRules, AShortHiccupSendsNothing) {
  AlertRules rules({.failing_for = 60s});
  FlowStatus f = flow("orders");
  f.attempt = 1;
  EXPECT_TRUE(rules.evaluate({f}, {}, 0 + 1).empty());
  f.attempt = 0;
  EXPECT_TRUE(rules.evaluate({f}, {}, 30000).empty()) << "recovered before it was due: no alert, no recovery";
  f.attempt = 1;
  EXPECT_TRUE(rules.evaluate({f}, {}, 80000).empty()) << "a new outage starts its own clock";
}

TEST(AlertRules, RemindersFollowRepeat) {
  AlertRules rules({.repeat = 3600s, .lag_events = 100});
  FlowStatus f = flow("stock");
  f.lag_events = 101;
  EXPECT_EQ(rules.evaluate({f}, {}, 0 + 1).size(), 1u);
  EXPECT_TRUE(rules.evaluate({f}, {}, 3'599'000).empty());
  auto reminder = rules.evaluate({f}, {}, 3'600'001);
  ASSERT_EQ(reminder.size(), 1u);
  EXPECT_EQ(reminder[0].status, "firing");
  EXPECT_NE(reminder[0].summary.find("still"), std::string::npos) << reminder[0].summary;
  f.lag_events = 100;  // at the threshold is fine
  EXPECT_EQ(rules.evaluate({f}, {}, 3'700'000).at(0).status, "resolved");
}

TEST(AlertRules, LagAgeAndDeadLettersPerFlow) {
  AlertRules rules({.lag_age = 600s, .dead_letters = 10});
  FlowStatus a = flow("a"), b = flow("b");
  const int64_t now = 1'000'000'000;
  a.lag_events = 3;
  a.oldest_pending_ms = now - 601'000;
  b.lag_events = 3;
  b.oldest_pending_ms = now - 599'000;
  auto events = rules.evaluate({a, b}, {{"a", 10}, {"b", 11}}, now);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].flow, "a");
  EXPECT_EQ(events[0].condition, "lag_age");
  EXPECT_NE(events[0].summary.find("10 min old"), std::string::npos) << events[0].summary;
  EXPECT_EQ(events[1].flow, "b");
  EXPECT_EQ(events[1].condition, "dead_letters");
  EXPECT_NE(events[1].summary.find("11 pending dead letters"), std::string::npos) << events[1].summary;
}

ReconciliationOutcome outcome(const std::string& name, int64_t run, int64_t differences, bool failed = false) {
  const std::string summary =
      failed ? name + ": failed: crm.orders: HTTP 503" : name + ": 10 matched" + (differences ? ", 2 missing" : "");
  return {name, run, 0, 0, differences, failed, summary};
}

TEST(AlertRules, AReconciliationThatDiffersAlertsOnceThenACleanRunRecovers) {
  AlertRules rules({});
  EXPECT_TRUE(rules.evaluate(std::vector{outcome("orders", 1, 0)}, 1000).empty()) << "it agrees";
  auto fired = rules.evaluate(std::vector{outcome("orders", 2, 2)}, 2000);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].status, "firing");
  EXPECT_EQ(fired[0].condition, "reconciliation");
  EXPECT_EQ(fired[0].reconciliation, "orders");
  EXPECT_EQ(fired[0].flow, "");
  EXPECT_EQ(fired[0].run_id, 2);
  EXPECT_EQ(fired[0].summary, "reconciliation orders: 10 matched, 2 missing (run #2)");
  EXPECT_TRUE(rules.evaluate(std::vector{outcome("orders", 2, 2)}, 3000).empty()) << "checked again: no news";
  EXPECT_TRUE(rules.evaluate(std::vector{outcome("orders", 3, 2)}, 4000).empty()) << "one alert per outage";
  EXPECT_TRUE(rules.evaluate(std::vector{outcome("orders", 4, 0, true)}, 5000).empty()) << "a failure is still one";
  auto resolved = rules.evaluate(std::vector{outcome("orders", 5, 0)}, 3'605'000);
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].status, "resolved");
  EXPECT_EQ(resolved[0].run_id, 5);
  EXPECT_EQ(resolved[0].since_ms, 2000);
  EXPECT_EQ(resolved[0].summary, "reconciliation orders agrees again after 60 min: orders: 10 matched (run #5)");
  EXPECT_TRUE(rules.evaluate(std::vector{outcome("orders", 5, 0)}, 3'606'000).empty());
}

TEST(AlertRules, AFailedReconciliationAlertsAndRemindsPerRepeat) {
  AlertRules rules({.repeat = 3600s});
  auto fired = rules.evaluate(std::vector{outcome("invoices", 7, 0, true), outcome("orders", 8, 0)}, 1000);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].reconciliation, "invoices");
  EXPECT_EQ(fired[0].summary, "reconciliation invoices: failed: crm.orders: HTTP 503 (run #7)");
  auto reminder = rules.evaluate(std::vector{outcome("invoices", 9, 0, true)}, 3'601'000);
  ASSERT_EQ(reminder.size(), 1u);
  EXPECT_EQ(reminder[0].status, "firing");
  EXPECT_EQ(reminder[0].summary,
            "reconciliation invoices still fails: invoices: failed: crm.orders: HTTP 503 (run #9; since 60 min ago)");
}

TEST(AlertPost, ReceiverFormats) {
  AlertEvent e{"orders", "flow_failing", "firing", "flow orders failing: 货款 HTTP 503", 1'700'000'000'000, 1};
  AlertOptions o{.hub_name = "prod", .url = "http://127.0.0.1:9/hook"};
  Json generic = Json::parse(alert_post(o, e, 0).body);
  EXPECT_EQ(generic["status"], "firing");
  EXPECT_EQ(generic["flow"], "orders");
  EXPECT_EQ(generic["alert"], "flow_failing");
  EXPECT_EQ(generic["hub"], "prod");
  EXPECT_EQ(generic["time"], "2023-11-14T22:13:20.000Z");
  EXPECT_FALSE(generic.contains("worker"));
  // A worker named in the config (several share the state) is named in its alerts.
  AlertOptions named = o;
  named.worker = "w2";
  EXPECT_EQ(Json::parse(alert_post(named, e, 0).body)["worker"], "w2");
  named.format = "wecom";
  EXPECT_EQ(Json::parse(alert_post(named, e, 0).body)["text"]["content"],
            "[synchub prod w2] ALERT: flow orders failing: 货款 HTTP 503");

  o.format = "wecom";
  Json wecom = Json::parse(alert_post(o, e, 0).body);
  EXPECT_EQ(wecom["msgtype"], "text");
  EXPECT_EQ(wecom["text"]["content"], "[synchub prod] ALERT: flow orders failing: 货款 HTTP 503");

  o.format = "dingtalk";
  o.url = "https://oapi.dingtalk.com/robot/send?access_token=t";
  o.secret = "SEC123";
  AlertPost ding = alert_post(o, e, 1'700'000'000'123);
  const std::string sign = http::hmac_sha256_base64("SEC123", "1700000000123\nSEC123");
  EXPECT_EQ(ding.url, o.url + "&timestamp=1700000000123&sign=" + config::url_encode(sign));
  EXPECT_EQ(Json::parse(ding.body)["text"]["content"], "[synchub prod] ALERT: flow orders failing: 货款 HTTP 503");

  o.format = "feishu";
  e.status = "resolved";
  Json feishu = Json::parse(alert_post(o, e, 1'700'000'000'123).body);
  EXPECT_EQ(feishu["timestamp"], "1700000000");
  EXPECT_EQ(feishu["sign"], http::hmac_sha256_base64("1700000000\nSEC123", ""));
  EXPECT_EQ(feishu["msg_type"], "text");
  EXPECT_EQ(feishu["content"]["text"], "[synchub prod] RESOLVED: flow orders failing: 货款 HTTP 503");
}

// A source that cannot be read (its system down) alerts like a failing flow: once it has failed
// for `failing_for`, naming the flows it feeds and the error; one recovery at its first good poll.
TEST(AlertRules, AFailingSourceAlertsAfterTheDelayThenRecovers) {
  AlertRules rules({.failing_for = 60s});
  SourceStatus s;
  s.name = "erp.invoices";
  s.state = "idle";
  s.flows = {"invoices_to_crm", "invoices_to_finance"};
  EXPECT_TRUE(rules.evaluate(std::vector<SourceStatus>{s}, 1000).empty());
  s.state = "backing_off";
  s.consecutive_failures = 1;
  s.last_error = "erp answered HTTP 503";
  EXPECT_TRUE(rules.evaluate(std::vector<SourceStatus>{s}, 2000).empty()) << "not for 60 s yet";
  s.state = "failing";
  s.consecutive_failures = 7;
  EXPECT_TRUE(rules.evaluate(std::vector<SourceStatus>{s}, 61000).empty());
  auto fired = rules.evaluate(std::vector<SourceStatus>{s}, 62000);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].condition, "source_failing");
  EXPECT_EQ(fired[0].source, "erp.invoices");
  EXPECT_EQ(fired[0].since_ms, 2000);
  EXPECT_EQ(fired[0].summary,
            "source erp.invoices cannot be read (read by invoices_to_crm, invoices_to_finance) (7 polls failed in a "
            "row, since 60 s ago): erp answered HTTP 503");
  Json generic = Json::parse(alert_post({.hub_name = "prod", .url = "http://127.0.0.1:9/"}, fired[0], 0).body);
  EXPECT_EQ(generic["alert"], "source_failing");
  EXPECT_EQ(generic["stream"], "erp.invoices");
  EXPECT_FALSE(generic.contains("flow"));
  EXPECT_TRUE(rules.evaluate(std::vector<SourceStatus>{s}, 500000).empty()) << "one alert per outage";
  s.state = "idle";
  s.consecutive_failures = 0;
  auto resolved = rules.evaluate(std::vector<SourceStatus>{s}, 600000);
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].status, "resolved");
  EXPECT_EQ(resolved[0].summary, "source erp.invoices is read again after 9 min");
  // A flow of the same name keeps its own condition.
  EXPECT_TRUE(rules.evaluate({flow("erp.invoices")}, {}, 600001).empty());
}

TEST(AlertPost, AReconciliationsAlertNamesItAndItsRun) {
  AlertEvent e{"",
               "reconciliation",
               "firing",
               "reconciliation orders: 1 matched, 2 missing (run #12)",
               1'700'000'000'000,
               1'700'000'000'000,
               "orders",
               12};
  AlertOptions o{.hub_name = "prod", .url = "http://127.0.0.1:9/hook"};
  Json generic = Json::parse(alert_post(o, e, 0).body);
  EXPECT_EQ(generic["alert"], "reconciliation");
  EXPECT_EQ(generic["reconciliation"], "orders");
  EXPECT_EQ(generic["run"], 12);
  EXPECT_FALSE(generic.contains("flow"));
  o.format = "wecom";
  EXPECT_EQ(Json::parse(alert_post(o, e, 0).body)["text"]["content"],
            "[synchub prod] ALERT: reconciliation orders: 1 matched, 2 missing (run #12)");
}

}  // namespace
}  // namespace synchub::runtime
