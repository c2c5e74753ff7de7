// Source and sink streams of the `rest` connector.
#include <optional>
#include <thread>

#include "config/units.hpp"
#include "connectors/rest/api.hpp"
#include "connectors/rest/connector.hpp"
#include "mapping/json_writer.hpp"

namespace synchub::connectors::rest {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

std::string query_string(const Params& params) {
  std::string q;
  for (const auto& [name, value] : params) {
    q += q.empty() ? "?" : "&";
    q += config::url_encode(name) + "=" + config::url_encode(value);
  }
  return q;
}

// Link: <https://api/x?page=3>; rel="next" -> the URL of the next page.
std::string link_next(const std::string& header) {
  size_t pos = 0;
  while ((pos = header.find('<', pos)) != std::string::npos) {
    size_t close = header.find('>', pos);
    if (close == std::string::npos) return {};
    size_t end = header.find(',', close);
    std::string params = header.substr(close + 1, end == std::string::npos ? std::string::npos : end - close - 1);
    if (params.find("rel=\"next\"") != std::string::npos || params.find("rel=next") != std::string::npos)
      return header.substr(pos + 1, close - pos - 1);
    pos = close;
  }
  return {};
}

// Is (value, id) after (since, since_id)? Values compare as numbers when both
// are numbers, else as text (ISO-8601 timestamps sort as text).
int compare_cursor(const std::string& a, const std::string& b) {
  auto x = config::parse_int(a), y = config::parse_int(b);
  if (x && y) return *x < *y ? -1 : *x > *y;
  return a < b ? -1 : a > b;
}

// Transient: no answer, 408, 425, 429, 5xx. Permanent: other 4xx.
SinkResult failure_from(const HttpReply& r, const std::string& what) {
  if (r.status == 0) return SinkResult::failed(Failure::Transient, what + ": " + r.transport_error);
  std::string message = what + " answered HTTP " + std::to_string(r.status) + ": " + trimmed_body(r.body);
  long wait = retry_after_seconds(r.header("retry-after"));
  std::chrono::milliseconds retry_after{wait > 0 ? wait * 1000 : 0};
  if (r.status == 408 || r.status == 425 || r.status == 429 || r.status >= 500)
    return SinkResult::failed(Failure::Transient, message, retry_after);
  return SinkResult::failed(Failure::Permanent, message);
}

class RestSource final : public SourceStream {
 public:
  RestSource(std::shared_ptr<Api> api, const config::Settings& s)
      : api_(std::move(api)),
        method_(s.str("method")),
        path_(s.str("path")),
        query_(s.map("query")),
        headers_(s.map("headers")),
        body_(s.str_or("body", "")),
        records_(s.str_or("records", "")),
        key_(s.str("key")),
        paging_(s.str("pagination.type")),
        page_param_(s.str_or("pagination.param", paging_ == "offset"   ? "offset"
                                                 : paging_ == "cursor" ? "cursor"
                                                                       : "page")),
        size_param_(s.str_or("pagination.size_param", "")),
        size_(s.integer("pagination.size")),
        first_page_(s.integer("pagination.first")),
        next_path_(s.str_or("pagination.next", "next")),
        total_path_(s.str_or("pagination.total", "")),
        cursor_field_(s.str_or("cursor.field", "")),
        cursor_param_(s.str_or("cursor.param", "")),
        tiebreak_(s.str_or("cursor.tiebreak", "")),
        initial_(s.str_or("cursor.initial", "")),
        poll_(s.duration("poll_interval")) {}

  std::chrono::milliseconds poll_interval() const override { return poll_; }

