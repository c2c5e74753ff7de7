// The hub config file (synchub.yaml): hub, bus, state, connectors, flows.
#pragma once

#include <string>
#include <vector>

#include "config/spec.hpp"

namespace synchub::config {

struct StreamConfig {
  std::string name;
  Settings settings;
  StreamRoles roles;
};

struct ConnectorConfig {
  std::string name;
  std::string type;
  Settings settings;
  std::vector<StreamConfig> streams;
  const StreamConfig* stream(const std::string& name) const;
};

// "connector.stream"
struct StreamRef {
  std::string connector;
  std::string stream;
  std::string str() const { return connector + "." + stream; }
};

struct FlowConfig {
  std::string name;
  StreamRef from;
  StreamRef to;
  Settings settings;
};

// Two systems compared record by record (`reconciliations:`): `source` is what should be there,
// `target` what is; `flow` (when one carries the records) tells what is still on its way.
struct ReconciliationConfig {
  std::string name;
  StreamRef source, target;
  std::string flow;
  Settings settings;  // source.*, target.*: the sides' settings (key, filter, time, fields...)
};

struct HubConfig {
  std::string file;
  Settings hub, bus, state, alerts;
  std::vector<ConnectorConfig> connectors;
  std::vector<FlowConfig> flows;
  std::vector<ReconciliationConfig> reconciliations;
  // Values read with a ${...} reference left as written (a ReferenceMode other than Resolve).
  std::vector<Reference> references;

  const ConnectorConfig* connector(const std::string& name) const;
  const StreamConfig* stream(const StreamRef& ref) const;
  const FlowConfig* flow(const std::string& name) const;
  const ReconciliationConfig* reconciliation(const std::string& name) const;
  // Topic a source stream publishes to: <topic_prefix><connector>.<stream>
  std::string topic(const StreamRef& ref) const;
};

// The declared sections, shared by the loader and the JSON Schema.
const std::vector<FieldSpec>& hub_fields();
const std::vector<FieldSpec>& bus_fields();
const std::vector<FieldSpec>& state_fields();
const std::vector<FieldSpec>& alert_fields();
const std::vector<FieldSpec>& flow_fields();
const std::vector<FieldSpec>& reconciliation_fields();

// A top-level section of synchub.yaml, for the JSON Schema and the reference docs.
struct SectionSpec {
  enum class Kind {
    Fields,      // one mapping of `fields` (hub, bus, state, alerts)
    Named,       // a mapping of names to entries of `fields` (flows)
    Connectors,  // names to connectors, each with the fields of its type's spec
  };
  std::string name;
  std::string description;
  Kind kind = Kind::Fields;
  const std::vector<FieldSpec>* fields = nullptr;  // Fields, Named
  std::string entry_description;                   // Named: what one entry is
  // Fields: a scalar that may stand for the mapping. One of `types` is `{type: <it>}` (bus:
  // kafka); text starting with `url_prefix` is `{type: url_type, url: <it>}` (state:
  // postgresql://...). None: the section is a mapping.
  struct Shorthand {
    std::vector<std::string> types;
    std::vector<std::string> url_prefixes;
    std::string url_type;
  } shorthand;
};
// Every top-level section, in the order a config is read.
const std::vector<SectionSpec>& hub_sections();

// Loads and validates; throws ConfigError listing every problem found. `references`: what becomes
// of a ${VAR} that is not set (an error unless told otherwise; see HubConfig::references).
HubConfig load_hub_config(const std::string& file, const std::vector<const ConnectorSpec*>& connector_specs,
                          ReferenceMode references = ReferenceMode::Resolve);
// Only what opening the state store needs (hub.data_dir, bus, state; no connectors, flows nor
// their secrets), for commands that read the state and nothing else (`synchub trace`). Throws
// ConfigError for problems in hub.data_dir or state only.
HubConfig load_state_config(const std::string& file);

}  // namespace synchub::config
