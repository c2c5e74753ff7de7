// Webhooks through the real binary: signed pushes become events (durable
// before the 2xx), everything else is refused with the right status and
// leaves no event.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "connectors/rest/http_client.hpp"
#include "connectors/signing.hpp"
#include "tests/support/test_support.hpp"

namespace synchub::test {
namespace {

using connectors::rest::HttpCall;
using connectors::rest::HttpClient;
using connectors::rest::HttpReply;

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
    process_ =
        std::make_unique<Process>(std::vector<std::string>{"run", "-c", dir_.str("synchub.yaml")}, dir_.str("log"));
    base_ = wait_for_hub_url(dir_.path() / "log");
  }

  HttpReply post(const std::string& body, long timestamp, const std::string& secret = kSecret,
                 const std::string& path = "/hooks/crm/orders", const std::string& method = "POST") {
    return post_with(client_, body, timestamp, secret, path, method);
  }
  // One HttpClient per thread: a client is one connection.
  HttpReply post_with(HttpClient& client, const std::string& body, long timestamp, const std::string& secret = kSecret,
                      const std::string& path = "/hooks/crm/orders", const std::string& method = "POST") {
    std::string stamp = std::to_string(timestamp);
    return client.send(HttpCall{method,
                                base_ + path,
                                {{"Content-Type", "application/json"},
                                 {"X-Synchub-Timestamp", stamp},
                                 {"X-Synchub-Signature", connectors::webhook_signature(secret, stamp, body)}},
                                body});
  }
  std::vector<std::string> delivered(size_t expect, std::chrono::seconds patience) {
    auto until = std::chrono::steady_clock::now() + patience;
    std::vector<std::string> lines;
    do {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      lines = fs::exists(dir_.path() / "outbox") ? lines_in_dir(dir_.path() / "outbox") : std::vector<std::string>{};
    } while (lines.size() < expect && std::chrono::steady_clock::now() < until);
    return lines;
  }
  int stop() { return process_->terminate(); }

 private:
  TempDir dir_;
  std::unique_ptr<Process> process_;
  std::string base_;
  HttpClient client_;
};

long now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
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

}  // namespace
}  // namespace synchub::test
