// What every state store shares: dead-letter stages and lineage kinds as they are stored and shown.
#include "runtime/state/state_store.hpp"

#include <utility>

namespace synchub::runtime {

const char* stage_name(DeadLetterStage stage) {
  switch (stage) {
    case DeadLetterStage::Source: return "source";
    case DeadLetterStage::Mapping: return "mapping";
    case DeadLetterStage::Sink: return "sink";
  }
  return "sink";
}

DeadLetterStage parse_stage(const std::string& name) {
  if (name == "source") return DeadLetterStage::Source;
  if (name == "mapping") return DeadLetterStage::Mapping;
  return DeadLetterStage::Sink;
}

namespace {
constexpr std::pair<LineageKind, const char*> kLineageKinds[] = {
    {LineageKind::Written, "written"},
    {LineageKind::Unchanged, "unchanged"},
    {LineageKind::Skipped, "skipped"},
    {LineageKind::Failed, "failed"},
    {LineageKind::DeadLettered, "dead_lettered"},
    {LineageKind::Replayed, "replayed"},
    {LineageKind::ReplayFailed, "replay_failed"},
};
}  // namespace

const char* lineage_kind_name(LineageKind kind) {
  for (const auto& [k, name] : kLineageKinds)
    if (k == kind) return name;
  return "written";
}

LineageKind parse_lineage_kind(const std::string& name) {
  for (const auto& [k, text] : kLineageKinds)
    if (name == text) return k;
  return LineageKind::Written;
}

}  // namespace synchub::runtime
