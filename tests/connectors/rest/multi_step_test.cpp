// Writes that take several calls (save, submit, audit) against an ERP that
// refuses duplicates and repeated steps, and a target that asks to wait: a
// create refused as existing is looked up (by POST) and adopted, a failed step
// leaves where it stopped so that the retry goes on from there, and a
// Retry-After holds back every stream of the connector.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <vector>

#include "http/http_server.hpp"
#include "tests/connectors/rest/rest_fixture.hpp"
#include "tests/support/bill_erp.hpp"

namespace synchub::connectors {
namespace {

std::string bills_config(const std::string& base_url) {
  return "  api:\n    type: rest\n    base_url: " + base_url +
         "\n    errors: {code: code, ok: ['0'], message: msg, transient: [BUSY], exists: [DUPLICATE], done: "
         "[ALREADY]}\n"
         "    streams:\n"
         "      bills:\n"
         "        write:\n"
         "          mode: create\n"
         "          path: /bills/save\n"
         "          lookup_method: POST\n"
         "          lookup_path: /bills/query\n"
         "          lookup_body: '{\"no\": {key}}'\n"
         "          lookup_records: rows\n"
         "          then: ['POST /bills/{id}/submit', 'POST /bills/{id}/audit']\n";
}

SinkResult push_one(SinkStream& sink, const std::string& no, const std::string& target = "",
                    const std::string& resume = "") {
  const std::string value = R"({"order_id":")" + no + R"(","amount":"10.00"})";
  Batch batch{"f", "b-" + no, {{no, value, target, !target.empty(), resume}}};
  return sink.push(batch).at(0);
}

TEST(RestSink, ACreateRefusedAsExistingIsLookedUpByPostAndAdopted) {
  test::BillErp erp;
  erp.add("SO-1", "saved");  // created by an attempt whose answer and ledger entry were lost
  RestFixture api(bills_config(erp.base_url()));
  auto sink = api.sink("bills");

  SinkResult adopted = push_one(*sink, "SO-1");
  ASSERT_EQ(adopted.outcome(), Outcome::Unchanged) << adopted.error;
  EXPECT_EQ(adopted.target_id, "B1");
  SinkResult created = push_one(*sink, "SO-2");
  ASSERT_EQ(created.outcome(), Outcome::Created) << created.error;
  EXPECT_EQ(created.target_id, "B2");

  auto bills = erp.bills();
  ASSERT_EQ(bills.size(), 2u);
  EXPECT_EQ(bills["SO-1"].state, "audited");  // the steps the lost attempt never ran, run now
  EXPECT_EQ(bills["SO-2"].state, "audited");
  EXPECT_EQ(erp.counts()["DUPLICATE"], 1);
}

TEST(RestSink, AFailedStepLeavesWhereItStoppedAndTheRetryGoesOnFromThere) {
  test::BillErp erp;
  RestFixture api(bills_config(erp.base_url()));
  auto sink = api.sink("bills");

  erp.fail_next("audit", false);
  SinkResult first = push_one(*sink, "SO-1");
  ASSERT_EQ(first.outcome(), Outcome::Failed);
  EXPECT_EQ(first.failure(), Failure::Transient);
  EXPECT_EQ(first.target_id, "B1");
  EXPECT_EQ(first.resume, "created:1");  // saved and submitted
  EXPECT_EQ(erp.bills()["SO-1"].state, "submitted");
  SinkResult retried = push_one(*sink, "SO-1", first.target_id, first.resume);
  ASSERT_EQ(retried.outcome(), Outcome::Created) << retried.error;
  EXPECT_EQ(retried.target_id, "B1");
  EXPECT_EQ(erp.bills()["SO-1"].state, "audited");

  // A step that did its work but whose answer was lost: the retry is told it is done already.
  erp.fail_next("submit", true);
  SinkResult lost = push_one(*sink, "SO-2");
  ASSERT_EQ(lost.outcome(), Outcome::Failed);
  EXPECT_EQ(lost.resume, "created:0");
  EXPECT_EQ(erp.bills()["SO-2"].state, "submitted");
  SinkResult resumed = push_one(*sink, "SO-2", lost.target_id, lost.resume);
  ASSERT_EQ(resumed.outcome(), Outcome::Created) << resumed.error;
  EXPECT_EQ(erp.bills()["SO-2"].state, "audited");

  auto counts = erp.counts();
  EXPECT_EQ(counts["DUPLICATE"], 0);  // no save was sent twice
  EXPECT_EQ(counts["ALREADY"], 1);
  EXPECT_EQ(erp.bills().size(), 2u);
}

TEST(RestSink, AStepRefusedForGoodIsPermanentAndKeepsTheSavedId) {
  test::BillErp erp;
  RestFixture api(bills_config(erp.base_url()));
  auto sink = api.sink("bills");
  erp.add("SO-9", "cancelled");  // can be neither submitted nor audited
  SinkResult refused = push_one(*sink, "SO-9");
  ASSERT_EQ(refused.outcome(), Outcome::Failed);
  EXPECT_EQ(refused.failure(), Failure::Permanent);
  EXPECT_NE(refused.error.find("is cancelled, not saved"), std::string::npos) << refused.error;
  EXPECT_EQ(refused.target_id, "B1");  // a replay resumes at the refused step
  EXPECT_EQ(refused.resume, "unchanged:0");
}

// A batch endpoint that refuses one record as existing (status 409 in its result): looked up and
// adopted, the others created; without a lookup it stays a failure that says what to configure.
TEST(RestSink, ARecordABatchRefusesAsExistingIsLookedUpAndAdopted) {
  http::HttpServer server({}, [](const http::HttpRequest& req) {
    if (req.path == "/orders") return http::HttpResponse::json(200, R"({"items":[{"id":"E-7"}]})");
    nlohmann::json results = nlohmann::json::array();
    const nlohmann::json body = nlohmann::json::parse(req.body);
    for (const auto& o : body["orders"])
      results.push_back(o["no"] == "OLD" ? nlohmann::json{{"status", 409}, {"error", "exists"}}
                                         : nlohmann::json{{"status", 201}, {"id", "E-" + o["no"].get<std::string>()}});
    return http::HttpResponse::json(200, nlohmann::json{{"results", results}}.dump());
  });
  const std::string stream =
      "    streams:\n      out:\n        write:\n          batch: {path: /orders/batch, wrap: orders, results: "
      "results, status: status}\n";
  RestFixture api("  api:\n    type: rest\n    base_url: " + server.base_url() + "\n" + stream +
                  "          lookup_path: '/orders?no={key}'\n          lookup_records: items\n");
  Batch batch{"f", "b", {{"NEW", R"({"no":"NEW"})", "", false, ""}, {"OLD", R"({"no":"OLD"})", "", false, ""}}};
  auto results = api.sink("out")->push(batch);
  EXPECT_EQ(results[0].outcome(), Outcome::Created);
  EXPECT_EQ(results[1].outcome(), Outcome::Unchanged) << results[1].error;
  EXPECT_EQ(results[1].target_id, "E-7");
}

// Answers 429 with Retry-After: 1 to one request; records when each request arrived.
class ThrottlingTarget {
 public:
  explicit ThrottlingTarget(int throttle_request) : throttle_request_(throttle_request) {
    http::HttpServerOptions options;
    options.threads = 8;
    server_ = std::make_unique<http::HttpServer>(options, [this](const http::HttpRequest&) {
      std::lock_guard lock(mu_);
      arrivals_.push_back(std::chrono::steady_clock::now());
      if (static_cast<int>(arrivals_.size()) == throttle_request_) {
        throttled_at_ = arrivals_.back();
        http::HttpResponse r = http::HttpResponse::json(429, R"({"error":"slow down"})");
        r.headers.emplace_back("Retry-After", "1");
        return r;
      }
      return http::HttpResponse::json(201, R"({"id":"x"})");
    });
  }
  std::string base_url() const { return server_->base_url(); }
  // Requests that arrived from `after` past the 429 until `until` past it.
  int arrivals_between(std::chrono::milliseconds after, std::chrono::milliseconds until) const {
    std::lock_guard lock(mu_);
    int n = 0;
    for (auto t : arrivals_) n += t > throttled_at_ + after && t < throttled_at_ + until ? 1 : 0;
    return n;
  }
  bool throttled() const {
    std::lock_guard lock(mu_);
    return static_cast<int>(arrivals_.size()) >= throttle_request_;
  }

