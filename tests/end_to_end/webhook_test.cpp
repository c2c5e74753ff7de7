// Webhooks through the real binary: signed pushes become events (durable
// before the 2xx), everything else is refused with the right status and
// leaves no event.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "http/http_client.hpp"
#include "http/signing.hpp"
#include "tests/support/test_support.hpp"

namespace synchub::test {
namespace {

using http::HttpCall;
using http::HttpClient;
using http::HttpReply;

const char* kSecret = "whsec-test";

class WebhookHub {
 public:
  WebhookHub() {
    write_file(dir_.path() / "synchub.yaml", R"(hub:
  name: hooks
  http: {port: 0, max_body: 64KiB}
connectors:
  crm:
    type: webhook
    streams:
      orders: {key: order_no, secret: )" + std::string(kSecret) +
                                                 R"(, tolerance: 60s}
  out:
    type: file
    streams:
      orders: {outbox: outbox, fsync: false}
flows:
  orders:
    from: crm.orders
    to: out.orders
    batch_size: 500
)");
    start();
  }
  // A new synchub process on the same files (bus, state, outbox).
  void restart() {
    EXPECT_EQ(stop(), 0);
    start();
  }

  HttpReply post(const std::string& body, long timestamp, const std::string& secret = kSecret,
                 const std::string& path = "/hooks/crm/orders", const std::string& method = "POST") {
    return post_with(client_, body, timestamp, secret, path, method);
  }
  // One HttpClient per thread: a client is one connection.
  HttpReply post_with(HttpClient& client, const std::string& body, long timestamp, const std::string& secret = kSecret,
                      const std::string& path = "/hooks/crm/orders", const std::string& method = "POST",
                      const std::string& delivery_id = "") {
    std::string stamp = std::to_string(timestamp);
    HttpCall call{method,
                  base_ + path,
                  {{"Content-Type", "application/json"},
                   {"X-Synchub-Timestamp", stamp},
                   {"X-Synchub-Signature", http::webhook_signature(secret, stamp, body)}},
                  body};
    if (!delivery_id.empty()) call.headers.emplace_back("X-Synchub-Delivery", delivery_id);
    return client.send(call);
  }
  HttpReply call(const std::string& method, const std::string& path) {
    return client_.send({method, base_ + path, {}, ""});
  }
  HttpReply post_delivery(const std::string& body, long timestamp, const std::string& delivery_id) {
    return post_with(client_, body, timestamp, kSecret, "/hooks/crm/orders", "POST", delivery_id);
  }
  std::vector<std::string> outbox() const {
    return fs::exists(dir_.path() / "outbox") ? lines_in_dir(dir_.path() / "outbox") : std::vector<std::string>{};
  }
  std::vector<std::string> delivered(size_t expect, std::chrono::seconds patience) {
    std::vector<std::string> lines;
    eventually(
        [&] {
          lines = outbox();
          return lines.size() >= expect;
        },
        patience);
    return lines;
  }
  // Everything delivered once `line` is: what was published before it with the
  // same key is delivered before it.
  std::vector<std::string> delivered_through(const std::string& line) {
    std::vector<std::string> lines;
    eventually(
        [&] {
          lines = outbox();
          return std::count(lines.begin(), lines.end(), line) > 0;
        },
        std::chrono::seconds(20));
    return lines;
  }
  int stop() { return process_->terminate(); }

 private:
  void start() {
    const std::string log = "log" + std::to_string(++starts_);
    process_ =
        std::make_unique<Process>(std::vector<std::string>{"run", "-c", dir_.str("synchub.yaml")}, dir_.str(log));
    base_ = wait_for_hub_url(dir_.path() / log);
  }