  PullResult pull(const std::string& cursor_text, size_t) override {
    // The cursor: where the incremental field stands ("since" values) and
    // which page of the current listing comes next.
    Json cursor = cursor_text.empty() ? Json::object() : Json::parse(cursor_text, nullptr, false);
    if (!cursor.is_object()) cursor = Json::object();
    const std::string since = cursor.value("since", initial_), since_id = cursor.value("since_id", "");
    std::string max = cursor.value("max", since), max_id = cursor.value("max_id", since_id);

    Params params = query_;
    Params values{{"cursor", since}};
    for (auto& [name, value] : params) value = fill(value, values);
    if (!cursor_param_.empty() && !since.empty()) params.emplace_back(cursor_param_, since);
    std::string url_path = fill(path_, values);
    std::string next_url;
    if (paging_ == "page" || paging_ == "offset") {
      int64_t at = cursor.value("page", first_page_);
      params.emplace_back(page_param_, std::to_string(at));
      if (!size_param_.empty()) params.emplace_back(size_param_, std::to_string(size_));
    } else if (paging_ == "cursor" && cursor.contains("next")) {
      params.emplace_back(page_param_, cursor["next"].get<std::string>());
    } else if (paging_ == "link" && cursor.contains("next")) {
      next_url = cursor["next"].get<std::string>();
    }
    HttpReply r;
    if (!next_url.empty()) {
      // the server's own next link: relative to the base URL when it shares it
      std::string rel = next_url.rfind(api_->base_url(), 0) == 0 ? next_url.substr(api_->base_url().size()) : next_url;
      r = api_->send(method_, rel, headers_, fill(body_, values));
    } else {
      r = api_->send(method_, url_path + query_string(params), headers_, fill(body_, values));
    }
    if (r.status == 0) throw std::runtime_error("GET " + url_path + ": " + r.transport_error);
    if (r.status < 200 || r.status >= 300)
      throw std::runtime_error(method_ + " " + url_path + " answered HTTP " + std::to_string(r.status) + ": " +
                               trimmed_body(r.body));
    // Parsed exactly: amounts keep their digits (no double on the way).
    mapping::Document& doc = doc_;
    if (std::string e = doc.parse(r.body); !e.empty())
      throw std::runtime_error(method_ + " " + url_path + ": the response is not JSON (" + e + ")");
    using mapping::Document;
    using mapping::JsonKind;
    const uint32_t rows = doc.find(doc.root_index(), records_);
    if (rows == Document::npos || doc.at(rows).kind != JsonKind::Array)
      throw std::runtime_error(method_ + " " + url_path + ": no array at '" + records_ + "' in the response");
    const size_t row_count = doc.at(rows).count;

    PullResult out;
    uint32_t row = Document::first_child(rows);
    for (size_t i = 0; i < row_count; ++i, row = doc.at(row).next) {
      std::string position = url_path + "#" + std::to_string(i);
      std::string text;
      mapping::write_node(text, doc, row);
      if (doc.at(row).kind != JsonKind::Object) {
        out.rejects.push_back({position, "record is not a JSON object", text, {}});
        continue;
      }
      if (std::string e = key_problem(doc, row); !e.empty()) {
        out.rejects.push_back({position, e, text, {}});
        continue;
      }
      const uint32_t key = doc.find(row, key_);
      if (!cursor_field_.empty()) {
        const uint32_t v = doc.find(row, cursor_field_);
        std::string value = v == Document::npos ? "" : doc.scalar_text(v);
        std::string id;
        if (!tiebreak_.empty())
          if (uint32_t t = doc.find(row, tiebreak_); t != Document::npos) id = doc.scalar_text(t);
        // >= on the server, so rows at the same cursor value come again:
        // skip what was taken (value and id at or before the cursor).
        int c = compare_cursor(value, since);
        if (!since.empty() && (c < 0 || (c == 0 && (tiebreak_.empty() || compare_cursor(id, since_id) <= 0)))) continue;
        int m = compare_cursor(value, max);
        if (max.empty() || m > 0 || (m == 0 && compare_cursor(id, max_id) > 0)) {
          max = value;
          max_id = id;
        }
      }
      out.records.push_back({doc.scalar_text(key), std::move(text), position});
    }

    // Is there another page of this listing?
    bool more = false;
    Json next = cursor;
    if (paging_ == "page" || paging_ == "offset") {
      int64_t at = cursor.value("page", first_page_);
      const auto n = static_cast<int64_t>(row_count);
      more = n > 0 && (size_ <= 0 || n >= size_);
      if (uint32_t total = total_path_.empty() ? Document::npos : doc.find(doc.root_index(), total_path_);
          total != Document::npos && doc.at(total).kind == JsonKind::Number) {
        int64_t seen = paging_ == "offset" ? at + n : (at - first_page_ + 1) * std::max<int64_t>(size_, 1);
        more = more && seen < std::stoll(std::string(doc.at(total).text));
      }
      next["page"] = paging_ == "offset" ? at + n : at + 1;
    } else if (paging_ == "cursor") {
      const uint32_t token = doc.find(doc.root_index(), next_path_);
      const std::string value = token == Document::npos ? "" : doc.scalar_text(token);
      more = !value.empty() && row_count > 0;
      if (more) next["next"] = value;
    } else if (paging_ == "link") {
      std::string link = link_next(r.header("link"));
      more = !link.empty();
      if (more) next["next"] = link;
    }
    if (more) {
      next["max"] = max;
      next["max_id"] = max_id;
    } else {
      // Listing done: the next poll asks for what changed after the newest row seen.
      next = Json::object();
      if (!cursor_field_.empty()) {
        next["since"] = max;
        next["since_id"] = max_id;
      }
    }
    out.next_cursor = next.dump();
    out.more = more;
    return out;
  }

