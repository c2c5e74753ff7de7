#include "config/hub_config.hpp"

#include <functional>
#include <map>
#include <regex>
#include <set>

#include "config/yaml_reader.hpp"

namespace synchub::config {

namespace {

// hub: rules across its fields.
[[nodiscard]] std::vector<SettingsProblem> check_hub(const Settings& hub) {
  std::vector<SettingsProblem> problems;
  const bool cert = hub.has("http.tls.cert"), key = hub.has("http.tls.key");
  if (cert && !key) problems.push_back({"http.tls.cert", "set http.tls.key too: HTTPS needs both files (PEM)"});
  if (key && !cert) problems.push_back({"http.tls.key", "set http.tls.cert too: HTTPS needs both files (PEM)"});
  return problems;
}

}  // namespace

const std::vector<FieldSpec>& hub_fields() {
  static const std::vector<FieldSpec> fields = {
      {.name = "name",
       .description = "Name of this hub; tags the events it publishes (origin) and its logs.",
       .default_value = "synchub"},
      {.name = "data_dir",
       .type = FieldType::Path,
       .description = "Folder for the embedded bus and state files (relative to the config file).",
       .default_value = "data"},
      {.name = "worker_id",
       .description = "This worker's name in source leases (default: host name and data_dir, so a worker "
                      "restarted after a crash takes its streams back at once; two workers need different ones)."},
      {.name = "topic_prefix",
       .description = "Prefix of every topic name: <prefix><connector>.<stream>.",
       .default_value = ""},
      {.name = "log_level",
       .type = FieldType::Enum,
       .description = "Least severe log level written.",
       .default_value = "info",
       .options = {"debug", "info", "warn", "error"}},
      {.name = "shutdown_timeout",
       .type = FieldType::Duration,
       .description = "How long `synchub run` waits, once asked to stop, for the batches in flight; then it exits "
                      "without confirming them (delivered again at the next start). A second signal exits at once.",
       .default_value = "30s"},
      {.name = "log_format",
       .type = FieldType::Enum,
       .description = "json: one JSON object a line; text: for people; auto: text on a terminal, else json.",
       .default_value = "auto",
       .options = {"auto", "json", "text"}},
      {.name = "http",
       .type = FieldType::Section,
       .description = "synchub's HTTP server (webhooks and the admin API; started when either is used).",
       .fields =
           {
               {.name = "address",
                .description = "Address to listen on (loopback by default).",
                .default_value = "127.0.0.1"},
               {.name = "port",
                .type = FieldType::Int,
                .description = "Port.",
                .default_value = "8088",
                .min = 0,
                .max = 65535},
               {.name = "max_body",
                .type = FieldType::Size,
                .description = "Largest request body accepted.",
                .default_value = "1MiB"},
               {.name = "tls",
                .type = FieldType::Section,
                .description = "Serve HTTPS only (both files in PEM).",
                .fields =
                    {
                        {.name = "cert", .type = FieldType::Path, .description = "Certificate chain file."},
                        {.name = "key", .type = FieldType::Path, .description = "Private key file."},
                    }},
           }},
      {.name = "admin",
       .type = FieldType::Section,
       .description = "The admin API (/api/v1, /metrics, /healthz, /readyz) on the HTTP server.",
       .fields =
           {
               {.name = "enabled", .type = FieldType::Bool, .description = "Serve it.", .default_value = "false"},
               {.name = "viewer_tokens",
                .type = FieldType::StringList,
                .description = "Bearer tokens that may read (GET).",
                .secret = true},
               {.name = "operator_tokens",
                .type = FieldType::StringList,
                .description = "Bearer tokens that may also pause, resume, trigger, replay and discard.",
                .secret = true},
           }},
  };
  return fields;
}

const std::vector<FieldSpec>& bus_fields() {
  static const std::vector<FieldSpec> fields = {
      {.name = "type",
       .type = FieldType::Enum,
       .description = "Event bus implementation.",
       .default_value = "embedded",
       .options = {"embedded", "kafka"}},
      {.name = "kafka",
       .type = FieldType::Section,
       .description = "The Kafka cluster, for type kafka (`bus: kafka` is short for type kafka).",
       .fields =
           {
               {.name = "bootstrap_servers",
                .description = "Brokers to start from, host:port,host:port.",
                .default_value = "127.0.0.1:9092"},
               {.name = "create_topics",
                .type = FieldType::Bool,
                .description = "Create missing topics (partitions, replication_factor); off where an admin "
                               "creates them.",
                .default_value = "true"},
               {.name = "partitions",
                .type = FieldType::Int,
                .description = "Partitions of a created topic (events are partitioned by key: per-key order).",
                .default_value = "6",
                .min = 1},
               {.name = "replication_factor",
                .type = FieldType::Int,
                .description = "Replicas of a created topic.",
                .default_value = "3",
                .min = 1},
               {.name = "delivery_timeout",
                .type = FieldType::Duration,
                .description = "A publish fails (and is retried) when the cluster has not acknowledged it by then.",
                .default_value = "30s"},
               {.name = "properties",
                .type = FieldType::StringMap,
                .description = "librdkafka settings passed through: security.protocol, sasl.mechanisms, "
                               "sasl.username, sasl.password, ssl.ca.location, compression.type, linger.ms...",
                .secret = true,  // SASL passwords
                .example = "{security.protocol: SASL_SSL, sasl.mechanisms: SCRAM-SHA-512, sasl.username: synchub, "
                           "sasl.password: ${KAFKA_PASSWORD}}"},
           }},
      {.name = "path",
       .type = FieldType::Path,
       .description = "Embedded bus database file (default: <data_dir>/bus.db)."},
      {.name = "partitions",
       .type = FieldType::Int,
       .description = "Partitions of each new topic; events are partitioned by key, so per-key order holds.",
       .default_value = "1",
       .min = 1,
       .max = 256},
      {.name = "fsync",
       .type = FieldType::Bool,
       .description = "Flush every commit to disk (survives power loss, not only process crashes).",
       .default_value = "true"},
      {.name = "compression",
       .type = FieldType::Enum,
       .description = "How record batches are stored (as Kafka's compression.type); a log holds either.",
       .default_value = "lz4",
       .options = {"lz4", "none"}},
      {.name = "retention",
       .type = FieldType::Section,
       .description = "When old events are deleted.",
       .fields =
           {
               {.name = "max_age",
                .type = FieldType::Duration,
                .description = "Delete events older than this.",
                .default_value = "7d"},
               {.name = "max_bytes",
                .type = FieldType::Size,
                .description = "Per topic, delete the oldest events above this size.",
                .default_value = "1GiB"},
           }},
  };
  return fields;
}

const std::vector<FieldSpec>& state_fields() {
  static const std::vector<FieldSpec> fields = {
      {.name = "type",
       .type = FieldType::Enum,
       .description = "State store implementation.",
       .default_value = "sqlite",
       .options = {"sqlite", "postgresql"}},
      {.name = "path",
       .type = FieldType::Path,
       .description = "SQLite state file: cursors, ledger, xref, dead letters, runs (default: <data_dir>/state.db)."},
      {.name = "url",
       .description = "PostgreSQL connection URL, shared by every worker (`state: postgresql://...` is short for "
                      "type postgresql with this url).",
       .secret = true,  // holds the password
       .example = "postgresql://synchub:${PG_PASSWORD}@db.internal:5432/synchub"},
      {.name = "lease_ttl",
       .type = FieldType::Duration,
       .description = "A worker polls a source stream only while it holds the stream's lease; another worker "
                      "takes over this long after the holder stops renewing it.",
       .default_value = "15s"},
  };
  return fields;
}

const std::vector<FieldSpec>& alert_fields() {
  static const std::vector<FieldSpec> fields = {
      {.name = "webhook",
       .type = FieldType::Section,
       .description = "Where alerts are posted (on when url is set).",
       .fields =
           {
               {.name = "url",
                .description = "Receiver URL: an HTTP endpoint or a DingTalk/WeCom/Feishu group robot.",
                .secret = true,  // robot URLs carry their access token
                .example = "https://oapi.dingtalk.com/robot/send?access_token=${DINGTALK_TOKEN}"},
               {.name = "format",
                .type = FieldType::Enum,
                .description = "generic: synchub's JSON; dingtalk, wecom, feishu: those robots' text messages.",
                .default_value = "generic",
                .options = {"generic", "dingtalk", "wecom", "feishu"}},
               {.name = "secret",
                .description = "Signing secret of a DingTalk or Feishu robot with signature checks on.",
                .secret = true},
               {.name = "timeout", .type = FieldType::Duration, .description = "Per post.", .default_value = "10s"},
           }},
      {.name = "failing_for",
       .type = FieldType::Duration,
       .description = "Alert when a flow has kept failing (backing off) this long; 0s: never.",
       .default_value = "5m"},
      {.name = "lag_events",
       .type = FieldType::Int,
       .description = "Alert when more events than this wait on a flow's topic; 0: never.",
       .default_value = "0",
       .min = 0},
      {.name = "lag_age",
       .type = FieldType::Duration,
       .description = "Alert when the oldest waiting event is older than this; 0s: never.",
       .default_value = "15m"},
      {.name = "dead_letters",
       .type = FieldType::Int,
       .description = "Alert when a flow has more pending dead letters than this; 0: never.",
       .default_value = "0",
       .min = 0},
      {.name = "repeat",
       .type = FieldType::Duration,
       .description = "Remind while an alert lasts, this often; 0s: one message per outage (and one on recovery).",
       .default_value = "4h"},
      {.name = "check_every",
       .type = FieldType::Duration,
       .description = "How often the conditions are checked.",
       .default_value = "15s"},
  };
  return fields;
}

const std::vector<FieldSpec>& flow_fields() {
  static const std::vector<FieldSpec> fields = {
      {.name = "from",
       .description = "Source stream whose topic this flow consumes, as connector.stream.",
       .required = true,
       .example = "crm.orders"},
      {.name = "to",
       .description = "Sink stream this flow writes to, as connector.stream.",
       .required = true,
       .example = "erp.sale_orders"},
      {.name = "enabled", .type = FieldType::Bool, .description = "Run this flow.", .default_value = "true"},
      {.name = "mapping",
       .type = FieldType::Path,
       .description = "Mapping file (YAML field-mapping rules) applied to each record; without one records pass "
                      "through unchanged.",
       .example = "mappings/crm-order-to-erp.yaml"},
      {.name = "batch_size",
       .type = FieldType::Int,
       .description = "Most events handled per sink push.",
       .default_value = "500",
       .min = 1,
       .max = 100000},
      {.name = "xref",
       .type = FieldType::Section,
       .description = "Fill the cross-reference table from this flow: each record's key in the source system "
                      "is the target id the sink returned (mappings look it up with `lookup: {xref: ...}`).",
       .fields =
           {
               {.name = "entity", .description = "Entity name, e.g. customer.", .example = "customer"},
               {.name = "from", .description = "System of the record keys (default: the source connector)."},
               {.name = "to", .description = "System of the target ids (default: the sink connector)."},
           }},
      {.name = "retry",
       .type = FieldType::Section,
       .description = "Backoff for transient failures: sink errors, and cross-references not there yet (the "
                      "master data may still be on its way).",
       .fields =
           {
               {.name = "initial_backoff",
                .type = FieldType::Duration,
                .description = "First wait.",
                .default_value = "1s"},
               {.name = "max_backoff",
                .type = FieldType::Duration,
                .description = "Longest wait.",
                .default_value = "5m"},
               {.name = "max_attempts",
                .type = FieldType::Int,
                .description = "Attempts before a record is dead-lettered; 0 retries until it succeeds.",
                .default_value = "0",
                .min = 0},
           }},
  };
  return fields;
}

const std::vector<SectionSpec>& hub_sections() {
  using Kind = SectionSpec::Kind;
  static const std::vector<SectionSpec> sections = {
      {"hub", "This hub's identity, data folder, logging, HTTP server and admin API.", Kind::Fields, &hub_fields()},
      {"bus", "The event bus carrying change events between sources and flows.", Kind::Fields, &bus_fields()},
      {"state", "Where cursors, ledger, xref, dead letters and runs are kept.", Kind::Fields, &state_fields()},
      {"alerts", "When to tell people a flow needs attention, and where.", Kind::Fields, &alert_fields()},
      {"connectors", "Connections to systems, by name.", Kind::Connectors},
      {"flows", "Flows, by name.", Kind::Named, &flow_fields(),
       "Consumes one source stream's topic and writes to one sink stream."},
  };
  return sections;
}

const StreamConfig* ConnectorConfig::stream(const std::string& stream_name) const {
  for (const auto& s : streams)
    if (s.name == stream_name) return &s;
  return nullptr;
}

const ConnectorConfig* HubConfig::connector(const std::string& connector_name) const {
  for (const auto& c : connectors)
    if (c.name == connector_name) return &c;
  return nullptr;
}

const FlowConfig* HubConfig::flow(const std::string& flow_name) const {
  for (const auto& f : flows)
    if (f.name == flow_name) return &f;
  return nullptr;
}

std::string HubConfig::topic(const StreamRef& ref) const {
  return hub.str("topic_prefix") + ref.str();
}

namespace {

const std::regex& name_pattern() {
  static const std::regex pattern("[a-z][a-z0-9_-]*");
  return pattern;
}

class Loader {
 public:
  Loader(const std::string& file, const std::vector<const ConnectorSpec*>& specs, Diagnostics& d)
      : reader_(file, d), specs_(specs), diag_(d) {
    config_.file = file;
  }