  TempDir dir_;
  std::unique_ptr<Process> process_;
  std::string base_;
  HttpClient client_;
  int starts_ = 0;
};

long now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// With webhooks on and the admin API off, the server still answers /healthz (HEAD too), and
// nothing else but the hooks.
TEST(Webhook, HealthzAnswersWithoutTheAdminApi) {
  WebhookHub hub;
  EXPECT_EQ(hub.call("GET", "/healthz").status, 200);
  const HttpReply head = hub.call("HEAD", "/healthz");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
  const HttpReply post = hub.call("POST", "/healthz");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.header("allow"), "GET, HEAD");
  EXPECT_EQ(hub.call("GET", "/api/v1/flows").status, 404);
  EXPECT_EQ(hub.call("GET", "/hooks/crm/orders").header("allow"), "POST");
}

TEST(Webhook, RefusesWhatItMustAndStoresNothingForIt) {
  WebhookHub hub;
  const long now = now_seconds();
  const std::string good = R"({"order_no":"SO-1","total":10.50,"big":12345678901234567890.12})";  // digits kept
  EXPECT_EQ(hub.post(good, now, "wrong-secret").status, 401);
  EXPECT_EQ(hub.post(good, now - 3600).status, 401);  // stale: replay protection
  EXPECT_EQ(hub.post(good, now + 3600).status, 401);
  EXPECT_EQ(hub.post("{\"order_no\":", now).status, 400);
  EXPECT_EQ(hub.post(R"({"total":"1"})", now).status, 400);  // no key
  HttpReply big = hub.post("{\"order_no\":\"SO-BIG\",\"blob\":\"" + std::string(100 * 1024, 'x') + "\"}", now);
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(hub.post(good, now, kSecret, "/hooks/crm/invoices").status, 404);
  EXPECT_EQ(hub.post(good, now, kSecret, "/hooks/crm/orders", "PUT").status, 405);
  HttpReply twice = hub.post(R"([{"order_no":"SO-2"},{"order_no":"SO-3","total":"1","total":"2"}])", now);
  EXPECT_EQ(twice.status, 400);  // the sender is told, and keeps its request: nothing is stored
  EXPECT_EQ(twice.body, R"({"error":"bad_request","message":"record 2: duplicate key 'total'"})");
  HttpReply bad = hub.post(good, now, "wrong-secret");
  EXPECT_EQ(bad.header("content-type"), "application/json");
  EXPECT_EQ(bad.body, R"({"error":"unauthorized","message":"bad signature"})");
  // Then one good request: it alone comes out.
  HttpReply ok = hub.post(good, now);
  EXPECT_EQ(ok.status, 202);
  EXPECT_EQ(ok.body, R"({"accepted":1})");
  auto lines = hub.delivered(1, std::chrono::seconds(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  lines = hub.delivered(1, std::chrono::seconds(1));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], good);
  EXPECT_EQ(hub.stop(), 0);
}

TEST(Webhook, ABurstOfAThousandBecomesAThousandEvents) {
  WebhookHub hub;
  std::vector<std::thread> senders;
  std::atomic<int> accepted{0};
  for (int t = 0; t < 4; ++t) {
    senders.emplace_back([&, t] {
      HttpClient client;
      for (int i = t; i < 1000; i += 4) {
        std::string body = "{\"order_no\":\"SO-" + std::to_string(i) + "\",\"name\":\"上海华信\"}";
        if (i % 10 == 0) body = "[" + body + "]";  // arrays are accepted too
        if (hub.post_with(client, body, now_seconds()).status == 202) ++accepted;
      }
    });
  }
  for (auto& s : senders) s.join();
  EXPECT_EQ(accepted.load(), 1000);
  auto lines = hub.delivered(1000, std::chrono::seconds(30));
  std::set<std::string> keys;
  for (const auto& l : lines) keys.insert(l.substr(0, l.find(',')));
  EXPECT_EQ(lines.size(), 1000u);
  EXPECT_EQ(keys.size(), 1000u);
  EXPECT_EQ(hub.stop(), 0);
}

size_t count_of(const std::vector<std::string>& lines, const std::string& line) {
  return static_cast<size_t>(std::count(lines.begin(), lines.end(), line));
}

// A signed request posted again inside the tolerance window must not publish
// again: replayed after a newer one, it would revert the record. The last post
// has the same key, so a replay published before it is delivered before it.
TEST(Webhook, ARequestPostedAgainIsNotPublishedAgain) {
  WebhookHub hub;
  const long now = now_seconds();
  const std::string older = R"({"order_no":"SO-7","total":"1.00"})";
  const std::string newer = R"({"order_no":"SO-7","total":"2.00"})";
  const std::string last = R"({"order_no":"SO-7","total":"3.00"})";
  ASSERT_EQ(hub.post(older, now).status, 202);
  ASSERT_EQ(hub.post(newer, now).status, 202);
  HttpReply replay = hub.post(older, now);
  EXPECT_EQ(replay.status, 200);  // a sender's retry gets a success: it is stored already
  EXPECT_EQ(replay.body, R"({"accepted":0,"duplicate":true,"message":"already received and stored"})");
  ASSERT_EQ(hub.post(last, now).status, 202);
  auto lines = hub.delivered_through(last);
  EXPECT_EQ(count_of(lines, older), 1u);
  EXPECT_EQ(count_of(lines, newer), 1u);
  EXPECT_EQ(count_of(lines, last), 1u);
  EXPECT_EQ(lines.size(), 3u);
  EXPECT_EQ(hub.stop(), 0);
}

// The requests seen are kept in the state store until their window ends: a
// restart of synchub forgets none of them.
TEST(Webhook, ARequestPostedAgainAfterARestartIsNotPublishedAgain) {
  WebhookHub hub;
  const long now = now_seconds();
  const std::string older = R"({"order_no":"SO-8","total":"1.00"})";
  const std::string newer = R"({"order_no":"SO-8","total":"2.00"})";
  ASSERT_EQ(hub.post(older, now).status, 202);
  ASSERT_EQ(hub.delivered(1, std::chrono::seconds(10)).size(), 1u);
  hub.restart();
  EXPECT_EQ(hub.post(older, now).status, 200);
  ASSERT_EQ(hub.post(newer, now).status, 202);
  auto lines = hub.delivered_through(newer);
  EXPECT_EQ(count_of(lines, older), 1u);
  EXPECT_EQ(count_of(lines, newer), 1u);
  EXPECT_EQ(lines.size(), 2u);
  EXPECT_EQ(hub.stop(), 0);
}

// A sender that signs its retry anew (a new timestamp) but names its delivery
// in X-Synchub-Delivery is recognised by that id.
TEST(Webhook, ARetryWithTheSameDeliveryIdIsNotPublishedAgain) {
  WebhookHub hub;
  const long now = now_seconds();
  const std::string first = R"({"order_no":"SO-9","total":"1.00"})";
  const std::string last = R"({"order_no":"SO-9","total":"2.00"})";
  ASSERT_EQ(hub.post_delivery(first, now - 1, "d-1").status, 202);
  EXPECT_EQ(hub.post_delivery(first, now, "d-1").status, 200);
  ASSERT_EQ(hub.post_delivery(last, now, "d-2").status, 202);
  auto lines = hub.delivered_through(last);
  EXPECT_EQ(count_of(lines, first), 1u);
  EXPECT_EQ(count_of(lines, last), 1u);
  EXPECT_EQ(hub.stop(), 0);
}

}  // namespace
}  // namespace synchub::test
