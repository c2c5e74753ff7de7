// What every state store shares: dead-letter stages as they are stored and shown.
#include "runtime/state/state_store.hpp"

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

}  // namespace synchub::runtime
