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
                {"updated", iso_time(d.updated_ms)}};
  // Input bytes may not be valid UTF-8 (that can be why it was rejected): dumped with `replace`.
  if (with_input) j["input"] = d.input;
  return j;
}

}  // namespace synchub::runtime
