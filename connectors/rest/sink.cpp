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
#include "connectors/rest/streams.hpp"
#include "mapping/document.hpp"
#include "mapping/json_writer.hpp"

namespace synchub::connectors::rest {
namespace {

using mapping::Document;
using mapping::JsonKind;

bool transient_status(int status) {
  return status == 408 || status == 425 || status == 429 || status >= 500;
}

// Transient: no answer, 408, 425, 429, 5xx, in-body transient codes. Permanent: other 4xx, other in-body codes.
SinkResult failure_from(const HttpReply& r, const std::string& what) {
  if (r.status == 0) return SinkResult::failed(Failure::Transient, what + ": " + r.transport_error);
  if (r.status >= 200 && r.status < 300 && !r.api_error.empty())
    return SinkResult::failed(r.api_error_transient ? Failure::Transient : Failure::Permanent,
                              what + " failed: " + r.api_error);
  std::string message = what + " answered HTTP " + std::to_string(r.status) + ": " + trimmed_body(r.body);
  long wait = retry_after_seconds(r.header("retry-after"));
  std::chrono::milliseconds retry_after{wait > 0 ? wait * 1000 : 0};
  if (transient_status(r.status)) return SinkResult::failed(Failure::Transient, message, retry_after);
  return SinkResult::failed(Failure::Permanent, message);
}

struct Step {
  std::string method, path, body;
};

// "POST /orders/{id}/submit {\"note\": {key}}" -> method, path, body template.
Step parse_step(const std::string& text) {
  Step step;
  size_t space = text.find(' ');
  step.method = text.substr(0, space);
  if (space == std::string::npos || step.method.empty() ||
      step.method.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string::npos)
    throw std::runtime_error("write.then: expected \"METHOD path [body]\", got \"" + text + "\"");
  size_t path_end = text.find(' ', space + 1);
  step.path = text.substr(space + 1, path_end == std::string::npos ? std::string::npos : path_end - space - 1);
  if (path_end != std::string::npos) step.body = text.substr(path_end + 1);
  return step;
}

class RestSink final : public SinkStream {
 public:
  RestSink(std::shared_ptr<Api> api, const config::Settings& s)
      : api_(std::move(api)),
        mode_(s.str("write.mode")),
        create_method_(s.str("write.method")),
        create_path_(s.str_or("write.path", "")),
        update_method_(s.str("write.update_method")),
        update_path_(s.str_or("write.update_path", "")),
        lookup_path_(s.str_or("write.lookup_path", "")),
        lookup_records_(s.str_or("write.lookup_records", "")),
        id_path_(s.str("write.id")),
        batch_path_(s.str_or("write.batch.path", "")),
        batch_method_(s.str("write.batch.method")),
        batch_size_(static_cast<size_t>(s.integer("write.batch.size"))),
        batch_wrap_(s.str_or("write.batch.wrap", "")),
        batch_results_(s.str_or("write.batch.results", "")),
        batch_id_(s.str_or("write.batch.id", s.str("write.id"))),
        batch_error_(s.str("write.batch.error")),
        batch_status_(s.str_or("write.batch.status", "")),
        headers_(s.map("headers")) {
    for (const auto& text : s.list("write.then")) steps_.push_back(parse_step(text));
  }

