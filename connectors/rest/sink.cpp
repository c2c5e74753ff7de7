// Sink streams of the `rest` connector: create, update or upsert one record
// per request, or many per request on a batch endpoint with one result per
// record; optional follow-up calls (submit, approve) with the saved id.
// Up to `concurrency` requests run at once in lanes: a key always goes to
// the same lane, so the writes of one key keep their order.
#include <atomic>
#include <functional>
#include <optional>
#include <thread>

#include "config/units.hpp"
#include "connectors/rest/api.hpp"
#include "connectors/rest/fields.hpp"
#include "connectors/rest/streams.hpp"
#include "mapping/document.hpp"
#include "mapping/json_writer.hpp"

namespace synchub::connectors::rest {

std::string step_problem(const std::string& text) {
  const size_t space = text.find(' ');
  const std::string method = text.substr(0, space);
  if (space == std::string::npos || method.empty() ||
      method.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string::npos || space + 1 >= text.size() ||
      text[space + 1] == ' ')
    return "expected \"METHOD path [body]\", got \"" + text + "\"";
  return {};
}

namespace {

using mapping::Document;
using mapping::JsonKind;

using ApiError = HttpReply::ApiError;

// Transient: no answer, 408, 425, 429, 5xx, in-body transient codes. Permanent: other 4xx, other in-body codes.
SinkResult failure_from(const HttpReply& r, const std::string& what) {
  std::chrono::milliseconds retry_after = asked_wait(r);
  if (r.status == 0) {
    if (r.not_sent) retry_after = std::chrono::seconds(std::max(1L, retry_after_seconds(r.header("retry-after"))));
    SinkResult failed = SinkResult::failed(Failure::Transient, what + ": " + r.transport_error, retry_after);
    failed.attempted = !r.not_sent;
    return failed;
  }
  if (r.status >= 200 && r.status < 300 && !r.api_error.empty())
    return SinkResult::failed(r.api_error_kind == ApiError::Transient || r.api_error_kind == ApiError::Relogin ||
                                      r.api_error_kind == ApiError::Unreadable
                                  ? Failure::Transient
                                  : Failure::Permanent,
                              what + " failed: " + r.api_error);
  std::string message = what + " answered HTTP " + std::to_string(r.status) + ": " + trimmed_body(r.body);
  if (transient_http_status(r.status)) return SinkResult::failed(Failure::Transient, message, retry_after);
  return SinkResult::failed(Failure::Permanent, message);
}

// The target refused a create because the record is there already: HTTP 409, or an in-body
// code listed in `errors.exists` (a duplicate bill number).
bool refused_as_existing(const HttpReply& r) {
  return r.status == 409 ||
         (r.status >= 200 && r.status < 300 && r.api_error_kind == ApiError::Exists && !r.api_error.empty());
}

// Where a multi-step write stopped: "<outcome of the save>:<steps done>", e.g. "created:1".
std::string resume_marker(Outcome saved, size_t steps_done) {
  return std::string(outcome_name(saved)) + ":" + std::to_string(steps_done);
}

std::optional<std::pair<Outcome, size_t>> parse_resume(std::string_view marker) {
  const size_t colon = marker.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const auto steps = config::parse_int(std::string(marker.substr(colon + 1)));
  if (!steps || *steps < 0) return std::nullopt;
  const std::string_view outcome = marker.substr(0, colon);
  for (Outcome o : {Outcome::Created, Outcome::Updated, Outcome::Unchanged})
    if (outcome == outcome_name(o)) return std::make_pair(o, static_cast<size_t>(*steps));
  return std::nullopt;
}

struct Step {
  std::string method, path, body;
};

// "POST /orders/{id}/submit {\"note\": {key}}" -> method, path, body template.
Step parse_step(const std::string& text) {
  if (std::string problem = step_problem(text); !problem.empty()) throw std::runtime_error("write.then: " + problem);
  Step step;
  size_t space = text.find(' ');
  step.method = text.substr(0, space);
  size_t path_end = text.find(' ', space + 1);
  step.path = text.substr(space + 1, path_end == std::string::npos ? std::string::npos : path_end - space - 1);
  if (path_end != std::string::npos) step.body = text.substr(path_end + 1);
  return step;
}

class RestSink final : public SinkStream {
 public:
  RestSink(std::shared_ptr<Api> api, const config::Settings& s)
      : api_(std::move(api)),
        mode_(s.str(field::write::kMode)),
        create_method_(s.str(field::write::kMethod)),
        create_path_(s.str_or(field::write::kPath, "")),
        update_method_(s.str(field::write::kUpdateMethod)),
        update_path_(s.str_or(field::write::kUpdatePath, "")),
        lookup_method_(s.str(field::write::kLookupMethod)),
        lookup_path_(s.str_or(field::write::kLookupPath, "")),
        lookup_body_(s.str_or(field::write::kLookupBody, "")),
        lookup_records_(s.str_or(field::write::kLookupRecords, "")),
        id_path_(s.str(field::write::kId)),
        lookup_fields_(s.list(field::write::kLookupFields)),
        lookup_id_(s.str_or(field::write::kLookupId, s.str(field::write::kId))),
        batch_path_(s.str_or(field::batch::kPath, "")),
        batch_method_(s.str(field::batch::kMethod)),
        batch_size_(static_cast<size_t>(s.integer(field::batch::kSize))),
        batch_wrap_(s.str_or(field::batch::kWrap, "")),
        batch_results_(s.str_or(field::batch::kResults, "")),
        batch_id_(s.str_or(field::batch::kId, s.str(field::write::kId))),
        batch_error_(s.str(field::batch::kError)),
        batch_status_(s.str_or(field::batch::kStatus, "")),
        headers_(s.map(field::stream::kHeaders)) {
    for (const auto& text : s.list(field::write::kThen)) steps_.push_back(parse_step(text));
  }

