// The `webhook` connector: a push source. Senders POST JSON (one object, an
// array of objects, or JSON lines) to /hooks/<connector>/<stream>, signed with
// HMAC-SHA256 over "<timestamp>.<body>"; requests outside the time window are
// refused (replay protection). The hub answers 2xx only once the records are
// durable on the bus.
#include <chrono>
#include <nlohmann/json.hpp>
#include <sstream>

#include "config/units.hpp"
#include "connectors/registry.hpp"
#include "connectors/signing.hpp"

namespace synchub::connectors {
namespace {

using Json = nlohmann::ordered_json;

const Json* at_path(const Json& v, const std::string& dotted) {
  const Json* at = &v;
  size_t pos = 0;
  while (pos <= dotted.size()) {
    size_t dot = dotted.find('.', pos);
    std::string part = dotted.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
    if (!at->is_object() || !at->contains(part)) return nullptr;
    at = &(*at)[part];
    if (dot == std::string::npos) break;
    pos = dot + 1;
  }
  return at;
}

class WebhookStream final : public SourceStream, public PushSource {
 public:
  explicit WebhookStream(const config::Settings& s)
      : key_(s.str("key")),
        secret_(s.str_or("secret", "")),
        signature_header_(s.str("signature_header")),
        timestamp_header_(s.str("timestamp_header")),
        tolerance_(s.duration("tolerance")) {}

  PullResult pull(const std::string&, size_t) override { return {}; }  // everything arrives by push
  std::chrono::milliseconds poll_interval() const override { return std::chrono::hours(1); }
  const PushSource* push() const override { return this; }

  std::string accept(const std::string& record_json, SourceRecord& out) const override {
    Json row = Json::parse(record_json, nullptr, false);
    return to_record(row, "replay", out);
  }

  PushReply receive(const PushRequest& request) const override {
    PushReply reply;
    if (!secret_.empty()) {
      std::string stamp = request.header(timestamp_header_);
      auto seconds = config::parse_int(stamp);
      if (!seconds) return refuse(401, "missing or unreadable " + timestamp_header_ + " header");
      const auto now =
          std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
      const auto window = std::chrono::duration_cast<std::chrono::seconds>(tolerance_).count();
      if (*seconds < now - window || *seconds > now + window)
        return refuse(401, "timestamp outside the accepted window (" + std::to_string(window) + " s)");
      std::string signature = request.header(signature_header_);
      if (signature.rfind("sha256=", 0) == 0) signature.erase(0, 7);
      std::string expected = hmac_sha256_hex(secret_, stamp + "." + std::string(request.body));
      if (!constant_time_equal(signature, expected)) return refuse(401, "bad signature");
    }
    std::vector<Json> rows;
    Json whole = Json::parse(request.body, nullptr, false);
    if (!whole.is_discarded()) {
      if (whole.is_array())
        for (auto& r : whole) rows.push_back(std::move(r));
      else
        rows.push_back(std::move(whole));
    } else {
      // JSON lines
      std::istringstream lines{std::string(request.body)};
      std::string line;
      int n = 0;
      while (std::getline(lines, line)) {
        ++n;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        Json row = Json::parse(line, nullptr, false);
        if (row.is_discarded()) return refuse(400, "invalid JSON (line " + std::to_string(n) + ")");
        rows.push_back(std::move(row));
      }
    }
    if (rows.empty()) return refuse(400, "no records in the body");
    for (size_t i = 0; i < rows.size(); ++i) {
      SourceRecord record;
      std::string error = to_record(rows[i], "push", record);
      if (!error.empty()) return refuse(400, "record " + std::to_string(i + 1) + ": " + error);
      reply.records.push_back(std::move(record));
    }
    return reply;
  }

 private:
  std::string to_record(const Json& row, const std::string& position, SourceRecord& out) const {
    if (!row.is_object()) return "expected a JSON object";
    const Json* key = at_path(row, key_);
    if (!key || key->is_null()) return "missing key '" + key_ + "'";
    if (!key->is_string() && !key->is_number_integer()) return "key '" + key_ + "' must be a string or an integer";
    out = {key->is_string() ? key->get<std::string>() : key->dump(), row.dump(), position};
    return {};
  }
  static PushReply refuse(int status, std::string error) {
    PushReply r;
    r.status = status;
    r.error = std::move(error);
    return r;
  }

  std::string key_, secret_, signature_header_, timestamp_header_;
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

void register_webhook(Registry& registry) {
  using config::FieldType;
  config::ConnectorSpec spec{
      .type = "webhook",
      .description = "Push source: records POSTed to /hooks/<connector>/<stream> on synchub's HTTP server (hub.http).",
      .status = "beta",
      .since = "0.2.0",
      .fields = {},
      .stream_fields =
          {
              {.name = "key", .description = "Field (dotted path) holding each record's key.", .default_value = "id"},
              {.name = "secret",
               .description = "HMAC-SHA256 key; requests must be signed (recommended: always set it).",
               .secret = true},
              {.name = "signature_header",
               .description = "Header carrying sha256=<hex HMAC of \"<timestamp>.<body>\">.",
               .default_value = "X-Synchub-Signature"},
              {.name = "timestamp_header",
               .description = "Header carrying the sending time (Unix seconds).",
               .default_value = "X-Synchub-Timestamp"},
              {.name = "tolerance",
               .type = FieldType::Duration,
               .description = "Requests whose timestamp is further from now are refused (replay protection).",
               .default_value = "5m"},
          },
      .stream_roles = [](const config::Settings&) { return config::StreamRoles{.source = true, .sink = false}; },
  };
  registry.add({std::move(spec),
                [](const config::ConnectorConfig&, const Context&) { return std::make_unique<WebhookConnector>(); }});
}

}  // namespace synchub::connectors
