// A business document's path through the flows, as `synchub trace KEY` and
// GET /api/v1/trace/{key} show it (one JSON builder for both), read from the state store alone:
// for each flow that carried a record keyed KEY (or one the mapping keyed KEY in its target),
// every row of its lineage history (event, source position, mapping version, each write with its
// outcome and target id, failed attempts, dead letters, replays), its ledger entry and dead
// letters; then, breadth first, the documents it led to in other flows: records that name it by
// its key or a target id it was written under (their flow's `lineage:` fields).
#pragma once

#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "http/http_server.hpp"
#include "runtime/state/state_store.hpp"

namespace synchub::runtime {

struct TraceOptions {
  int depth = 4;             // links followed from the document asked for (0: none)
  int events_per_key = 500;  // each key's newest rows
  int max_documents = 50;    // (flow, key) documents shown
};

// {"key", "documents": [...], "truncated"}: documents is empty when the state has no lineage for
// `key` (never written, or older than state.lineage_retention).
nlohmann::ordered_json trace_json(StateStore& state, const std::string& key, const TraceOptions& options = {});

// What to say when there is no trace: "no lineage for KEY (...why there may be none)".
std::string no_lineage(const std::string& key);

// GET /api/v1/trace/{key}[?depth=0..10]: the trace (404 when there is none), read under `state_mu`.
http::HttpResponse trace_reply(StateStore& state, std::mutex& state_mu, const http::HttpRequest& request,
                               const std::string& key);

}  // namespace synchub::runtime
