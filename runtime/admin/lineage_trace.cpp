#include "runtime/admin/lineage_trace.hpp"

#include <algorithm>
#include <deque>
#include <set>
#include <utility>

#include "config/units.hpp"
#include "runtime/admin/dead_letter_json.hpp"
#include "runtime/base/log.hpp"

namespace synchub::runtime {

namespace {

using Json = nlohmann::ordered_json;

Json text_or_null(const std::string& text) {
  return text.empty() ? Json(nullptr) : Json(text);
}

Json time_or_null(int64_t ms) {
  return ms ? Json(iso_time(ms)) : Json(nullptr);
}

Json event_json(const LineageEvent& e) {
  return Json{{"id", e.id},
              {"time", iso_time(e.time_ms)},
              {"kind", lineage_kind_name(e.kind)},
              {"outcome", text_or_null(e.outcome)},
              {"target_id", text_or_null(e.target_id)},
              {"attempt", e.attempt},
              {"error", text_or_null(e.error)},
              {"origin", e.origin},
              {"position", text_or_null(e.position)},
              {"event_time", time_or_null(e.event_ms)},
              {"mapping_version", text_or_null(e.mapping_version)}};
}

// A record's rows in one flow: one document.
struct Document {
  std::string flow, key, target_key;
  std::vector<LineageEvent> events;
};

// The documents of a key's rows, one per flow and source key, in the order they first appear.
std::vector<Document> documents_of(std::vector<LineageEvent> events) {
  std::vector<Document> out;
  for (auto& e : events) {
    auto it =
        std::find_if(out.begin(), out.end(), [&](const Document& d) { return d.flow == e.flow && d.key == e.key; });
    if (it == out.end()) it = out.insert(out.end(), Document{e.flow, e.key, e.target_key, {}});
    if (!e.target_key.empty()) it->target_key = e.target_key;  // the latest
    it->events.push_back(std::move(e));
  }
  return out;
}

class Tracer {
 public:
  Tracer(StateStore& state, const TraceOptions& options) : state_(state), options_(options) {}

  Json run(const std::string& key) {
    Json documents = Json::array();
    queue_.push_back({key, 0, nullptr});
    keys_.insert(key);
    while (!queue_.empty()) {
      Pending next = std::move(queue_.front());
      queue_.pop_front();
      std::vector<LineageEvent> events = state_.lineage(next.key, options_.events_per_key + 1);
      if (static_cast<int>(events.size()) > options_.events_per_key) {  // one more than shown: older ones exist
        events.erase(events.begin());
        truncated_ = true;
      }
      for (auto& d : documents_of(std::move(events))) {
        // A record the mapping keyed `next.key` in its target was shown with it (and may be
        // reached again by its own key).
        if (!shown_.emplace(d.flow, d.key).second) continue;
        if (static_cast<int>(documents.size()) >= options_.max_documents) {
          truncated_ = true;
          break;
        }
        documents.push_back(document_json(d, next));
      }
    }
    return Json{{"key", key}, {"documents", std::move(documents)}, {"truncated", truncated_}};
  }

 private:
  struct Pending {
    std::string key;
    int depth = 0;
    Json via;  // the link that led here: the upstream document and the reference to it
  };

  Json document_json(const Document& d, const Pending& at) {
    const std::string ledger_key = d.target_key.empty() ? d.key : d.target_key;
    std::vector<std::string> refs = {d.key};  // what other flows' records may call it by
    if (!d.target_key.empty()) refs.push_back(d.target_key);
    Json events = Json::array();
    for (const auto& e : d.events) {
      events.push_back(event_json(e));
      if (!e.target_id.empty()) refs.push_back(e.target_id);
    }
    Json ledger = nullptr;
    if (auto entry = state_.ledger(d.flow, {ledger_key})[0]) {
      ledger = Json{{"target_id", entry->target_id},
                    {"content_hash", entry->content_hash},
                    {"mapping_version", entry->mapping_version},
                    {"updated", iso_time(entry->updated_ms)}};
      refs.push_back(entry->target_id);
    }
    Json named = Json::array();  // the documents of other flows its record names
    for (const auto& l : state_.lineage_links_from(d.key))
      if (l.flow == d.flow) named.push_back(Json{{"flow", l.upstream_flow}, {"ref", l.upstream_ref}});
    return Json{{"flow", d.flow},
                {"key", d.key},
                {"target_key", text_or_null(d.target_key)},
                {"depth", at.depth},
                {"via", at.via},
                {"ledger", std::move(ledger)},
                {"events", std::move(events)},
                {"dead_letters", dead_letters(d)},
                {"names", std::move(named)},
                {"led_to", led_to(d, refs, at.depth)}};
  }

  Json dead_letters(const Document& d) {
    Json out = Json::array();
    for (const auto& key : {d.key, d.target_key}) {
      if (key.empty()) continue;
      for (const auto& dl : state_.dead_letters({.flow = d.flow, .status = "", .key = key, .limit = 100}))
        out.push_back(dead_letter_json<Json>(dl, false));
    }
    return out;
  }

  // The records of other flows that name this document; their keys are traced next.
  Json led_to(const Document& d, std::vector<std::string> refs, int depth) {
    std::sort(refs.begin(), refs.end());
    refs.erase(std::unique(refs.begin(), refs.end()), refs.end());
    Json out = Json::array();
    for (const auto& l : state_.lineage_links_to(d.flow, refs, options_.max_documents)) {
      out.push_back(Json{{"flow", l.flow}, {"key", l.key}, {"ref", l.upstream_ref}});
      if (depth >= options_.depth || !keys_.insert(l.key).second) continue;
      queue_.push_back({l.key, depth + 1, Json{{"flow", d.flow}, {"key", d.key}, {"ref", l.upstream_ref}}});
    }
    return out;
  }

  StateStore& state_;
  const TraceOptions& options_;
  std::deque<Pending> queue_;
  std::set<std::string> keys_;                           // traced or queued: a key is traced once (links may loop)
  std::set<std::pair<std::string, std::string>> shown_;  // documents (flow, key) in the answer
  bool truncated_ = false;
};

}  // namespace

std::string no_lineage(const std::string& key) {
  return "no lineage for " + key + " (never read by a flow, or older than the state's lineage_retention)";
}

Json trace_json(StateStore& state, const std::string& key, const TraceOptions& options) {
  return Tracer(state, options).run(key);
}

http::HttpResponse trace_reply(StateStore& state, std::mutex& state_mu, const http::HttpRequest& request,
                               const std::string& key) {
  auto reply = [](int status, const Json& body) {
    return http::HttpResponse::json(status, body.dump(-1, ' ', false, Json::error_handler_t::replace));
  };
  TraceOptions options;
  if (request.has_param("depth")) {
    const auto depth = config::parse_int(request.param("depth"));
    if (!depth || *depth < 0 || *depth > 10)
      return reply(400, Json{{"error", "bad_request"}, {"message", "depth: 0 to 10"}});
    options.depth = static_cast<int>(*depth);
  }
  Json trace;
  {
    std::lock_guard lock(state_mu);
    trace = trace_json(state, key, options);
  }
  if (trace["documents"].empty()) return reply(404, Json{{"error", "not_found"}, {"message", no_lineage(key)}});
  return reply(200, trace);
}

}  // namespace synchub::runtime