  HubConfig load() {
    YAML::Node root = reader_.load();
    if (!diag_.empty()) return config_;
    Mark top{reader_.file(), 1, 1};
    if (!reader_.expect_map(root, "", top)) return config_;
    const std::vector<std::string> known = {"hub", "bus", "state", "alerts", "connectors", "flows"};
    std::map<std::string, YAML::Node> sections;
    for (auto& [key, value, key_mark] : reader_.entries(root, "")) {
      if (std::find(known.begin(), known.end(), key) == known.end())
        diag_.error(key_mark, key, "unknown section '" + key + "'; " + suggest(key, known));
      else
        sections[key] = value;
    }
    read_section(sections, "hub", hub_fields(), config_.hub);
    report(check_hub, config_.hub, "hub", sections.count("hub") ? reader_.mark(sections["hub"]) : top);
    read_section(sections, "bus", bus_fields(), config_.bus);
    if (sections.count("bus") && sections["bus"].IsScalar()) {  // bus: kafka
      YAML::Node expanded(YAML::NodeType::Map);
      expanded["type"] = sections["bus"];
      sections["bus"] = expanded;
    }
    if (sections.count("state") && sections["state"].IsScalar()) {  // state: postgresql://...
      YAML::Node expanded(YAML::NodeType::Map);
      expanded["type"] = "postgresql";
      expanded["url"] = sections["state"];
      sections["state"] = expanded;
    }
    read_section(sections, "state", state_fields(), config_.state);
    if (config_.state.str("type") == "postgresql" && !config_.state.has("url"))
      diag_.error(config_.state.mark(), "state", "type postgresql needs url (postgresql://user:password@host:port/db)");
    read_section(sections, "alerts", alert_fields(), config_.alerts);
    if (config_.hub.has("data_dir")) {  // absent only when it was reported wrong
      const std::filesystem::path data_dir = config_.hub.str("data_dir");
      config_.bus.derive_default("path", (data_dir / "bus.db").string());
      config_.state.derive_default("path", (data_dir / "state.db").string());
    }
    if (sections.count("connectors")) read_connectors(sections["connectors"], root);
    if (sections.count("flows")) read_flows(sections["flows"], root);
    check_cycles();
    return config_;
  }