 private:
  int throttle_request_;
  mutable std::mutex mu_;
  std::vector<std::chrono::steady_clock::time_point> arrivals_;
  std::chrono::steady_clock::time_point throttled_at_{};
  std::unique_ptr<http::HttpServer> server_;
};

Batch numbered(const std::string& prefix, int count) {
  static std::vector<std::string> keys;  // the batch holds views
  Batch batch{"f", prefix, {}};
  keys.reserve(1000);
  for (int i = 0; i < count; ++i) keys.push_back(prefix + std::to_string(i));
  for (size_t i = keys.size() - static_cast<size_t>(count); i < keys.size(); ++i)
    batch.records.push_back({keys[i], "{}", "", false, ""});
  return batch;
}

TEST(RestSink, RetryAfterHoldsBackEveryLaneAndEveryStreamOfTheConnector) {
  ThrottlingTarget target(10);
  RestFixture api("  api:\n    type: rest\n    base_url: " + target.base_url() +
                  "\n    concurrency: 4\n    streams:\n"
                  "      things: {write: {mode: create, path: /things}}\n"
                  "      others: {write: {mode: create, path: /others}}\n");
  auto things = api.sink("things");
  auto others = api.sink("others");
  std::vector<SinkResult> first = things->push(numbered("t", 40));
  ASSERT_TRUE(target.throttled());
  int told_to_wait = 0;
  for (const auto& r : first) told_to_wait += r.retry_after == std::chrono::seconds(1) ? 1 : 0;
  EXPECT_GE(told_to_wait, 1);

  // Another stream of the same connector (another flow) within the second: nothing is sent.
  std::vector<SinkResult> second = others->push(numbered("o", 20));
  for (const auto& r : second) {
    EXPECT_EQ(r.failure(), Failure::Transient);
    EXPECT_GT(r.retry_after.count(), 0) << r.error;
  }
  // Requests already on the wire when the 429 was sent may still arrive just after it.
  EXPECT_EQ(target.arrivals_between(std::chrono::milliseconds(100), std::chrono::milliseconds(950)), 0);
}

// A listing told to wait is not a failed poll: the source says how long, and the poller waits
// that long instead of backing off further and further.
TEST(RestSource, AListingToldToWaitSaysHowLong) {
  ThrottlingTarget target(1);
  RestFixture api("  api:\n    type: rest\n    base_url: " + target.base_url() +
                  "\n    streams:\n      things: {path: /things, write: {path: /things}}\n");
  auto source = api.source("things");
  try {
    source->pull("", 100);
    FAIL() << "a 429 is no page";
  } catch (const TargetAsksToWait& e) {
    EXPECT_EQ(e.wait, std::chrono::seconds(1));
  }
  try {  // held back by the connector: nothing sent
    source->pull("", 100);
    FAIL() << "sent while the target asked to wait";
  } catch (const TargetAsksToWait& e) {
    EXPECT_GT(e.wait.count(), 0);
    EXPECT_NE(std::string(e.what()).find("not sent"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace synchub::connectors