  std::vector<SinkResult> push(const Batch& batch) override {
    const size_t n = batch.records.size();
    std::vector<SinkResult> results = unsent_results(n);  // each slot filled by its lane
    const size_t requests = batch_path_.empty() ? n : (n + batch_size_ - 1) / batch_size_;
    const size_t lanes = std::max<size_t>(1, std::min<size_t>(api_->concurrency(), requests));
    std::vector<std::vector<size_t>> lane(lanes);
    for (size_t i = 0; i < n; ++i)
      lane[lanes == 1 ? 0 : std::hash<std::string_view>{}(batch.records[i].key) % lanes].push_back(i);
    std::atomic<int64_t> wait_ms{0};  // the target asked every lane to wait (Retry-After)
    auto run = [&](const std::vector<size_t>& mine) { run_lane(batch, mine, results, wait_ms); };
    std::vector<std::thread> threads;
    for (size_t l = 1; l < lanes; ++l) threads.emplace_back(run, std::cref(lane[l]));
    run(lane[0]);
    for (auto& t : threads) t.join();
    return results;
  }

 private:
  void run_lane(const Batch& batch, const std::vector<size_t>& mine, std::vector<SinkResult>& results,
                std::atomic<int64_t>& wait_ms) {
    size_t done = 0;
    try {
      while (done < mine.size()) {
        if (int64_t wait = wait_ms.load(); wait > 0) {
          // Send nothing more until then; the runtime retries these after the wait.
          for (; done < mine.size(); ++done) {
            results[mine[done]] = SinkResult::failed(Failure::Transient, "not sent: the target asked to wait",
                                                     std::chrono::milliseconds(wait));
            results[mine[done]].attempted = false;
          }
          break;
        }
        std::vector<size_t> chunk;
        if (const SinkRecord& next = batch.records[mine[done]]; !next.resume.empty() || batch_path_.empty()) {
          chunk.push_back(mine[done]);  // a write left part-way goes on alone, whatever the batch endpoint
          results[chunk[0]] = write(next);
        } else {
          while (done + chunk.size() < mine.size() && chunk.size() < batch_size_ &&
                 batch.records[mine[done + chunk.size()]].resume.empty())
            chunk.push_back(mine[done + chunk.size()]);
          write_batch(batch, chunk, results);
        }
        for (size_t i : chunk)
          if (results[i].retry_after.count() > 0) wait_ms.store(results[i].retry_after.count());
        done += chunk.size();
      }
    } catch (const std::exception& e) {  // authentication failed (login or token call refused, or down)
      const bool refused = dynamic_cast<const ConfigurationError*>(&e) != nullptr;
      for (; done < mine.size(); ++done)
        results[mine[done]] = SinkResult::failed(refused ? Failure::Configuration : Failure::Transient,
                                                 std::string("not sent: ") + e.what());
    }
  }