 private:
  Mark key_mark(const YAML::Node& parent, const std::string& key) {
    for (auto it = parent.begin(); it != parent.end(); ++it)
      if (it->first.IsScalar() && it->first.Scalar() == key) return reader_.mark(it->first);
    return reader_.mark(parent);
  }

  void read_section(std::map<std::string, YAML::Node>& sections, const std::string& name,
                    const std::vector<FieldSpec>& fields, Settings& out) {
    YAML::Node node = sections.count(name) ? sections[name] : YAML::Node();
    Mark where = sections.count(name) ? reader_.mark(node) : Mark{reader_.file(), 1, 1};
    if (!node.IsNull() && !reader_.expect_map(node, name, where)) return;
    reader_.read_fields(node, fields, name, where, out);
  }

  bool check_name(const std::string& name, const Mark& mark, const std::string& path, const char* what) {
    if (std::regex_match(name, name_pattern())) return true;
    diag_.error(mark, path,
                std::string("invalid ") + what + " name '" + name +
                    "': use lower-case letters, digits, '_' and '-', starting with a letter");
    return false;
  }

  const ConnectorSpec* find_spec(const std::string& type) {
    for (const auto* s : specs_)
      if (s->type == type) return s;
    return nullptr;
  }

  // A section's cross-field rules, each problem at its field's position (the section's when the
  // field is absent).
  void report(const SettingsCheck& check, const Settings& settings, const std::string& path, const Mark& section) {
    if (!check) return;
    for (const auto& problem : check(settings)) {
      const bool present = settings.has(problem.field) && !settings.value(problem.field).from_default;
      diag_.error(present ? settings.value(problem.field).mark : section, path + "." + problem.field, problem.message);
    }
  }

