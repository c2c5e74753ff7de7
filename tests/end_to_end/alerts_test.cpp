// Alerts from a running `synchub run` to a local receiver posing as a
// DingTalk robot (signature checked): a flow whose sink keeps failing raises
// one alert, delivered although the receiver is down at first (and asks to
// wait: Retry-After is honoured), and one
// recovery message once the sink works again.
#include <gtest/gtest.h>

#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "http/http_server.hpp"
#include "http/signing.hpp"
#include "tests/support/test_support.hpp"

namespace synchub::test {
namespace {

using Json = nlohmann::json;

class RobotReceiver {
 public:
  explicit RobotReceiver(std::string secret)
      : secret_(std::move(secret)), server_({}, [this](const http::HttpRequest& r) { return receive(r); }) {}
  std::string url() const { return server_.base_url() + "/robot/send?access_token=abc"; }
  std::vector<std::string> messages() {
    std::lock_guard lock(mu_);
    return messages_;
  }
  int attempts() {
    std::lock_guard lock(mu_);
    return attempts_;
  }
  std::vector<std::chrono::steady_clock::time_point> attempt_times() {
    std::lock_guard lock(mu_);
    return times_;
  }
  std::vector<std::string> wait_for(size_t count) {
    eventually([&] { return messages().size() >= count; }, std::chrono::seconds(15));
    return messages();
  }

 private:
  http::HttpResponse receive(const http::HttpRequest& r) {
    std::lock_guard lock(mu_);
    ++attempts_;
    times_.push_back(std::chrono::steady_clock::now());
    if (attempts_ == 1) {  // down at first, and asks for 2 s of quiet
      auto busy = http::HttpResponse::json(503, R"({"errcode":-1,"errmsg":"busy"})");
      busy.headers.emplace_back("Retry-After", "2");
      return busy;
    }
    const std::string ts = r.param("timestamp");
    if (r.param("access_token") != "abc" || r.param("sign") != http::hmac_sha256_base64(secret_, ts + "\n" + secret_))
      return http::HttpResponse::json(200, R"({"errcode":310000,"errmsg":"sign not match"})");
    Json body = Json::parse(r.body);
    EXPECT_EQ(body["msgtype"], "text");
    messages_.push_back(body["text"]["content"]);
    return http::HttpResponse::json(200, R"({"errcode":0,"errmsg":"ok"})");
  }
  std::string secret_;
  std::mutex mu_;
  std::vector<std::string> messages_;
  int attempts_ = 0;
  std::vector<std::chrono::steady_clock::time_point> times_;
  http::HttpServer server_;
};

TEST(Alerts, OneAlertPerOutageThenOneRecovery) {
  RobotReceiver robot("SECabc");
  TempDir dir;
  fs::create_directories(dir.path() / "inbox");
  write_file(dir.path() / "outbox", "a file where a folder should be: every write fails (transiently)");
  write_file(dir.path() / "synchub.yaml", R"(hub: {name: alerting}
alerts:
  webhook: {url: ")" + robot.url() + R"(", format: dingtalk, secret: SECabc}
  failing_for: 600ms
  check_every: 100ms
  repeat: 0s
)" + file_orders_connectors() + R"(flows:
  orders:
    from: crm.orders
    to: erp.orders
    retry: {initial_backoff: 20ms, max_backoff: 100ms}
)");
  Process hub({"run", "-c", dir.str("synchub.yaml")}, dir.str("log"));
  write_file(dir.path() / "inbox" / "a.jsonl", "{\"order_id\":\"A\",\"amount\":\"1.10\"}\n");

  std::vector<std::string> got = robot.wait_for(1);
  ASSERT_EQ(got.size(), 1u) << read_file(dir.path() / "log");
  EXPECT_EQ(got[0].rfind("[synchub alerting] ALERT: flow orders failing (attempt ", 0), 0u) << got[0];
  EXPECT_GE(robot.attempts(), 2) << "the first post was refused and retried";
  const auto times = robot.attempt_times();
  EXPECT_GE(times[1] - times[0], std::chrono::milliseconds(1900)) << "the receiver's Retry-After is honoured";
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  EXPECT_EQ(robot.messages().size(), 1u) << "one alert per outage";

  fs::remove(dir.path() / "outbox");
  fs::create_directories(dir.path() / "outbox");
  got = robot.wait_for(2);
  ASSERT_EQ(got.size(), 2u) << read_file(dir.path() / "log");
  EXPECT_EQ(got[1].rfind("[synchub alerting] RESOLVED: flow orders recovered after ", 0), 0u) << got[1];
  EXPECT_EQ(lines_in_dir(dir.path() / "outbox").size(), 1u);
  EXPECT_EQ(read_file(dir.path() / "log").find("SECabc"), std::string::npos) << "the secret is never logged";
}

TEST(Alerts, ABadReceiverUrlFailsAtStart) {
  TempDir dir;
  write_file(dir.path() / "synchub.yaml", "alerts:\n  webhook: {url: http://127.0.0.1:9, format: slack}\n");
  CommandResult r = run_synchub({"validate", "-c", dir.str("synchub.yaml")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("synchub.yaml:2:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("dingtalk"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace synchub::test