  // Finds the target id of `key` with the lookup call: "" when absent, or a failure.
  std::optional<SinkResult> lookup(const std::string& key, const std::string& record, std::string& target) {
    const std::string body = fill_json(lookup_body_, {{"key", json_string(key)}}, record_values(record, true));
    const std::string path = fill(lookup_path_, {{"key", config::url_encode(key)}}, record_values(record, false));
    HttpReply r = api_->send(lookup_method_, path, headers_, body);
    if (!r.ok()) return failure_from(r, "lookup of " + key);
    Json found = Json::parse(r.body, nullptr, false);
    if (found.is_discarded())  // a cut-off answer says nothing: creating now could duplicate
      return SinkResult::failed(Failure::Transient, "lookup of " + key + ": the answer is not JSON");
    const Json* rows = find(found, lookup_records_);
    Json first = rows && rows->is_array() ? (rows->empty() ? Json() : (*rows)[0]) : rows ? *rows : Json();
    if (first.is_array() && !lookup_fields_.empty()) {  // a row of values in lookup_fields order
      Json named = Json::object();
      for (size_t c = 0; c < std::min(first.size(), lookup_fields_.size()); ++c) named[lookup_fields_[c]] = first[c];
      first = std::move(named);
    }
    if (first.is_object())
      if (const Json* id = find(first, lookup_id_); id && !id->is_null()) target = scalar_text(*id);
    return std::nullopt;
  }

  // {record.PATH} in write templates: a value of the mapped record, as JSON (bodies) or URL text (paths).
  static Resolver record_values(const std::string& record, bool json) {
    auto parsed = std::make_shared<std::optional<Json>>();
    return [&record, json, parsed](const std::string& name) -> std::optional<std::string> {
      if (name.rfind("record.", 0) != 0) return std::nullopt;
      if (!*parsed) *parsed = Json::parse(record, nullptr, false);
      const Json* value = (*parsed)->is_discarded() ? nullptr : find(**parsed, name.substr(7));
      if (!value) return json ? "null" : "";
      return json ? value->dump() : config::url_encode(scalar_text(*value));
    };
  }

