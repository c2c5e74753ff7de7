#include "runtime/admin/dead_letter_api.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "config/units.hpp"
#include "mapping/datetime.hpp"
#include "runtime/admin/dead_letter_json.hpp"
#include "runtime/base/log.hpp"

namespace synchub::runtime {

namespace {

using Json = nlohmann::ordered_json;

constexpr int kMaxSelection = 100000;  // entries one bulk request changes at most

http::HttpResponse reply(int status, const Json& body) {
  return http::HttpResponse::json(status, body.dump(-1, ' ', false, Json::error_handler_t::replace));
}

http::HttpResponse error(int status, const std::string& code, const std::string& message) {
  return reply(status, Json{{"error", code}, {"message", message}});
}

// "2024-03-01", "2024-03-01T00:00:00Z" (ISO-8601, UTC unless an offset is given) or epoch
// milliseconds; nullopt when neither.
std::optional<int64_t> since_ms(const std::string& text) {
  if (text.empty()) return 0;
  if (auto n = config::parse_int(text)) return *n;
  if (auto t = mapping::parse_datetime(text, "", mapping::TimeZone::utc())) return t->micros / 1000;
  return std::nullopt;
}

// A bulk request's body: {"ids": [..]} and/or a filter {"flow", "reason", "key"}; the query's
// ?flow= as before. The message of what is wrong, or "".
std::string read_selection(const http::HttpRequest& request, DeadLetterFilter& filter) {
  filter.flow = request.param("flow");
  if (request.body.find_first_not_of(" \t\r\n") == std::string::npos) return "";
  Json body = Json::parse(request.body, nullptr, false);
  if (!body.is_object())
    return "the body is a JSON object: {\"ids\": [1, 2]} or {\"flow\": .., \"reason\": .., \"key\": ..}";
  for (const auto& [name, value] : body.items()) {
    if (name == "ids") {
      if (!value.is_array()) return "ids: an array of dead-letter ids";
      for (const auto& id : value) {
        if (!id.is_number_integer()) return "ids: an array of dead-letter ids";
        filter.ids.push_back(id.get<int64_t>());
      }
      if (filter.ids.empty()) return "ids: empty (name at least one)";
    } else if (name == "flow" || name == "reason" || name == "key") {
      if (!value.is_string()) return name + ": a string";
      (name == "flow" ? filter.flow : name == "reason" ? filter.reason : filter.key_search) = value.get<std::string>();
    } else {
      return "unknown field '" + name + "' (known: ids, flow, reason, key)";
    }
  }
  return "";
}

bool known_status(const std::string& status) {
  for (const char* known : {"pending", "replaying", "replayed", "resolved", "discarded", "all"})
    if (status == known) return true;
  return false;
}

bool selects_something(const DeadLetterFilter& f) {
  return !f.ids.empty() || !f.flow.empty() || !f.reason.empty() || !f.key_search.empty();
}

}  // namespace

std::vector<Route> DeadLetterApi::routes() {
  using Request = http::HttpRequest;
  auto at = [](const PathParams& p, const char* name) { return p.find(name)->second; };
  return {
      {"GET", "/api/v1/dlq", Role::Viewer, [this](const Request& r, const PathParams&) { return list(r); },
       "dead letters (one entry per flow and key while pending, holding its newest input), paged by id; ?flow= "
       "&status= (pending; replaying, replayed, resolved, discarded or all) &key= (part of the key) &reason= &since= "
       "(ISO time or epoch ms) &after= (an id) &limit= (1 to "
       "1000, 50); &group_by=reason: counts per reason instead"},
      {"POST", "/api/v1/dlq/replay", Role::Operator,
       [this](const Request& r, const PathParams&) { return replay_selected(r); },
       "replay pending dead letters: every one, ?flow= a flow or its source stream, or a body {\"ids\": [..]} or "
       "{\"flow\", \"reason\", \"key\"}; answers the counts"},
      {"POST", "/api/v1/dlq/discard", Role::Operator,
       [this](const Request& r, const PathParams&) { return discard_selected(r); },
       "discard pending dead letters named by a body {\"ids\": [..]} or {\"flow\", \"reason\", \"key\"}; answers "
       "the counts"},
      {"GET", "/api/v1/dlq/{id}", Role::Viewer,
       [this, at](const Request&, const PathParams& p) { return one(at(p, "id")); },
       "one dead letter, with its input and its history (every input that failed, edits, replays)"},
      {"DELETE", "/api/v1/dlq/{id}", Role::Operator,
       [this, at](const Request& r, const PathParams& p) { return discard_one(r, at(p, "id")); },
       "discard a pending dead letter"},
      {"POST", "/api/v1/dlq/{id}/replay", Role::Operator,
       [this, at](const Request& r, const PathParams& p) { return replay_one(r, at(p, "id")); },
       "replay one pending dead letter (its newest input); a body {\"input\": \"<corrected record>\"} replaces the "
       "input first, recorded in its history"},
  };
}

bool DeadLetterApi::known_flow(const std::string& name) const {
  const auto all = board_.flows();
  return std::any_of(all.begin(), all.end(), [&](const FlowStatus& f) { return f.name == name || f.from == name; });
}

http::HttpResponse DeadLetterApi::list(const http::HttpRequest& request) {
  DeadLetterFilter filter;
  filter.flow = request.param("flow");
  // Pending entries unless asked (what an admin works through; as `synchub dlq list`); "all": every one.
  filter.status = request.param("status").empty() ? "pending" : request.param("status");
  if (!known_status(filter.status))
    return error(400, "bad_request", "status: pending, replaying, replayed, resolved, discarded or all");
  if (filter.status == "all") filter.status.clear();
  filter.key_search = request.param("key");
  filter.reason = request.param("reason");
  auto since = since_ms(request.param("since"));
  auto after = config::parse_int(request.param("after").empty() ? "0" : request.param("after"));
  auto limit = config::parse_int(request.param("limit").empty() ? "50" : request.param("limit"));
  const std::string group_by = request.param("group_by");
  if (!since || !after || !limit || *limit < 1 || *limit > 1000)
    return error(400, "bad_request", "since: ISO time or epoch ms; after: an id; limit: 1 to 1000");
  if (!group_by.empty() && group_by != "reason") return error(400, "bad_request", "group_by: reason (or none)");
  filter.since_ms = *since;
  filter.after_id = *after;
  filter.limit = static_cast<int>(*limit);
  if (group_by == "reason") {
    std::vector<DeadLetterGroup> groups;
    {
      std::lock_guard lock(state_mu_);
      groups = state_.dead_letter_reasons(filter);
    }
    Json list = Json::array();
    int64_t total = 0;
    for (const auto& g : groups) {
      total += g.count;
      list.push_back(Json{{"reason", g.reason},
                          {"count", g.count},
                          {"example_error", g.example_error},
                          {"newest_id", g.newest_id},
                          {"newest", iso_time(g.newest_ms)}});
    }
    return reply(200, Json{{"groups", list}, {"total", total}});
  }
  std::vector<DeadLetter> entries;
  {
    std::lock_guard lock(state_mu_);
    entries = state_.dead_letters(filter);
  }
  Json list = Json::array();
  for (const auto& d : entries) list.push_back(dead_letter_json<Json>(d, false));
  const bool full = static_cast<int64_t>(entries.size()) == *limit;
  return reply(200, Json{{"entries", list}, {"next_after", full ? Json(entries.back().id) : Json(nullptr)}});
}

http::HttpResponse DeadLetterApi::one(const std::string& id) {
  const auto number = config::parse_int(id);
  std::optional<DeadLetter> d;
  std::vector<DeadLetterEvent> history;
  if (number) {
    std::lock_guard lock(state_mu_);
    d = state_.dead_letter(*number);
    if (d) history = state_.dead_letter_history(*number);
  }
  if (!d) return error(404, "not_found", "no dead letter " + id);
  Json j = dead_letter_json<Json>(*d, true);
  Json items = Json::array();
  for (const auto& e : history) items.push_back(dead_letter_event_json<Json>(e));
  j["history"] = std::move(items);
  return reply(200, j);
}

// Replays what the selection names that is pending; what it names otherwise (unknown, replayed,
// resolved, discarded, already replaying) is counted as skipped.
http::HttpResponse DeadLetterApi::replay_selected(const http::HttpRequest& request) {
  DeadLetterFilter filter;
  if (std::string problem = read_selection(request, filter); !problem.empty())
    return error(400, "bad_request", problem);
  // A name that is no flow (nor a flow's source stream, whose rejects it holds) is a mistake to
  // say, not a replay of nothing.
  if (!filter.flow.empty() && !known_flow(filter.flow)) return error(404, "not_found", "no flow " + filter.flow);
  filter.status = "pending";
  filter.limit = kMaxSelection;
  const std::string who = caller_(request);
  int64_t requested = 0;
  {
    std::lock_guard lock(state_mu_);
    for (const auto& d : state_.dead_letters(filter)) requested += state_.request_replay(d.id, std::nullopt, who);
  }
  const int64_t skipped = filter.ids.empty() ? 0 : static_cast<int64_t>(filter.ids.size()) - requested;
  log_info("admin", {{"flow", filter.flow}, {"requested", std::to_string(requested)}, {"by", who}}, "replay requested");
  return reply(202, Json{{"requested", requested}, {"skipped", skipped}});
}

http::HttpResponse DeadLetterApi::discard_selected(const http::HttpRequest& request) {
  DeadLetterFilter filter;
  if (std::string problem = read_selection(request, filter); !problem.empty())
    return error(400, "bad_request", problem);
  if (!selects_something(filter))
    return error(400, "bad_request", "name what to discard: {\"ids\": [..]} or {\"flow\", \"reason\", \"key\"}");
  if (!filter.flow.empty() && !known_flow(filter.flow)) return error(404, "not_found", "no flow " + filter.flow);
  filter.status = "pending";
  filter.limit = kMaxSelection;
  const std::string who = caller_(request);
  int64_t discarded = 0;
  {
    std::lock_guard lock(state_mu_);
    for (const auto& d : state_.dead_letters(filter)) discarded += state_.discard(d.id, who);
  }
  const int64_t skipped = filter.ids.empty() ? 0 : static_cast<int64_t>(filter.ids.size()) - discarded;
  log_info("admin", {{"flow", filter.flow}, {"discarded", std::to_string(discarded)}, {"by", who}}, "discarded");
  return reply(200, Json{{"discarded", discarded}, {"skipped", skipped}});
}

http::HttpResponse DeadLetterApi::discard_one(const http::HttpRequest& request, const std::string& id) {
  const auto number = config::parse_int(id);
  std::lock_guard lock(state_mu_);
  if (!number || !state_.discard(*number, caller_(request)))
    return error(404, "not_found", "no pending dead letter " + id);
  return reply(200, Json{{"id", *number}, {"status", "discarded"}});
}

// A corrected input comes as a string (the record's JSON text as typed: every digit of an amount
// kept); a record a flow maps must be a JSON object, a source reject is checked by its source.
http::HttpResponse DeadLetterApi::replay_one(const http::HttpRequest& request, const std::string& id) {
  const auto number = config::parse_int(id);
  std::optional<std::string> corrected;
  if (request.body.find_first_not_of(" \t\r\n") != std::string::npos) {
    Json body = Json::parse(request.body, nullptr, false);
    if (!body.is_object() || body.size() != 1 || !body.contains("input") || !body["input"].is_string())
      return error(400, "bad_request", "the body is {\"input\": \"<the corrected record, as JSON text>\"}");
    corrected = body["input"].get<std::string>();
  }
  std::lock_guard lock(state_mu_);
  const auto entry = number ? state_.dead_letter(*number) : std::nullopt;
  if (!entry) return error(404, "not_found", "no pending dead letter " + id);
  if (corrected && entry->stage != DeadLetterStage::Source && !Json::parse(*corrected, nullptr, false).is_object())
    return error(400, "bad_request", "input: not a JSON object (the record the flow maps)");
  if (!state_.request_replay(*number, corrected, caller_(request)))
    return error(404, "not_found", "no pending dead letter " + id);
  return reply(202, Json{{"id", *number}, {"status", "replaying"}, {"edited", corrected.has_value()}});
}

}  // namespace synchub::runtime
