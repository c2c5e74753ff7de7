// A flow's options from its validated section: every default is the spec's
// (config/hub_config.cpp, flow_fields), filled in by the loader (xref.from and xref.to default to
// the flow's source and sink connectors).
#include "runtime/flow_runner.hpp"

namespace synchub::runtime {

FlowOptions FlowOptions::from(const config::HubConfig& config, const config::FlowConfig& flow) {
  const config::Settings& settings = flow.settings;
  FlowOptions options;
  options.name = flow.name;
  options.topic = config.topic(flow.from);
  options.sink_name = flow.to.str();
  options.batch_size = static_cast<size_t>(settings.integer("batch_size"));
  options.initial_backoff = settings.duration("retry.initial_backoff");
  options.max_backoff = settings.duration("retry.max_backoff");
  options.max_attempts = static_cast<int>(settings.integer("retry.max_attempts"));
  options.reference_attempts = static_cast<int>(settings.integer("retry.reference_attempts"));
  options.xref_entity = settings.str_or("xref.entity", "");  // optional: "" fills no cross-reference
  options.xref_from = settings.str("xref.from");
  options.xref_to = settings.str("xref.to");
  options.lineage = settings.map("lineage");
  return options;
}

}  // namespace synchub::runtime