  void read_connectors(const YAML::Node& node, const YAML::Node& root) {
    if (!reader_.expect_map(node, "connectors", key_mark(root, "connectors"))) return;
    for (auto& [name, body, name_mark] : reader_.entries(node, "connectors")) {
      const std::string path = "connectors." + name;
      check_name(name, name_mark, path, "connector");
      if (!reader_.expect_map(body, path, name_mark)) continue;
      ConnectorConfig connector;
      connector.name = name;
      YAML::Node type_node = body["type"];
      if (!type_node) {
        diag_.error(name_mark, path, "missing required field 'type'");
        continue;
      }
      connector.type = type_node.IsScalar() ? type_node.Scalar() : "";
      const ConnectorSpec* spec = find_spec(connector.type);
      if (!spec) {
        std::vector<std::string> types;
        for (const auto* s : specs_) types.push_back(s->type);
        std::sort(types.begin(), types.end());
        std::string available;
        for (const auto& t : types) available += (available.empty() ? "" : ", ") + t;
        std::string hint = suggest(connector.type, types);
        diag_.error(reader_.mark(type_node), path + ".type",
                    "unknown connector type '" + connector.type + "'" +
                        (hint.rfind("did you mean", 0) == 0 ? "; " + hint : "") + "; available: " + available);
        continue;
      }
      const size_t errors_before_fields = diag_.list().size();
      reader_.read_fields(body, spec->fields, path, name_mark, connector.settings, {"type", "streams"});
      if (diag_.list().size() == errors_before_fields) report(spec->check, connector.settings, path, name_mark);
      YAML::Node streams = body["streams"];
      if (!streams) {
        diag_.error(name_mark, path, "missing required field 'streams'");
      } else if (reader_.expect_map(streams, path + ".streams", key_mark(body, "streams"))) {
        for (auto& [stream_name, stream_body, stream_mark] : reader_.entries(streams, path + ".streams")) {
          const std::string stream_path = path + ".streams." + stream_name;
          check_name(stream_name, stream_mark, stream_path, "stream");
          if (!stream_body.IsNull() && !reader_.expect_map(stream_body, stream_path, stream_mark)) continue;
          StreamConfig stream;
          stream.name = stream_name;
          size_t errors_before = diag_.list().size();
          reader_.read_fields(stream_body, spec->stream_fields, stream_path, stream_mark, stream.settings);
          if (diag_.list().size() == errors_before)
            report(spec->stream_check, stream.settings, stream_path, stream_mark);
          if (diag_.list().size() != errors_before)
            stream.roles = {true, true};  // already reported: flows naming it add no follow-up errors
          else if (spec->stream_roles)
            stream.roles = spec->stream_roles(stream.settings);
          connector.streams.push_back(std::move(stream));
        }
      }
      config_.connectors.push_back(std::move(connector));
    }
  }

