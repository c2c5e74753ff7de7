// Source streams of the `rest` connector: a listing request (query or JSON
// body template), pages followed by number, offset, token or Link header,
// an incremental cursor on a record field (ties broken by id, any time
// format, optional overlap), rows as objects or as arrays named by a field
// list, and details fetched by one more call per page.
#include <optional>
#include <set>
#include <unordered_map>

#include "config/units.hpp"
#include "connectors/rest/api.hpp"
#include "connectors/rest/cursor_order.hpp"
#include "connectors/rest/details.hpp"
#include "connectors/rest/paging.hpp"
#include "connectors/rest/streams.hpp"
#include "mapping/document.hpp"
#include "mapping/json_writer.hpp"

namespace synchub::connectors::rest {
namespace {

using mapping::Document;
using mapping::JsonKind;

std::set<std::string> id_set(const Json& ids) {
  std::set<std::string> out;
  if (ids.is_array())
    for (const auto& id : ids)
      if (id.is_string()) out.insert(id.get<std::string>());
  return out;
}

Json id_json(const std::set<std::string>& ids) {
  Json out = Json::array();
  for (const auto& id : ids) out.push_back(id);
  return out;
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
        fields_(s.list("fields")),
        paging_(s.str("pagination.type")),
        paging_in_query_(s.str("pagination.in") == "query"),
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
        order_(s.str("cursor.format"), s.str("cursor.time_zone")),
        overlap_(s.duration("cursor.overlap")),
        details_(api_, s),
        detail_attempts_(s.integer("detail.attempts")),
        poll_(s.duration("poll_interval")) {
    if (overlap_.count() > 0 && !order_.is_time())
      throw std::runtime_error("cursor.overlap needs a time cursor.format (iso, epoch_ms, epoch_s or a pattern)");
  }

  std::chrono::milliseconds poll_interval() const override { return poll_; }

  // One second early: a cursor compares "after", and re-reading is harmless (the ledger skips unchanged records).
  std::optional<std::string> cursor_at(int64_t epoch_ms) const override {
    if (!order_.is_time()) return std::nullopt;
    return Json{{"since", order_.format((epoch_ms - 1000) * 1000)}, {"since_seen", Json::array()}}.dump();
  }
  std::optional<int64_t> cursor_time_ms(const std::string& cursor_text) const override {
    // Within a listing "since" stays put while "max" follows the newest record read.
    Json cursor = Json::parse(cursor_text, nullptr, false);
    if (!order_.is_time() || !cursor.is_object()) return std::nullopt;
    const char* field = cursor.contains("max") ? "max" : "since";
    if (!cursor.contains(field) || !cursor[field].is_string()) return std::nullopt;
    auto at = order_.micros(cursor[field].get<std::string>());
    return at ? std::optional<int64_t>(*at / 1000) : std::nullopt;
  }

  bool reads_ahead() const override { return true; }  // GETs by cursor: nothing acts on it

  PullResult pull(const std::string& cursor_text, size_t) override {
    // The cursor: where the incremental field stands ("since" values) and
    // which page of the current listing comes next.
    Json cursor = cursor_text.empty() ? Json::object() : Json::parse(cursor_text, nullptr, false);
    if (!cursor.is_object()) cursor = Json::object();
    const std::string since = cursor.value("since", initial_), since_id = cursor.value("since_id", "");
    // The ids taken at `since` (rows sharing its value). A server lists such ties in an order of
    // its own (often the order of the updates, not of the ids), so what was taken is a set, not
    // "ids up to": a row of the tie listed later with a smaller id is not skipped. (A cursor of
    // an earlier version has only since_id: ids up to it, once.)
    const bool tie_as_set = cursor.contains("since_seen");
    const std::set<std::string> taken = id_set(cursor.value("since_seen", Json::array()));
    std::string max = cursor.value("max", since);
    std::set<std::string> max_seen = cursor.contains("max_seen") ? id_set(cursor["max_seen"]) : taken;
    // Within a listing read by key ranges (see below) "ask" is where the next range starts.
    const std::string ask = cursor.value("ask", since);
    const std::string asked = ask.empty() ? ask : order_.minus(ask, overlap_);
    const int64_t page = cursor.value("page", first_page_);
    const std::string token = cursor.value("next", "");

    Params params = query_;
    for (auto& [name, value] : params) value = fill(value, {{"cursor", asked}});
    if (!cursor_param_.empty() && !asked.empty()) params.emplace_back(cursor_param_, asked);
    const std::string url_path = fill(path_, {{"cursor", config::url_encode(asked)}});
    if (paging_in_query_) {
      if (paging_ == "page" || paging_ == "offset") {
        params.emplace_back(page_param_, std::to_string(page));
        if (!size_param_.empty()) params.emplace_back(size_param_, std::to_string(size_));
      } else if (paging_ == "cursor" && !token.empty()) {
        params.emplace_back(page_param_, token);
      }
    }
    const std::string body = fill_json(body_, {{"cursor", asked.empty() ? "null" : json_string(asked)},
                                               {"next", token.empty() ? "null" : json_string(token)},
                                               {"page", std::to_string(page)},
                                               {"offset", std::to_string(page)},
                                               {"size", std::to_string(size_)}});
    const std::string target =
        page_target(api_->base_url(), paging_ == "link" ? token : "", url_path + query_string(params));
    HttpReply r = api_->send(method_, target, headers_, body);
    check_reply(r, method_ + " " + url_path);
    // Parsed exactly: amounts keep their digits (no double on the way).
    Document& doc = doc_;
    if (std::string e = doc.parse(r.body); !e.empty())
      throw std::runtime_error(method_ + " " + url_path + ": the response is not JSON (" + e + ")");
    const uint32_t rows = doc.find(doc.root_index(), records_);
    if (rows == Document::npos || doc.at(rows).kind != JsonKind::Array)
      throw std::runtime_error(method_ + " " + url_path + ": no array at '" + records_ + "' in the response");
    const size_t row_count = doc.at(rows).count;

    PullResult out;
    // Whether this page came in cursor order, and the last row before its final run of equal values.
    bool ascending = true;
    std::optional<std::string> run_value;
    std::set<std::string> run_ids;  // ids of the final run of equal values
    std::string floor;
    bool has_floor = false, saw_asked = false;
    uint32_t row = Document::first_child(rows);
    for (size_t i = 0; i < row_count; ++i, row = doc.at(row).next) {
      std::string position = url_path + "#" + std::to_string(i);
      std::string text;
      const Document* rd = &doc;
      uint32_t at = row;
      if (doc.at(row).kind == JsonKind::Array && !fields_.empty()) {
        text = named_row(doc, row, fields_);
        if (std::string e = row_doc_.parse(text); !e.empty()) throw std::runtime_error("internal: " + e);
        rd = &row_doc_;
        at = row_doc_.root_index();
      } else {
        mapping::write_node(text, doc, row);
      }
      if (rd->at(at).kind != JsonKind::Object) {
        out.rejects.push_back(
            {position,
             fields_.empty() ? "record is not a JSON object" : "record is neither an object nor an array of values",
             text,
             {}});
        continue;
      }
      if (std::string e = key_problem(*rd, at); !e.empty()) {
        out.rejects.push_back({position, e, text, {}});
        continue;
      }
      if (!cursor_field_.empty()) {
        const uint32_t v = rd->find(at, cursor_field_);
        std::string value = v == Document::npos ? "" : rd->scalar_text(v);
        std::string id;
        if (!tiebreak_.empty())
          if (uint32_t t = rd->find(at, tiebreak_); t != Document::npos) id = rd->scalar_text(t);
        if (run_value && order_.compare(value, *run_value) != 0) {
          ascending = ascending && order_.compare(value, *run_value) > 0;
          floor = *run_value;
          run_ids.clear();
          has_floor = true;
        }
        run_value = value;
        run_ids.insert(id);
        saw_asked = saw_asked || (!asked.empty() && overlap_.count() == 0 && order_.compare(value, asked) == 0);
        // >= on the server, so rows at the same cursor value come again:
        // skip what was taken (value and id at or before the cursor). With an
        // overlap everything asked for passes (the ledger drops repeats).
        int c = order_.compare(value, since);
        if (!since.empty() && overlap_.count() == 0 &&
            (c < 0 || (c == 0 && (tiebreak_.empty() ||
                                  (tie_as_set ? taken.count(id) > 0 : compare_text_or_number(id, since_id) <= 0)))))
          continue;
        int m = order_.compare(value, max);
        if (max.empty() || m > 0) {
          max = value;
          max_seen = {id};
        } else if (m == 0) {
          max_seen.insert(id);
        }
      }
      out.records.push_back({rd->scalar_text(rd->find(at, key_)), std::move(text), position});
    }
    if (details_.enabled()) attach_details(out, cursor_text);

    // Is there another page of this listing?
    bool more = false;
    Json next = cursor;
    if (paging_ == "page" || paging_ == "offset") {
      const auto n = static_cast<int64_t>(row_count);
      more = n > 0 && (size_ <= 0 || n >= size_);
      if (uint32_t total = total_path_.empty() ? Document::npos : doc.find(doc.root_index(), total_path_);
          total != Document::npos && doc.at(total).kind == JsonKind::Number) {
        int64_t seen = paging_ == "offset" ? page + n : (page - first_page_ + 1) * std::max<int64_t>(size_, 1);
        more = more && seen < std::stoll(std::string(doc.at(total).text()));
      }
      next["page"] = paging_ == "offset" ? page + n : page + 1;
    } else if (paging_ == "cursor") {
      const uint32_t at = doc.find(doc.root_index(), next_path_);
      const std::string value = at == Document::npos ? "" : doc.scalar_text(at);
      more = !value.empty() && row_count > 0;
      if (more) next["next"] = value;
    } else if (paging_ == "link") {
      std::string link = link_next(r.header("link"));
      more = !link.empty();
      if (more) next["next"] = link;
    }
    if (more && !cursor_field_.empty()) {
      // A page number, an offset or a token is a position in the listing, and the listing moves
      // while it is read: a server that lists in cursor order moves a row changed meanwhile to its
      // end, and every row behind it one place forward, past the next position. So an ascending
      // listing goes on by key range instead: from the page's last value before its final run
      // (the run comes again; with a tiebreak its rows read are skipped, without one they come
      // twice and the ledger drops them), first page again.
      // Where the range starts: a server that answers ">= value" (it sent a row at the value asked,
      // or the stream has a tiebreak) from the final run's value; one answering "> value" from the
      // value before it. When that would ask the same again (a page of one value), the position
      // goes on, and the listing's end commits no further than this page's last row: the next
      // poll reads again from there, so a row that slid past the position is read then.
      const std::string next_ask = (!tiebreak_.empty() || saw_asked) ? run_value.value_or("") : floor;
      // The ids of the final run taken so far: this page's, and the earlier pages' when the run
      // goes on from where this listing started.
      std::set<std::string> run_taken = run_ids;
      if (run_value && order_.compare(*run_value, since) == 0) run_taken.insert(taken.begin(), taken.end());
      if (ascending && has_floor && next_ask != ask) {
        next.erase("page");
        next.erase("next");
        next.erase("since_id");
        next["ask"] = next_ask;
        next["since"] = tiebreak_.empty() ? floor : *run_value;
        next["since_seen"] = tiebreak_.empty() ? Json::array() : id_json(run_taken);
      } else if (ascending && run_value && !next.contains("recheck")) {
        std::string point = tiebreak_.empty() ? floor : *run_value;
        Json point_seen = tiebreak_.empty() ? Json::array() : id_json(run_taken);
        if (tiebreak_.empty() && !has_floor) point = since;  // without a tiebreak the run itself comes again
        // A listing that starts at that point again (a run of one value longer than a page) has
        // read again what the last one could have skipped; it goes on to its end, or it would
        // never pass the run.
        if (point != since || point_seen != id_json(taken)) {
          next["recheck"] = point;
          next["recheck_seen"] = point_seen;
        }
      }
    }
    if (more) {
      next["max"] = max;
      next["max_seen"] = id_json(max_seen);
    } else {
      // Listing done: the next poll asks for what changed after the newest row seen, or after
      // the last row before a position that may have skipped rows.
      const bool recheck = cursor.contains("recheck");
      next = Json::object();
      if (!cursor_field_.empty()) {
        next["since"] = recheck ? cursor["recheck"] : Json(max);
        next["since_seen"] = tiebreak_.empty() ? Json::array() : recheck ? cursor["recheck_seen"] : id_json(max_seen);
      }
    }
    out.next_cursor = next.dump();
    out.more = more;
    return out;
  }

  std::string accept(const std::string& record_json, SourceRecord& out) const override {
    // Parsed exactly, and kept as written: a replayed record keeps its digits too.
    Document doc;
    if (std::string e = doc.parse(record_json); !e.empty()) return "invalid JSON: " + e;
    if (doc.root().kind != JsonKind::Object) return "expected a JSON object";
    if (std::string e = key_problem(doc, doc.root_index()); !e.empty()) return e;
    out = {doc.scalar_text(doc.find(doc.root_index(), key_)), record_json, "replay"};
    // A master replayed without its details (they were incomplete when read) fetches them now.
    if (details_.enabled() && doc.find(doc.root_index(), details_.into()) == Document::npos) {
      std::vector<SourceRecord> one{out};
      try {
        if (std::string problem = details_.attach(one)[0]; !problem.empty()) return problem;
      } catch (const std::exception& e) {
        return e.what();
      }
      out = std::move(one[0]);
    }
    return {};
  }

 private:
  // Each record gets its details, or none goes out without them: a page whose details are not
  // complete is read again (the poller backs off), and after `detail.attempts` reads its
  // incomplete records are dead-lettered with the reason, the others go on.
  void attach_details(PullResult& out, const std::string& cursor_text) {
    std::vector<std::string> problems = details_.attach(out.records);
    size_t incomplete = 0;
    for (const auto& p : problems) incomplete += !p.empty();
    if (incomplete == 0) {
      detail_failures_.erase(cursor_text);
      return;
    }
    const int64_t tries = ++detail_failures_[cursor_text];
    if (tries < detail_attempts_)
      throw std::runtime_error(std::to_string(incomplete) + " record(s) of the page, read " + std::to_string(tries) +
                               " of " + std::to_string(detail_attempts_) + " times: " + first_of(problems));
    detail_failures_.erase(cursor_text);
    std::vector<SourceRecord> whole;
    for (size_t i = 0; i < out.records.size(); ++i) {
      if (problems[i].empty()) {
        whole.push_back(std::move(out.records[i]));
      } else {
        out.rejects.push_back(
            {out.records[i].position, problems[i], std::move(out.records[i].value), out.records[i].key});
      }
    }
    out.records = std::move(whole);
  }

  static std::string first_of(const std::vector<std::string>& problems) {
    for (const auto& p : problems)
      if (!p.empty()) return p;
    return {};
  }

  // "" when `row` has a usable key (any scalar but null), else why not.
  std::string key_problem(const Document& doc, uint32_t row) const {
    // Readers would disagree on such a record (the ledger reads the first, a downstream parser the last).
    if (std::string duplicate = doc.duplicate_key(row); !duplicate.empty()) return duplicate;
    const uint32_t key = doc.find(row, key_);
    if (key == Document::npos) return "missing key '" + key_ + "'";
    const auto kind = doc.at(key).kind;
    if (kind == JsonKind::Null || kind == JsonKind::Object || kind == JsonKind::Array)
      return "missing key '" + key_ + "'";
    return {};
  }

  std::shared_ptr<Api> api_;
  std::string method_, path_;
  Params query_, headers_;
  std::string body_, records_, key_;
  std::vector<std::string> fields_;
  std::string paging_;
  bool paging_in_query_;
  std::string page_param_, size_param_;
  int64_t size_, first_page_;
  std::string next_path_, total_path_, cursor_field_, cursor_param_, tiebreak_, initial_;
  CursorOrder order_;
  std::chrono::milliseconds overlap_;
  mutable DetailFetcher details_;  // accept() fetches a replayed master's details (on the poller's thread)
  int64_t detail_attempts_;
  std::unordered_map<std::string, int64_t> detail_failures_;  // page cursor -> reads with incomplete details
  std::chrono::milliseconds poll_;
  Document doc_;      // reused for every response
  Document row_doc_;  // a row built from an array of values
};

}  // namespace

std::unique_ptr<SourceStream> open_rest_source(std::shared_ptr<Api> api, const config::Settings& settings) {
  return std::make_unique<RestSource>(std::move(api), settings);
}

}  // namespace synchub::connectors::rest
