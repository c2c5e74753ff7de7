// A dead letter as JSON, for `synchub dlq` and the admin API.
#pragma once

#include <nlohmann/json.hpp>

#include "runtime/base/log.hpp"
#include "runtime/state/state_store.hpp"

namespace synchub::runtime {

template <class JsonType = nlohmann::json>
JsonType dead_letter_json(const DeadLetter& d, bool with_input) {
  JsonType j = {{"id", d.id},
                {"flow", d.flow},
                {"stage", stage_name(d.stage)},
                {"key", d.key},
                {"error", d.error},
                {"origin", d.origin},
                {"status", d.status},
                {"attempts", d.attempts},
                {"mapping_version", d.mapping_version},
                {"created", iso_time(d.created_ms)},
                {"updated", iso_time(d.updated_ms)},
                {"reason", d.reason},
                {"failures", d.attempts}};
  // Resolved by a later version of the key that landed: which (its origin, mapping version), when.
  if (d.status == "resolved")
    j["resolved"] = {{"by", d.resolved_by}, {"mapping_version", d.resolved_version}, {"time", iso_time(d.updated_ms)}};
  // Input bytes may not be valid UTF-8 (that can be why it was rejected): dumped with `replace`.
  if (with_input) j["input"] = d.input;
  return j;
}

// An entry's history item: a failure with its input, an edit (who, the input before and after), a
// replay that failed again, a discard.
template <class JsonType = nlohmann::json>
JsonType dead_letter_event_json(const DeadLetterEvent& e) {
  JsonType j = {{"kind", e.kind}, {"time", iso_time(e.time_ms)}};
  if (e.kind == "failed" || e.kind == "replay_failed") {
    j["input"] = e.input;
    j["error"] = e.error;
    j["mapping_version"] = e.mapping_version;
    j["origin"] = e.origin;
  }
  if (e.kind == "edited") {
    j["input_before"] = e.input_before;
    j["input"] = e.input;
  }
  if (!e.actor.empty()) j["by"] = e.actor;
  return j;
}

}  // namespace synchub::runtime