  std::vector<SinkResult> push(const Batch& batch) override {
    const size_t n = batch.records.size();
    std::vector<SinkResult> results(n);
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
          for (; done < mine.size(); ++done)
            results[mine[done]] = SinkResult::failed(Failure::Transient, "not sent: the target asked to wait",
                                                     std::chrono::milliseconds(wait));
          break;
        }
        const size_t take = batch_path_.empty() ? 1 : std::min(batch_size_, mine.size() - done);
        std::vector<size_t> chunk(mine.begin() + static_cast<long>(done),
                                  mine.begin() + static_cast<long>(done + take));
        if (batch_path_.empty())
          results[chunk[0]] = write(batch.records[chunk[0]]);
        else
          write_batch(batch, chunk, results);
        for (size_t i : chunk)
          if (results[i].retry_after.count() > 0) wait_ms.store(results[i].retry_after.count());
        done += take;
      }
    } catch (const std::exception& e) {  // authentication failed (login or token call refused)
      for (; done < mine.size(); ++done)
        results[mine[done]] = SinkResult::failed(Failure::Transient, std::string("not sent: ") + e.what());
    }
  }

  // Finds the target id of `key` with the lookup call: "" when absent, or a failure.
  std::optional<SinkResult> lookup(const std::string& key, std::string& target) {
    HttpReply r = api_->send("GET", fill(lookup_path_, {{"key", config::url_encode(key)}}), headers_, "");
    if (!r.ok()) return failure_from(r, "lookup of " + key);
    Json found = Json::parse(r.body, nullptr, false);
    if (found.is_discarded())  // a cut-off answer says nothing: creating now could duplicate
      return SinkResult::failed(Failure::Transient, "lookup of " + key + ": the answer is not JSON");
    const Json* rows = find(found, lookup_records_);
    const Json* hit = rows && rows->is_array() ? (rows->empty() ? nullptr : &(*rows)[0]) : rows;
    if (hit && hit->is_object())
      if (const Json* id = find(*hit, id_path_); id && !id->is_null()) target = scalar_text(*id);
    return std::nullopt;
  }

  SinkResult write(const SinkRecord& record) {
    const std::string key(record.key), body(record.value);
    std::string target(record.target_id);
    const bool can_look_up = mode_ == "upsert" && !lookup_path_.empty();
    if (can_look_up && target.empty()) {
      if (auto failed = lookup(key, target)) return *failed;
      if (!target.empty() && update_path_.empty()) return exists(key, target);
    }
    // An update path without {id} addresses the record by its key: no id needed.
    const bool by_key = update_path_.find("{id}") == std::string::npos;
    if (mode_ == "update" && target.empty() && !by_key)
      return SinkResult::failed(Failure::Permanent, "update of " + key + ": the target has no id for it yet");
    bool update = (!target.empty() || (mode_ == "update" && by_key)) && mode_ != "create" && !update_path_.empty();
    auto send = [&] {
      const Params values{{"key", config::url_encode(key)}, {"id", config::url_encode(target)}};
      return update ? api_->send(update_method_, fill(update_path_, values), headers_, body)
                    : api_->send(create_method_, fill(create_path_, values), headers_, body);
    };
    HttpReply r = send();
    if (r.status == 409 && !update && can_look_up) {
      // It exists after all (an earlier create landed though its answer was
      // lost, and HTTP clients resend on a dead connection): update it.
      if (auto failed = lookup(key, target)) return *failed;
      if (target.empty()) return failure_from(r, "create of " + key);
      if (update_path_.empty()) return exists(key, target);
      update = true;
      r = send();
    }
    if (!r.ok()) return failure_from(r, (update ? "update of " : "create of ") + key);
    SinkResult ok;
    ok.outcome = update ? Outcome::Updated : Outcome::Created;
    ok.target_id = target;
    Document answer;
    if (answer.parse(r.body).empty())
      if (uint32_t id = answer.find(answer.root_index(), id_path_); id != Document::npos)
        if (std::string text = answer.scalar_text(id); !text.empty()) ok.target_id = text;
    return then_steps(key, std::move(ok));
  }

  // Found in the target, with nothing configured to update it with (e.g. an
  // approval request that was raised already): it stands as it is.
  SinkResult exists(const std::string& key, const std::string& target) {
    SinkResult ok;
    (void)key;
    ok.outcome = Outcome::Unchanged;
    ok.target_id = target;
    return ok;  // no follow-up steps: they ran when it was saved
  }

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
    if (!error.empty() || (status != 0 && (status < 200 || status >= 300))) {
      std::string message = "write of " + key + " in a batch failed" +
                            (status ? " (status " + std::to_string(status) + ")" : "") + ": " + trimmed_body(error);
      return SinkResult::failed(status && transient_status(status) ? Failure::Transient : Failure::Permanent,
                                std::move(message));
    }
    SinkResult ok;
    ok.outcome = status == 201            ? Outcome::Created
                 : status != 0            ? Outcome::Updated
                 : record.known_to_target ? Outcome::Updated
                                          : Outcome::Created;
    ok.target_id = std::string(record.target_id);
    if (uint32_t id = doc.find(item, batch_id_); id != Document::npos)
      if (std::string text = doc.scalar_text(id); !text.empty()) ok.target_id = text;
    return then_steps(key, std::move(ok));
  }

  // Multi-step writes: submit / approve the saved record with its id.
  SinkResult then_steps(const std::string& key, SinkResult saved) {
    for (const Step& step : steps_) {
      const Params in_path{{"id", config::url_encode(saved.target_id)}, {"key", config::url_encode(key)}};
      const Params in_body{{"id", json_string(saved.target_id)}, {"key", json_string(key)}};
      HttpReply r = api_->send(step.method, fill(step.path, in_path), headers_, fill(step.body, in_body));
      if (!r.ok()) {
        SinkResult failed = failure_from(r, "step " + step.method + " " + fill(step.path, in_path) + " of " + key);
        failed.target_id = saved.target_id;  // saved already: a retry updates it
        return failed;
      }
    }
    return saved;
  }

  std::shared_ptr<Api> api_;
  std::string mode_, create_method_, create_path_, update_method_, update_path_, lookup_path_, lookup_records_,
      id_path_;
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
