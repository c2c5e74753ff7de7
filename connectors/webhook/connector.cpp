// The `webhook` connector's streams (see connector.hpp): signature, time-window
// and replay checks of each POST, then the records onto the bus.
#include "connectors/webhook/connector.hpp"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <sstream>

#include "config/units.hpp"
#include "http/signing.hpp"
#include "mapping/document.hpp"
#include "mapping/json_writer.hpp"
#include "mapping/record.hpp"

namespace synchub::connectors {
namespace {

class WebhookStream final : public SourceStream, public PushSource {
 public:
  explicit WebhookStream(const config::Settings& s)
      : key_(s.str(webhook::field::kKey)),
        secret_(s.str_or(webhook::field::kSecret, "")),
        signature_header_(s.str(webhook::field::kSignatureHeader)),
        timestamp_header_(s.str(webhook::field::kTimestampHeader)),
        delivery_header_(s.str_or(webhook::field::kDeliveryHeader, "")),
        tolerance_(s.duration(webhook::field::kTolerance)) {}

  PullResult pull(const std::string&, size_t) override { return {}; }  // everything arrives by push
  std::chrono::milliseconds poll_interval() const override { return std::chrono::hours(1); }
  const PushSource* push() const override { return this; }

  std::string accept(const std::string& record_json, SourceRecord& out) const override {
    mapping::Document doc;
    if (std::string e = doc.parse(record_json); !e.empty()) return "invalid JSON: " + e;
    return to_record(doc, doc.root_index(), "replay", out);
  }

  PushReply receive(const PushRequest& request) const override {
    PushReply reply;
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    const auto window = std::chrono::duration_cast<std::chrono::seconds>(tolerance_).count();
    int64_t signed_at = now;
    if (!secret_.empty()) {
      std::string stamp = request.header(timestamp_header_);
      auto seconds = config::parse_int(stamp);
      if (!seconds) return refuse(401, "missing or unreadable " + timestamp_header_ + " header");
      if (*seconds < now - window || *seconds > now + window)
        return refuse(401, "timestamp outside the accepted window (" + std::to_string(window) + " s)");
      std::string signature = request.header(signature_header_);
      if (signature.rfind("sha256=", 0) != 0) signature.insert(0, "sha256=");  // the prefix is optional
      const std::string expected = http::webhook_signature(secret_, stamp, request.body);
      if (!http::constant_time_equal(signature, expected)) return refuse(401, "bad signature");
      reply.replay_keys.push_back("signature:" + expected);
      signed_at = *seconds;
    }
    if (std::string id = delivery_header_.empty() ? "" : request.header(delivery_header_); !id.empty())
      reply.replay_keys.push_back("delivery:" + id);
    // Remembered while the request could be accepted: until its window ends.
    reply.replay_until_ms = (std::max<int64_t>(signed_at, now) + window) * 1000;
    // Parsed exactly (amounts keep their digits): one object, an array of
    // objects, or JSON lines.
    mapping::Document doc;
    std::vector<SourceRecord> records;
    auto add_all = [&](const std::string& where, bool arrays) -> std::string {
      const bool array = arrays && doc.root().kind == mapping::JsonKind::Array;
      uint32_t row = array ? mapping::Document::first_child(doc.root_index()) : doc.root_index();
      for (uint32_t i = 0; i < (array ? doc.root().count : 1); ++i, row = doc.at(row).next) {
        SourceRecord record;
        std::string error = to_record(doc, row, "push", record);
        if (!error.empty()) return "record " + std::to_string(records.size() + 1) + where + ": " + error;
        records.push_back(std::move(record));
      }
      return {};
    };
    if (doc.parse(request.body).empty()) {
      if (std::string e = add_all("", true); !e.empty()) return refuse(400, e);
    } else {
      std::istringstream lines{std::string(request.body)};
      std::string line;
      int n = 0;
      while (std::getline(lines, line)) {
        ++n;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        if (!doc.parse(line).empty()) return refuse(400, "invalid JSON (line " + std::to_string(n) + ")");
        if (std::string e = add_all(" (line " + std::to_string(n) + ")", false); !e.empty()) return refuse(400, e);
      }
    }
    if (records.empty()) return refuse(400, "no records in the body");
    reply.records = std::move(records);
    return reply;
  }

 private:
  std::string to_record(const mapping::Document& doc, uint32_t row, const std::string& position,
                        SourceRecord& out) const {
    std::string key;
    if (std::string e = mapping::record_key(doc, row, key_, key); !e.empty()) return e;
    std::string text;
    mapping::write_node(text, doc, row);
    out = {std::move(key), std::move(text), position};
    return {};
  }
  static PushReply refuse(int status, std::string error) {
    PushReply r;
    r.status = status;
    r.error = std::move(error);
    return r;
  }

  std::string key_, secret_, signature_header_, timestamp_header_, delivery_header_;
  std::chrono::milliseconds tolerance_;
};

class WebhookConnector final : public Connector {
 public:
  std::unique_ptr<SourceStream> open_source(const config::StreamConfig& stream) override {
    return std::make_unique<WebhookStream>(stream.settings);
  }
  std::unique_ptr<SinkStream> open_sink(const config::StreamConfig&) override {
    throw std::logic_error("webhook streams are sources only");
  }
};

}  // namespace

namespace webhook {
std::unique_ptr<Connector> open_connector() {
  return std::make_unique<WebhookConnector>();
}
}  // namespace webhook

}  // namespace synchub::connectors