  std::string accept(const std::string& record_json, SourceRecord& out) const override {
    // Parsed exactly, and kept as written: a replayed record keeps its digits too.
    mapping::Document doc;
    if (std::string e = doc.parse(record_json); !e.empty()) return "invalid JSON: " + e;
    if (doc.root().kind != mapping::JsonKind::Object) return "expected a JSON object";
    if (std::string e = key_problem(doc, doc.root_index()); !e.empty()) return e;
    out = {doc.scalar_text(doc.find(doc.root_index(), key_)), record_json, "replay"};
    return {};
  }

 private:
  // "" when `row` has a usable key (any scalar but null), else why not.
  std::string key_problem(const mapping::Document& doc, uint32_t row) const {
    const uint32_t key = doc.find(row, key_);
    if (key == mapping::Document::npos) return "missing key '" + key_ + "'";
    const auto kind = doc.at(key).kind;
    if (kind == mapping::JsonKind::Null || kind == mapping::JsonKind::Object || kind == mapping::JsonKind::Array)
      return "missing key '" + key_ + "'";
    return {};
  }

  std::shared_ptr<Api> api_;
  std::string method_, path_;
  Params query_, headers_;
  std::string body_, records_, key_, paging_, page_param_, size_param_;
  int64_t size_, first_page_;
  std::string next_path_, total_path_, cursor_field_, cursor_param_, tiebreak_, initial_;
  std::chrono::milliseconds poll_;
  mapping::Document doc_;  // reused for every response
};

class RestSink final : public SinkStream {
 public:
  RestSink(std::shared_ptr<Api> api, const config::Settings& s)
      : api_(std::move(api)),
        mode_(s.str("write.mode")),
        create_method_(s.str("write.method")),
        create_path_(s.str("write.path")),
        update_method_(s.str("write.update_method")),
        update_path_(s.str_or("write.update_path", "")),
        lookup_path_(s.str_or("write.lookup_path", "")),
        lookup_records_(s.str_or("write.lookup_records", "")),
        id_path_(s.str("write.id")),
        headers_(s.map("headers")) {}

  std::vector<SinkResult> push(const Batch& batch) override {
    std::vector<SinkResult> results;
    results.reserve(batch.records.size());
    for (const auto& record : batch.records) {
      if (!results.empty() && results.back().retry_after.count() > 0) {
        // The target asked to wait (429/503 with Retry-After): send nothing
        // more until then; the runtime retries these after the wait.
        results.push_back(
            SinkResult::failed(Failure::Transient, "not sent: the target asked to wait", results.back().retry_after));
        continue;
      }
      results.push_back(write(record));
    }
    return results;
  }

 private:
  // Finds the target id of `key` with the lookup call: "" when absent, or a failure.
  std::optional<SinkResult> lookup(const std::string& key, std::string& target) {
    HttpReply r = api_->send("GET", fill(lookup_path_, {{"key", config::url_encode(key)}}), headers_, "");
    if (r.status < 200 || r.status >= 300) return failure_from(r, "lookup of " + key);
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
    if (can_look_up && target.empty())
      if (auto failed = lookup(key, target)) return *failed;
    if (mode_ == "update" && target.empty())
      return SinkResult::failed(Failure::Permanent, "update of " + key + ": the target has no id for it yet");
    bool update = !target.empty() && mode_ != "create" && !update_path_.empty();
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
      update = !update_path_.empty();
      if (update) r = send();
    }
    if (r.status < 200 || r.status >= 300) return failure_from(r, (update ? "update of " : "create of ") + key);
    SinkResult ok;
    ok.outcome = update ? Outcome::Updated : Outcome::Created;
    ok.target_id = target;
    Json answer = Json::parse(r.body, nullptr, false);
    if (!answer.is_discarded()) {
      if (const Json* id = find(answer, id_path_); id && !id->is_null()) ok.target_id = scalar_text(*id);
    }
    return ok;
  }

  std::shared_ptr<Api> api_;
  std::string mode_, create_method_, create_path_, update_method_, update_path_, lookup_path_, lookup_records_,
      id_path_;
  Params headers_;
};

}  // namespace

RestConnector::RestConnector(const config::ConnectorConfig& config) : api_(std::make_shared<Api>(config.settings)) {}
RestConnector::~RestConnector() = default;

std::unique_ptr<SourceStream> RestConnector::open_source(const config::StreamConfig& stream) {
  return std::make_unique<RestSource>(api_, stream.settings);
}

std::unique_ptr<SinkStream> RestConnector::open_sink(const config::StreamConfig& stream) {
  return std::make_unique<RestSink>(api_, stream.settings);
}

}  // namespace synchub::connectors::rest
