// The events synchub puts on Kafka as an independent CloudEvents implementation reads them: kcat
// consumes them from the mock cluster (-J: key, value, headers as they are on the topic) and the
// npm `cloudevents` SDK's Kafka binding parses each (tests/node/check-cloudevents.mjs). Every
// event must be valid CloudEvents 1.0 with synchub's extension attributes, and no two may share
// source + id: over a run with multi-record webhook requests, a file source and a restart.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "http/http_client.hpp"
#include "http/signing.hpp"
#include "tests/support/kafka_mock.hpp"
#include "tests/support/test_support.hpp"

namespace synchub::test {
namespace {

const char* kSecret = "ce-secret";

long now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

class KafkaWebhookHub {
 public:
  explicit KafkaWebhookHub(const KafkaMock& kafka) {
    fs::create_directories(dir_.path() / "inbox");
    write_file(dir_.path() / "synchub.yaml", R"(hub: {name: cetest, http: {port: 0}}
bus:
  type: kafka
  kafka:
    bootstrap_servers: ")" + kafka.bootstrap_servers() +
                                                 R"("
    create_topics: false
    properties: {session.timeout.ms: "6000", heartbeat.interval.ms: "500"}
connectors:
  hooks:
    type: webhook
    streams:
      orders: {key: order_no, secret: )" + kSecret +
                                                 R"(}
  files:
    type: file
    streams:
      orders: {key: order_no, inbox: inbox, settle: 0s, poll_interval: 50ms}
  out:
    type: file
    streams:
      hooks: {outbox: out/hooks, fsync: false}
      files: {outbox: out/files, fsync: false}
flows:
  hooks: {from: hooks.orders, to: out.hooks}
  files: {from: files.orders, to: out.files}
)");
    start();
  }
  ~KafkaWebhookHub() {
    if (process_) process_->terminate();
  }
  void restart() {
    EXPECT_EQ(process_->terminate(), 0);
    start();
  }
  int post(const std::string& body) {
    const std::string stamp = std::to_string(now_seconds());
    return client_
        .send({"POST",
               base_ + "/hooks/hooks/orders",
               {{"Content-Type", "application/json"},
                {"X-Synchub-Timestamp", stamp},
                {"X-Synchub-Signature", http::webhook_signature(kSecret, stamp, body)}},
               body})
        .status;
  }
  void wait_delivered(const std::string& flow, size_t expect) {
    const fs::path outbox = dir_.path() / "out" / flow;
    EXPECT_TRUE(eventually([&] { return fs::exists(outbox) && lines_in_dir(outbox).size() >= expect; },
                           std::chrono::seconds(30)))
        << flow << ": " << tail_of(dir_.path() / log_, 3000);
  }
  const TempDir& dir() const { return dir_; }

 private:
  void start() {
    log_ = "log" + std::to_string(++starts_);
    process_ =
        std::make_unique<Process>(std::vector<std::string>{"run", "-c", dir_.str("synchub.yaml")}, dir_.str(log_));
    base_ = wait_for_hub_url(dir_.path() / log_);
  }
  TempDir dir_;
  std::unique_ptr<Process> process_;
  std::string base_, log_;
  http::HttpClient client_;
  int starts_ = 0;
};

TEST(CloudEvents, EveryEventOnKafkaIsAValidCloudEventWithItsOwnId) {
  KafkaMock kafka;
  kafka.command("topic hooks.orders 2 3");
  kafka.command("topic files.orders 2 3");
  KafkaWebhookHub hub(kafka);
  const std::string three = R"([{"order_no":"W-1"},{"order_no":"W-2"},{"order_no":"W-3","total":"1.10"}])";
  ASSERT_EQ(hub.post(three), 202);
  ASSERT_EQ(hub.post("{\"order_no\":\"W-4\"}\n{\"order_no\":\"W-5\"}\n"), 202);  // JSON lines
  ASSERT_EQ(hub.post(R"({"order_no":"W-6","name":"上海华信"})"), 202);
  write_file(hub.dir().path() / "inbox" / "orders.jsonl",
             "{\"order_no\":\"F-1\"}\n{\"order_no\":\"F-2\"}\n{\"order_no\":\"F-3\"}\n{\"order_no\":\"F-4\"}\n");
  hub.wait_delivered("hooks", 6);
  hub.wait_delivered("files", 4);
  // The same records in a new request (signed anew: a new event), and again from a new process.
  // (The flow finds them unchanged and writes nothing; on the topic they are events of their own,
  // durable before the 202.)
  std::this_thread::sleep_for(std::chrono::seconds(1));
  ASSERT_EQ(hub.post(three), 202);
  hub.restart();
  ASSERT_EQ(hub.post(three), 202);

  const std::string events = hub.dir().str("events.jsonl");
  for (const std::string topic : {"hooks.orders", "files.orders"}) {
    const std::string kcat = "kcat -b " + kafka.bootstrap_servers() + " -C -t " + topic + " -o beginning -e -J >> " +
                             events + " 2> " + hub.dir().str("kcat.err");
    ASSERT_EQ(std::system(kcat.c_str()), 0) << read_file(hub.dir().path() / "kcat.err");
  }
  const std::string node_dir = fs::path(synchub_binary()).parent_path().string() + "/node-tests";
  const std::string check = SYNCHUB_SOURCE_DIR "/tests/node/run-node-script " + node_dir + " check-cloudevents.mjs " +
                            events + " > " + hub.dir().str("check.json") + " 2> " + hub.dir().str("check.err");
  const int status = std::system(check.c_str());
  const std::string said = read_file(hub.dir().path() / "check.json");
  EXPECT_EQ(status, 0) << said << read_file(hub.dir().path() / "check.err");
  const auto summary = nlohmann::json::parse(said);
  EXPECT_EQ(summary["events"], 16) << said;
  EXPECT_EQ(summary["unique_ids"], 16) << said;
  EXPECT_TRUE(summary["problems"].empty()) << said;
}

}  // namespace
}  // namespace synchub::test