  // Resolves "connector.stream"; reports what is wrong with it.
  bool resolve(const Value& value, const std::string& path, bool want_sink, StreamRef& out) {
    const std::string& text = value.text;
    size_t dot = text.find('.');
    if (dot == std::string::npos) {
      diag_.error(value.mark, path, "expected connector.stream, got \"" + text + "\"");
      return false;
    }
    out = {text.substr(0, dot), text.substr(dot + 1)};
    const ConnectorConfig* connector = config_.connector(out.connector);
    if (!connector) {
      std::vector<std::string> names;
      for (const auto& c : config_.connectors) names.push_back(c.name);
      diag_.error(value.mark, path, "unknown connector '" + out.connector + "'; " + suggest(out.connector, names));
      return false;
    }
    const StreamConfig* stream = connector->stream(out.stream);
    if (!stream) {
      std::vector<std::string> names;
      for (const auto& s : connector->streams) names.push_back(s.name);
      diag_.error(
          value.mark, path,
          "connector '" + out.connector + "' has no stream '" + out.stream + "'; " + suggest(out.stream, names));
      return false;
    }
    if (want_sink && !stream->roles.sink) {
      diag_.error(value.mark, path, "stream '" + text + "' cannot be written to (it is not configured as a sink)");
      return false;
    }
    if (!want_sink && !stream->roles.source) {
      diag_.error(value.mark, path, "stream '" + text + "' cannot be read from (it is not configured as a source)");
      return false;
    }
    return true;
  }