  SinkResult write(const SinkRecord& record) {
    const std::string key(record.key), body(record.value);
    std::string target(record.target_id);
    if (auto resumed = parse_resume(record.resume); resumed && !target.empty())
      return then_steps(key, body, saved(resumed->first, target), resumed->second);  // saved before: go on
    const bool can_look_up = !lookup_path_.empty();
    if (mode_ == "upsert" && can_look_up && target.empty()) {
      if (auto failed = lookup(key, body, target)) return *failed;
      if (!target.empty() && update_path_.empty())  // there already, nothing to update it with
        return then_steps(key, body, saved(Outcome::Unchanged, target), 0);
    }
    // An update path without {id} addresses the record by its key: no id needed.
    const bool by_key = update_path_.find("{id}") == std::string::npos;
    if (mode_ == "update" && target.empty() && !by_key)
      return SinkResult::failed(Failure::Permanent, "update of " + key + ": the target has no id for it yet");
    bool update = (!target.empty() || (mode_ == "update" && by_key)) && mode_ != "create" && !update_path_.empty();
    auto send = [&] {
      const Params values{{"key", config::url_encode(key)}, {"id", config::url_encode(target)}};
      return update
                 ? api_->send(update_method_, fill(update_path_, values, record_values(body, false)), headers_, body)
                 : api_->send(create_method_, fill(create_path_, values, record_values(body, false)), headers_, body);
    };
    HttpReply r = send();
    if (!update && refused_as_existing(r)) {
      // It is there already: an earlier create landed though its answer or its ledger entry was
      // lost (a cut connection, a crash). Adopt it: update it when updates are configured, then
      // go on with the follow-up steps.
      if (!can_look_up)
        return SinkResult::failed(Failure::Permanent, failure_from(r, "create of " + key).error +
                                                          " (set write.lookup_path to find and adopt it)");
      if (auto failed = lookup(key, body, target)) return *failed;
      if (target.empty())  // refused as existing, yet not found: the lookup may lag behind the write
        return SinkResult::failed(Failure::Transient,
                                  failure_from(r, "create of " + key).error + "; the lookup does not find it (yet)");
      if (update_path_.empty() || mode_ == "create") return then_steps(key, body, saved(Outcome::Unchanged, target), 0);
      update = true;
      r = send();
    }
    // A create whose answer cannot be read may have landed: the lookup below tells.
    const bool unreadable = r.api_error_kind == ApiError::Unreadable && !r.api_error.empty();
    if (!r.ok() && !(unreadable && !update && can_look_up))
      return failure_from(r, (update ? "update of " : "create of ") + key);
    SinkResult ok = saved(update ? Outcome::Updated : Outcome::Created, target);
    Document answer;
    if (answer.parse(r.body).empty())
      if (uint32_t id = answer.find(answer.root_index(), id_path_); id != Document::npos)
        if (std::string text = answer.scalar_text(id); !text.empty()) ok.target_id = text;
    if (ok.target_id.empty()) {
      // Done (2xx), but the answer does not say the id (cut off by a dropped connection, or an API
      // that gives none): the steps and the cross-reference need it, so it is looked up.
      const std::string what = (update ? "update of " : "create of ") + key;
      if (can_look_up) {
        if (auto failed = lookup(key, body, ok.target_id)) return *failed;
        if (ok.target_id.empty())
          return SinkResult::failed(Failure::Transient, what + " answered " + std::to_string(r.status) +
                                                            " without an id at '" + id_path_ +
                                                            "', and the lookup does not find it (yet)");
      } else if (!steps_.empty()) {
        return SinkResult::failed(Failure::Permanent,
                                  what + " answered " + std::to_string(r.status) + " without an id at '" + id_path_ +
                                      "' (" + trimmed_body(r.body).substr(0, 200) +
                                      "): the record may be there without its write.then steps; set "
                                      "write.lookup_path to find it");
      }
    }
    return then_steps(key, body, std::move(ok), 0);
  }

  static SinkResult saved(Outcome outcome, const std::string& target) { return SinkResult::landed(outcome, target); }

  // One request for `chunk`; the answer holds one result per record, in order.
  void write_batch(const Batch& batch, const std::vector<size_t>& chunk, std::vector<SinkResult>& results) {
    std::string body;
    if (!batch_wrap_.empty()) body = '{' + json_string(batch_wrap_) + ':';
    body += '[';
    for (size_t i = 0; i < chunk.size(); ++i) {
      if (i) body += ',';
      body += batch.records[chunk[i]].value;
    }
    body += batch_wrap_.empty() ? "]" : "]}";
    const std::string what =
        "batch of " + std::to_string(chunk.size()) + " (first " + std::string(batch.records[chunk[0]].key) + ")";
    HttpReply r = api_->send(batch_method_, batch_path_, headers_, body);
    if (!r.ok()) {
      const SinkResult failed = failure_from(r, what);
      for (size_t i : chunk) results[i] = failed;
      return;
    }
    Document doc;
    const std::string parse_error = doc.parse(r.body);
    const uint32_t list = parse_error.empty() ? doc.find(doc.root_index(), batch_results_) : Document::npos;
    if (list == Document::npos || doc.at(list).kind != JsonKind::Array || doc.at(list).count != chunk.size()) {
      // Cannot tell which records landed: all again (the batch endpoint upserts by key).
      const SinkResult failed =
          SinkResult::failed(Failure::Transient, what + ": expected " + std::to_string(chunk.size()) + " results at '" +
                                                     batch_results_ + "', got: " + trimmed_body(r.body));
      for (size_t i : chunk) results[i] = failed;
      return;
    }
    uint32_t item = Document::first_child(list);
    for (size_t i = 0; i < chunk.size(); ++i, item = doc.at(item).next) {
      const SinkRecord& record = batch.records[chunk[i]];
      results[chunk[i]] = batch_result(doc, item, record);
    }
  }

