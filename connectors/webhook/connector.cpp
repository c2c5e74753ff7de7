// The `webhook` connector's streams (see connector.hpp): signature, time-window
// and replay checks of each POST, then the records onto the bus.
#include "connectors/webhook/connector.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <sstream>

#include "connectors/webhook/signature_schemes.hpp"
#include "mapping/document.hpp"
#include "mapping/json_writer.hpp"
#include "mapping/record.hpp"

namespace synchub::connectors {
namespace {

// The signature rules a stream's settings give: `signature: {scheme, secrets, header}`, or the
// older `secret` (synchub's scheme with signature_header and timestamp_header).
std::optional<webhook::SignatureRules> signature_rules(const config::Settings& s) {
  webhook::SignatureRules rules;
  rules.timestamp_header = s.str(webhook::field::kTimestampHeader);
  rules.tolerance_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(s.duration(webhook::field::kTolerance)).count();
  if (s.has(webhook::field::kSignatureSecrets)) {
    rules.scheme =
        webhook::scheme_named(s.str_or(webhook::field::kSignatureScheme, "synchub")).value_or(webhook::Scheme::Synchub);
    rules.secrets = s.list(webhook::field::kSignatureSecrets);
    rules.signature_header = s.str_or(webhook::field::kSignatureHeaderOf, "");
  } else if (!s.str_or(webhook::field::kSecret, "").empty()) {
    rules.secrets = {s.str(webhook::field::kSecret)};
  } else {
    return std::nullopt;  // unsigned requests are accepted
  }
  if (rules.scheme == webhook::Scheme::Synchub && rules.signature_header.empty())
    rules.signature_header = s.str(webhook::field::kSignatureHeader);
  return rules;
}

// The delivery id header: GitHub names its deliveries in X-GitHub-Delivery, unless set otherwise.
std::string delivery_header(const config::Settings& s, const std::optional<webhook::SignatureRules>& rules) {
  const config::Value& v = s.value(webhook::field::kDeliveryHeader);
  if (v.from_default && rules && rules->scheme == webhook::Scheme::GitHub) return "X-GitHub-Delivery";
  return v.text;
}

// Where a pushed record came from: its request's delivery id (when it has one) and its place in
// the body, e.g. "push:msg_2KWPBgLlAfxdpx2AI54pPJ85f4W#3".
std::string push_position(const std::string& delivery, size_t number) {
  constexpr size_t kLongestId = 200;  // a sender's text in a header of every event: bounded
  std::string position = "push";
  if (!delivery.empty()) position.append(":").append(delivery.substr(0, kLongestId));
  return position.append("#").append(std::to_string(number));
}

class WebhookStream final : public SourceStream, public PushSource {
 public:
  explicit WebhookStream(const config::Settings& s)
      : key_(s.str(webhook::field::kKey)),
        rules_(signature_rules(s)),
        delivery_header_(delivery_header(s, rules_)),
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
    std::string delivery = delivery_header_.empty() ? "" : request.header(delivery_header_);
    if (rules_) {
      webhook::SignatureCheck check = webhook::check_signature(*rules_, request.header, request.body, now);
      if (!check.error.empty()) return refuse(401, check.error);
      reply.replay_keys.push_back("signature:" + check.signature);
      if (!check.delivery.empty()) delivery = check.delivery;  // signed with the body: the better id
      signed_at = check.signed_at.value_or(now);
    }
    if (!delivery.empty()) reply.replay_keys.push_back("delivery:" + delivery);
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
        std::string error = to_record(doc, row, push_position(delivery, records.size() + 1), record);
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

  std::string key_;
  std::optional<webhook::SignatureRules> rules_;  // none: unsigned requests are accepted
  std::string delivery_header_;
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