  void read_flows(const YAML::Node& node, const YAML::Node& root) {
    if (!reader_.expect_map(node, "flows", key_mark(root, "flows"))) return;
    for (auto& [name, body, name_mark] : reader_.entries(node, "flows")) {
      const std::string path = "flows." + name;
      check_name(name, name_mark, path, "flow");
      if (!reader_.expect_map(body, path, name_mark)) continue;
      FlowConfig flow;
      flow.name = name;
      size_t errors_before = diag_.list().size();
      reader_.read_fields(body, flow_fields(), path, name_mark, flow.settings);
      if (diag_.list().size() != errors_before) continue;
      bool ok = resolve(flow.settings.value("from"), path + ".from", false, flow.from);
      ok = resolve(flow.settings.value("to"), path + ".to", true, flow.to) && ok;
      if (!ok) continue;
      flow.settings.derive_default("xref.from", flow.from.connector);
      flow.settings.derive_default("xref.to", flow.to.connector);
      config_.flows.push_back(std::move(flow));
    }
  }

  // A flow writes into a stream that (directly or through other flows) feeds
  // the flow's own source: every record would circle for ever.
  void check_cycles() {
    std::map<std::string, std::vector<const FlowConfig*>> edges;
    for (const auto& f : config_.flows) edges[f.from.str()].push_back(&f);
    std::set<std::string> reported;
    for (const auto& start : config_.flows) {
      // Depth-first search from the flow's target back to its source.
      std::vector<std::string> trail = {start.from.str(), start.to.str()};
      std::set<std::string> visited;
      std::function<bool(const std::string&)> reaches = [&](const std::string& node) -> bool {
        if (node == start.from.str()) return true;
        if (!visited.insert(node).second) return false;
        for (const auto* next : edges[node]) {
          trail.push_back(next->to.str());
          if (reaches(next->to.str())) return true;
          trail.pop_back();
        }
        return false;
      };
      if (!reaches(start.to.str())) continue;
      std::set<std::string> members(trail.begin(), trail.end());
      std::string key;
      for (const auto& m : members) key += m + ",";
      if (!reported.insert(key).second) continue;  // report each cycle once
      std::string chain;
      for (const auto& t : trail) chain += (chain.empty() ? "" : " -> ") + t;
      diag_.error(start.settings.value("to").mark, "flows." + start.name + ".to",
                  "flows form a cycle: " + chain + " (records would circle for ever)");
    }
  }

  YamlReader reader_;
  const std::vector<const ConnectorSpec*>& specs_;
  Diagnostics& diag_;
  HubConfig config_;
};

}  // namespace

HubConfig load_hub_config(const std::string& file, const std::vector<const ConnectorSpec*>& connector_specs) {
  Diagnostics diagnostics;
  HubConfig config = Loader(file, connector_specs, diagnostics).load();
  diagnostics.throw_if_any();
  return config;
}

}  // namespace synchub::config
