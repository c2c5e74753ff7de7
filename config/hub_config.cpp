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

const StreamConfig* HubConfig::stream(const StreamRef& ref) const {
  const ConnectorConfig* c = connector(ref.connector);
  return c ? c->stream(ref.stream) : nullptr;
}

const ReconciliationConfig* HubConfig::reconciliation(const std::string& name) const {
  for (const auto& r : reconciliations)
    if (r.name == name) return &r;
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
  Loader(const std::string& file, const std::vector<const ConnectorSpec*>& specs, Diagnostics& d,
         ReferenceMode references = ReferenceMode::Resolve)
      : reader_(file, d, references), specs_(specs), diag_(d) {
    config_.file = file;
  }

  // state_only: the sections up to `state` (what opening the state store needs), nothing after.
  HubConfig load(bool state_only = false) {
    YAML::Node root = reader_.load();
    if (!diag_.empty()) return config_;
    Mark top{reader_.file(), 1, 1};
    if (!reader_.expect_map(root, "", top)) return config_;
    const std::vector<std::string> known = {"hub", "bus", "state", "alerts", "connectors", "flows", "reconciliations"};
    std::map<std::string, YAML::Node> sections;
    for (auto& [key, value, key_mark] : reader_.entries(root, "")) {
      if (std::find(known.begin(), known.end(), key) == known.end())
        diag_.error(key_mark, key, "unknown section '" + key + "'; " + suggest(key, known));
      else
        sections[key] = value;
    }
    read_section(sections, "hub", hub_fields(), config_.hub);
    report(check_hub, config_.hub, "hub", sections.count("hub") ? reader_.mark(sections["hub"]) : top);
    for (const auto& section : hub_sections()) expand_shorthand(sections, section);
    read_section(sections, "bus", bus_fields(), config_.bus);
    read_section(sections, "state", state_fields(), config_.state);
    if (config_.state.str("type") == "postgresql" && !config_.state.has("url"))
      diag_.error(config_.state.mark(), "state", "type postgresql needs url (postgresql://user:password@host:port/db)");
    read_section(sections, "alerts", alert_fields(), config_.alerts);
    if (config_.hub.has("data_dir")) {  // absent only when it was reported wrong
      const std::filesystem::path data_dir = config_.hub.str("data_dir");
      config_.bus.derive_default("path", (data_dir / "bus.db").string());
      config_.state.derive_default("path", (data_dir / "state.db").string());
    }
    if (state_only) return config_;
    if (sections.count("connectors")) read_connectors(sections["connectors"], root);
    if (sections.count("flows")) read_flows(sections["flows"], root);
    check_cycles();
    check_lineage();
    if (sections.count("reconciliations")) read_reconciliations(sections["reconciliations"], root);
    config_.references = reader_.kept_references();
    return config_;
  }

 private:
  Mark key_mark(const YAML::Node& parent, const std::string& key) {
    for (auto it = parent.begin(); it != parent.end(); ++it)
      if (it->first.IsScalar() && it->first.Scalar() == key) return reader_.mark(it->first);
    return reader_.mark(parent);
  }

  // `bus: kafka`, `state: postgresql://...`: the scalar becomes the mapping it stands for, with
  // the scalar's position; a scalar that is none of the section's shorthands is an error.
  void expand_shorthand(std::map<std::string, YAML::Node>& sections, const SectionSpec& section) {
    auto it = sections.find(section.name);
    if (it == sections.end() || !it->second.IsScalar()) return;
    const auto& shorthand = section.shorthand;
    if (shorthand.types.empty() && shorthand.url_prefixes.empty()) return;  // read_section reports it
    const std::string text = it->second.Scalar();
    YAML::Node expanded(YAML::NodeType::Map);
    if (std::find(shorthand.types.begin(), shorthand.types.end(), text) != shorthand.types.end()) {
      expanded["type"] = it->second;
    } else if (std::any_of(shorthand.url_prefixes.begin(), shorthand.url_prefixes.end(),
                           [&](const std::string& p) { return text.rfind(p, 0) == 0; })) {
      expanded["type"] = shorthand.url_type;
      expanded["url"] = it->second;
    } else {
      std::vector<std::string> forms = shorthand.types;
      for (const auto& p : shorthand.url_prefixes) forms.push_back(p + "...");
      std::string listed;
      for (const auto& f : forms) listed += (listed.empty() ? "" : ", ") + f;
      const bool secret_like = text.find("://") != std::string::npos;  // may hold a password
      diag_.error(
          reader_.mark(it->second), section.name,
          "expected a mapping or one of: " + listed + "; got " + (secret_like ? "<hidden>" : "\"" + text + "\""));
      sections.erase(it);
      return;
    }
    it->second = expanded;
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

  enum class Use { Read, Write, ReadWhole };

  // Resolves "connector.stream"; reports what is wrong with it.
  bool resolve(const Value& value, const std::string& path, Use use, StreamRef& out) {
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
    if (use == Use::Write && !stream->roles.sink) {
      diag_.error(value.mark, path, "stream '" + text + "' cannot be written to (it is not configured as a sink)");
      return false;
    }
    if (use == Use::ReadWhole && !stream->roles.source && !stream->roles.readable) {
      diag_.error(value.mark, path,
                  "stream '" + text + "' cannot be read (it is neither a source nor a folder of files)");
      return false;
    }
    if (use == Use::Read && !stream->roles.source) {
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
      bool ok = resolve(flow.settings.value("from"), path + ".from", Use::Read, flow.from);
      ok = resolve(flow.settings.value("to"), path + ".to", Use::Write, flow.to) && ok;
      if (!ok) continue;
      flow.settings.derive_default("xref.from", flow.from.connector);
      flow.settings.derive_default("xref.to", flow.to.connector);
      config_.flows.push_back(std::move(flow));
    }
  }

  void read_reconciliations(const YAML::Node& node, const YAML::Node& root) {
    if (!reader_.expect_map(node, "reconciliations", key_mark(root, "reconciliations"))) return;
    for (auto& [name, body, name_mark] : reader_.entries(node, "reconciliations")) {
      const std::string path = "reconciliations." + name;
      check_name(name, name_mark, path, "reconciliation");
      if (!reader_.expect_map(body, path, name_mark)) continue;
      ReconciliationConfig r;
      r.name = name;
      const size_t errors_before = diag_.list().size();
      reader_.read_fields(body, reconciliation_fields(), path, name_mark, r.settings);
      if (diag_.list().size() != errors_before) continue;
      bool ok = resolve(r.settings.value("source.stream"), path + ".source.stream", Use::ReadWhole, r.source);
      ok = resolve(r.settings.value("target.stream"), path + ".target.stream", Use::ReadWhole, r.target) && ok;
      if (!ok) continue;
      r.settings.derive_default("match.from", r.source.connector);
      r.settings.derive_default("match.to", r.target.connector);
      if (r.settings.str("match.by") == "xref" && !r.settings.has("match.entity"))
        diag_.error(r.settings.value("match.by").mark, path + ".match.entity",
                    "match by xref needs the entity (as in the flow's xref: {entity: ...})");
      if (!reconciliation_flow(r, path) || !check_reconciliation_names(r, path)) continue;
      config_.reconciliations.push_back(std::move(r));
    }
  }

  // The flow that carries the records: named, or the one flow from the source stream to the
  // target's connector. False when it was named wrong.
  bool reconciliation_flow(ReconciliationConfig& r, const std::string& path) {
    if (r.settings.has("flow")) {
      const Value& named = r.settings.value("flow");
      const FlowConfig* flow = config_.flow(named.text);
      if (!flow) {
        std::vector<std::string> names;
        for (const auto& f : config_.flows) names.push_back(f.name);
        diag_.error(named.mark, path + ".flow", "unknown flow '" + named.text + "'; " + suggest(named.text, names));
        return false;
      }
      if (flow->from.str() != r.source.str()) {
        diag_.error(named.mark, path + ".flow",
                    "flow '" + named.text + "' reads " + flow->from.str() + ", not the source " + r.source.str());
        return false;
      }
      r.flow = flow->name;
      return true;
    }
    const FlowConfig* found = nullptr;
    for (const auto& f : config_.flows) {
      if (f.from.str() != r.source.str() || f.to.connector != r.target.connector) continue;
      if (found) return true;  // more than one: none is assumed
      found = &f;
    }
    if (found) r.flow = found->name;
    return true;
  }

  // measures, compare and group_by name fields both sides can give; day and month need times.
  bool check_reconciliation_names(const ReconciliationConfig& r, const std::string& path) {
    const size_t errors_before = diag_.list().size();
    const bool timed = r.settings.has("source.time") && r.settings.has("target.time");
    for (const char* list : {"measures", "compare", "group_by"}) {
      if (!r.settings.has(list)) continue;
      const Value& names = r.settings.value(list);
      std::set<std::string> seen;
      for (const auto& n : names.list) {
        if (!seen.insert(n).second) diag_.error(names.mark, path + "." + list, "'" + n + "' is listed twice");
        const bool calendar = std::string(list) == "group_by" && (n == "day" || n == "month");
        if (calendar && !timed)
          diag_.error(names.mark, path + "." + list,
                      "grouping by " + n + " needs a time on both sides (source.time and target.time)");
        if (!calendar && !std::regex_match(n, std::regex("[A-Za-z_][A-Za-z0-9_]*")))
          diag_.error(names.mark, path + "." + list, "'" + n + "' is not a field name (letters, digits and _)");
      }
    }
    return diag_.list().size() == errors_before;
  }

  // A flow's `lineage:` names flows of this config.
  void check_lineage() {
    std::vector<std::string> names;
    for (const auto& f : config_.flows) names.push_back(f.name);
    for (const auto& f : config_.flows) {
      if (!f.settings.has("lineage")) continue;
      const Value& lineage = f.settings.value("lineage");
      for (const auto& [field, flow] : lineage.map)
        if (!config_.flow(flow))
          diag_.error(lineage.mark, "flows." + f.name + ".lineage." + field,
                      "unknown flow '" + flow + "'; " + suggest(flow, names));
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

HubConfig load_hub_config(const std::string& file, const std::vector<const ConnectorSpec*>& connector_specs,
                          ReferenceMode references) {
  Diagnostics diagnostics;
  HubConfig config = Loader(file, connector_specs, diagnostics, references).load();
  diagnostics.throw_if_any();
  return config;
}

HubConfig load_state_config(const std::string& file) {
  static const std::vector<const ConnectorSpec*> no_connectors;
  Diagnostics all, kept;
  HubConfig config = Loader(file, no_connectors, all).load(true);
  // What else is wrong (a connector's secret not set here, an unknown section) does not stop
  // reading the state.
  for (const auto& d : all.list())
    if (d.path.empty() || d.path == "state" || d.path.starts_with("state.") || d.path == "hub.data_dir")
      kept.error(d.mark, d.path, d.message);
  kept.throw_if_any();
  return config;
}

}  // namespace synchub::config