  SinkResult batch_result(const Document& doc, uint32_t item, const SinkRecord& record) {
    const std::string key(record.key);
    int status = 0;
    if (!batch_status_.empty())
      if (uint32_t at = doc.find(item, batch_status_); at != Document::npos)
        status = static_cast<int>(config::parse_int(doc.scalar_text(at)).value_or(0));
    std::string error;
    if (uint32_t at = doc.find(item, batch_error_); at != Document::npos) {
      const auto kind = doc.at(at).kind;
      if (kind == JsonKind::String || kind == JsonKind::Number)
        error = doc.scalar_text(at);
      else if (kind == JsonKind::Object || kind == JsonKind::Array)
        mapping::write_node(error, doc, at);
    }
    const std::string body(record.value);
    if (status == 409 && !lookup_path_.empty()) return adopt(key, body, error);
    if (!error.empty() || (status != 0 && (status < 200 || status >= 300))) {
      std::string message = "write of " + key + " in a batch failed" +
                            (status ? " (status " + std::to_string(status) + ")" : "") + ": " + trimmed_body(error);
      return SinkResult::failed(status && transient_http_status(status) ? Failure::Transient : Failure::Permanent,
                                std::move(message));
    }
    SinkResult ok = saved(status == 201            ? Outcome::Created
                          : status != 0            ? Outcome::Updated
                          : record.known_to_target ? Outcome::Updated
                                                   : Outcome::Created,
                          std::string(record.target_id));
    if (uint32_t id = doc.find(item, batch_id_); id != Document::npos)
      if (std::string text = doc.scalar_text(id); !text.empty()) ok.target_id = text;
    return then_steps(key, body, std::move(ok), 0);
  }

  // A record a batch refused as existing (409): found by the lookup, it stands as it is.
  SinkResult adopt(const std::string& key, const std::string& body, const std::string& error) {
    std::string target;
    if (auto failed = lookup(key, body, target)) return *failed;
    if (target.empty())
      return SinkResult::failed(Failure::Transient, "write of " + key + " in a batch was refused as existing (" +
                                                        trimmed_body(error) + "); the lookup does not find it (yet)");
    return then_steps(key, body, saved(Outcome::Unchanged, target), 0);
  }

  // Multi-step writes: submit / approve the saved record with its id, from step `from` on. A
  // step answered with an `errors.done` code was done already (its answer was lost). A step
  // that fails leaves where it stopped: the retry goes on from there (the runtime keeps it).
  SinkResult then_steps(const std::string& key, const std::string& body, SinkResult saved, size_t from) {
    for (size_t i = from; i < steps_.size(); ++i) {
      const Step& step = steps_[i];
      const Params in_path{{"id", config::url_encode(saved.target_id)}, {"key", config::url_encode(key)}};
      const Params in_body{{"id", json_string(saved.target_id)}, {"key", json_string(key)}};
      const std::string path = fill(step.path, in_path, record_values(body, false));
      HttpReply r = api_->send(step.method, path, headers_, fill_json(step.body, in_body, record_values(body, true)));
      if (r.ok() || (r.api_error_kind == ApiError::Done && !r.api_error.empty())) continue;
      SinkResult failed = failure_from(r, "step " + step.method + " " + path + " of " + key);
      failed.target_id = saved.target_id;
      failed.resume = resume_marker(saved.outcome(), i);
      return failed;
    }
    return saved;
  }

  std::shared_ptr<Api> api_;
  std::string mode_, create_method_, create_path_, update_method_, update_path_;
  std::string lookup_method_, lookup_path_, lookup_body_, lookup_records_, id_path_;
  std::vector<std::string> lookup_fields_;
  std::string lookup_id_;
  std::string batch_path_, batch_method_;
  size_t batch_size_;
  std::string batch_wrap_, batch_results_, batch_id_, batch_error_, batch_status_;
  Params headers_;
  std::vector<Step> steps_;
};

}  // namespace

std::unique_ptr<SinkStream> open_rest_sink(std::shared_ptr<Api> api, const config::Settings& settings) {
  return std::make_unique<RestSink>(std::move(api), settings);
}

}  // namespace synchub::connectors::rest
