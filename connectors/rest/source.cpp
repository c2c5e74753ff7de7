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
#include "connectors/rest/fields.hpp"
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

// What the committed cursor says: where the incremental field stands ("since" values) and where
// the current listing is.
struct Listing {
  Json cursor;  // as committed, an object
  std::string since, since_id;
  // The ids taken at `since` (rows sharing its value). A server lists such ties in an order of
  // its own (often the order of the updates, not of the ids), so what was taken is a set, not
  // "ids up to": a row of the tie listed later with a smaller id is not skipped. (A cursor of
  // an earlier version has only since_id: ids up to it, once.)
  bool tie_as_set = false;
  std::set<std::string> taken;
  // The newest cursor value read in this listing, and the ids read at it.
  std::string max;
  std::set<std::string> max_seen;
  // Within a listing read by key ranges (see go_on_by_key_range) "ask" is where the next range
  // starts; `asked` is what the request asks for (minus the overlap).
  std::string ask, asked;
  PagePosition page;
};

// The request for one page of a listing.
struct PageRequest {
  std::string url_path;  // the path asked, for messages and record positions
  std::string target;    // path and query, or the server's next link
  std::string body;
};

// The cursor values of a page's rows: whether they came in cursor order, and the last value
// before the page's final run of equal values.
struct PageOrder {
  bool ascending = true;
  std::optional<std::string> run_value;
  std::set<std::string> run_ids;  // ids of the final run of equal values
  std::string floor;
  bool has_floor = false;
  bool saw_asked = false;  // a row had the very value asked: the server answers ">= value"
};

class RestSource final : public SourceStream {
 public:
  RestSource(std::shared_ptr<Api> api, const config::Settings& s)
      : api_(std::move(api)),
        method_(s.str(field::stream::kMethod)),
        path_(s.str(field::stream::kPath)),
        query_(s.map(field::stream::kQuery)),
        headers_(s.map(field::stream::kHeaders)),
        body_(s.str_or(field::stream::kBody, "")),
        records_(s.str_or(field::stream::kRecords, "")),
        key_(s.str(field::stream::kKey)),
        fields_(s.list(field::stream::kFields)),
        paging_(PagingSettings::from(s, field::stream::kPagination)),
        paginator_(make_paginator(paging_)),
        paging_in_query_(s.str(field::stream::kPaginationIn) == "query"),
        cursor_field_(s.str_or(field::cursor::kField, "")),
        cursor_param_(s.str_or(field::cursor::kParam, "")),
        tiebreak_(s.str_or(field::cursor::kTiebreak, "")),
        initial_(s.str_or(field::cursor::kInitial, "")),
        cursor_order_(s.str(field::cursor::kFormat), s.str(field::cursor::kTimeZone)),
        overlap_(s.duration(field::cursor::kOverlap)),
        details_(api_, s),
        detail_attempts_(s.integer(field::detail::kAttempts)),
        poll_(s.duration(field::stream::kPollInterval)) {
    if (overlap_.count() > 0 && !cursor_order_.is_time())
      throw std::runtime_error("cursor.overlap needs a time cursor.format (iso, epoch_ms, epoch_s or a pattern)");
  }

  std::chrono::milliseconds poll_interval() const override { return poll_; }

  // One second early: a cursor compares "after", and re-reading is harmless (the ledger skips unchanged records).
  std::optional<std::string> cursor_at(int64_t epoch_ms) const override {
    if (!cursor_order_.is_time()) return std::nullopt;
    return Json{{"since", cursor_order_.format((epoch_ms - 1000) * 1000)}, {"since_seen", Json::array()}}.dump();
  }
  std::optional<int64_t> cursor_time_ms(const std::string& cursor_text) const override {
    // Within a listing "since" stays put while "max" follows the newest record read.
    Json cursor = Json::parse(cursor_text, nullptr, false);
    if (!cursor_order_.is_time() || !cursor.is_object()) return std::nullopt;
    const char* field = cursor.contains("max") ? "max" : "since";
    if (!cursor.contains(field) || !cursor[field].is_string()) return std::nullopt;
    auto at = cursor_order_.micros(cursor[field].get<std::string>());
    return at ? std::optional<int64_t>(*at / 1000) : std::nullopt;
  }

  bool reads_ahead() const override { return true; }  // GETs by cursor: nothing acts on it

  // Judged by "since", never "max": within a listing "max" is only the newest value read so far
  // (a listing not in cursor order, or a row moved past a page position, leaves rows below it
  // unread), while "since" is where the next listing starts, after what pull() skips as taken.
  std::optional<bool> changed_after(const SourceRecord& record, const std::string& cursor_text) const override {
    if (cursor_field_.empty()) return std::nullopt;
    Document doc;
    if (!doc.parse(record.value).empty() || doc.root().kind != JsonKind::Object) return std::nullopt;
    const uint32_t value = doc.find(doc.root_index(), cursor_field_);
    if (value == Document::npos) return std::nullopt;
    const JsonKind kind = doc.at(value).kind;
    if (kind == JsonKind::Null || kind == JsonKind::Object || kind == JsonKind::Array) return std::nullopt;
    std::string id;
    if (!tiebreak_.empty())
      if (const uint32_t t = doc.find(doc.root_index(), tiebreak_); t != Document::npos) id = doc.scalar_text(t);
    if (!judged_by_ || judged_by_->cursor_text != cursor_text) judged_by_ = {cursor_text, open_listing(cursor_text)};
    const Listing& listing = judged_by_->listing;
    const std::string at = doc.scalar_text(value);
    // With an overlap the next poll reads the stretch before "since" again, for rows committed
    // late with an older value; which rows of it were read is not kept, so it cannot tell.
    if (overlap_.count() > 0 && !listing.since.empty() && cursor_order_.compare(at, listing.since) < 0 &&
        cursor_order_.compare(at, cursor_order_.minus(listing.since, overlap_)) >= 0)
      return std::nullopt;
    return !taken(listing, at, id);
  }

  PullResult pull(const std::string& cursor_text, size_t) override {
    Listing listing = open_listing(cursor_text);
    const PageRequest request = page_request(listing);
    const HttpReply reply = api_->send(method_, request.target, headers_, request.body);
    check_reply(reply, method_ + " " + request.url_path);
    const uint32_t rows = records_array(reply, request.url_path);

    PullResult out;
    PageOrder order;
    read_records(rows, request.url_path, listing, order, out);
    if (details_.enabled()) attach_details(out, cursor_text);

    const std::optional<PagePosition> next_page = paginator_->next(listing.page, {doc_, reply, doc_.at(rows).count});
    out.more = next_page.has_value();
    out.next_cursor = next_cursor(listing, order, next_page).dump();
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
  Listing open_listing(const std::string& cursor_text) const {
    Listing l;
    l.cursor = cursor_text.empty() ? Json::object() : Json::parse(cursor_text, nullptr, false);
    if (!l.cursor.is_object()) l.cursor = Json::object();
    const Json& c = l.cursor;
    l.since = c.value("since", initial_);
    l.since_id = c.value("since_id", "");
    l.tie_as_set = c.contains("since_seen");
    l.taken = id_set(c.value("since_seen", Json::array()));
    l.max = c.value("max", l.since);
    l.max_seen = c.contains("max_seen") ? id_set(c.at("max_seen")) : l.taken;
    l.ask = c.value("ask", l.since);
    l.asked = l.ask.empty() ? l.ask : cursor_order_.minus(l.ask, overlap_);
    l.page = {c.value("page", paging_.first), c.value("next", "")};
    return l;
  }

  PageRequest page_request(const Listing& listing) const {
    const std::string& asked = listing.asked;
    Params params = query_;
    for (auto& [name, value] : params) value = fill(value, {{"cursor", asked}});
    if (!cursor_param_.empty() && !asked.empty()) params.emplace_back(cursor_param_, asked);
    if (paging_in_query_) paginator_->add_params(listing.page, params);
    PageRequest request;
    request.url_path = fill(path_, {{"cursor", config::url_encode(asked)}});
    request.body = fill_json(body_, {{"cursor", asked.empty() ? "null" : json_string(asked)},
                                     {"next", listing.page.token.empty() ? "null" : json_string(listing.page.token)},
                                     {"page", std::to_string(listing.page.page)},
                                     {"offset", std::to_string(listing.page.page)},
                                     {"size", std::to_string(paging_.size)}});
    request.target = paginator_->target(api_->base_url(), listing.page, request.url_path + query_string(params));
    return request;
  }

  // The answer parsed into doc_; where its array of records is.
  uint32_t records_array(const HttpReply& reply, const std::string& url_path) {
    // Parsed exactly: amounts keep their digits (no double on the way).
    if (std::string e = doc_.parse(reply.body); !e.empty())
      throw std::runtime_error(method_ + " " + url_path + ": the response is not JSON (" + e + ")");
    const uint32_t rows = doc_.find(doc_.root_index(), records_);
    if (rows == Document::npos || doc_.at(rows).kind != JsonKind::Array)
      throw std::runtime_error(method_ + " " + url_path + ": no array at '" + records_ + "' in the response");
    return rows;
  }

  void read_records(uint32_t rows, const std::string& url_path, Listing& listing, PageOrder& page_order,
                    PullResult& out) {
    const size_t row_count = doc_.at(rows).count;
    uint32_t row = Document::first_child(rows);
    for (size_t i = 0; i < row_count; ++i, row = doc_.at(row).next) {
      std::string position = url_path + "#" + std::to_string(i);
      std::string text;
      const Document* rd = &doc_;
      uint32_t at = row;
      if (doc_.at(row).kind == JsonKind::Array && !fields_.empty()) {
        text = named_row(doc_, row, fields_);
        if (std::string e = row_doc_.parse(text); !e.empty()) throw std::runtime_error("internal: " + e);
        rd = &row_doc_;
        at = row_doc_.root_index();
      } else {
        mapping::write_node(text, doc_, row);
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
      if (!cursor_field_.empty() && !take_by_cursor(*rd, at, listing, page_order)) continue;
      out.records.push_back({rd->scalar_text(rd->find(at, key_)), std::move(text), position});
    }
  }

  // Notes the row's cursor value in the page's order and in the listing's newest; false when the
  // row was taken already.
  bool take_by_cursor(const Document& rd, uint32_t at, Listing& l, PageOrder& page_order) const {
    const uint32_t v = rd.find(at, cursor_field_);
    std::string value = v == Document::npos ? "" : rd.scalar_text(v);
    std::string id;
    if (!tiebreak_.empty())
      if (uint32_t t = rd.find(at, tiebreak_); t != Document::npos) id = rd.scalar_text(t);
    if (page_order.run_value && cursor_order_.compare(value, *page_order.run_value) != 0) {
      page_order.ascending = page_order.ascending && cursor_order_.compare(value, *page_order.run_value) > 0;
      page_order.floor = *page_order.run_value;
      page_order.run_ids.clear();
      page_order.has_floor = true;
    }
    page_order.run_value = value;
    page_order.run_ids.insert(id);
    page_order.saw_asked = page_order.saw_asked ||
                           (!l.asked.empty() && overlap_.count() == 0 && cursor_order_.compare(value, l.asked) == 0);
    // >= on the server, so rows at the same cursor value come again:
    // skip what was taken (value and id at or before the cursor). With an
    // overlap everything asked for passes (the ledger drops repeats).
    if (overlap_.count() == 0 && taken(l, value, id)) return false;
    int m = cursor_order_.compare(value, l.max);
    if (l.max.empty() || m > 0) {
      l.max = value;
      l.max_seen = {id};
    } else if (m == 0) {
      l.max_seen.insert(id);
    }
    return true;
  }

  // Whether a row at cursor value `value` with tiebreak `id` is behind the cursor `l` stands at:
  // before its "since", or at it and taken there (without a tiebreak, every row at it: the
  // next listing skips them all).
  bool taken(const Listing& l, const std::string& value, const std::string& id) const {
    if (l.since.empty()) return false;
    const int c = cursor_order_.compare(value, l.since);
    if (c != 0) return c < 0;
    if (tiebreak_.empty()) return true;
    return l.tie_as_set ? l.taken.count(id) > 0 : compare_text_or_number(id, l.since_id) <= 0;
  }

  Json next_cursor(const Listing& l, const PageOrder& page_order, const std::optional<PagePosition>& next_page) const {
    if (!next_page) {
      // Listing done: the next poll asks for what changed after the newest row seen, or after
      // the last row before a position that may have skipped rows.
      const bool recheck = l.cursor.contains("recheck");
      Json next = Json::object();
      if (!cursor_field_.empty()) {
        next["since"] = recheck ? l.cursor.at("recheck") : Json(l.max);
        next["since_seen"] = tiebreak_.empty() ? Json::array()
                             : recheck         ? l.cursor.at("recheck_seen")
                                               : id_json(l.max_seen);
      }
      return next;
    }
    Json next = l.cursor;
    paginator_->save(*next_page, next);
    if (!cursor_field_.empty()) go_on_by_key_range(l, page_order, next);
    next["max"] = l.max;
    next["max_seen"] = id_json(l.max_seen);
    return next;
  }

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
  void go_on_by_key_range(const Listing& l, const PageOrder& page_order, Json& next) const {
    const auto& [ascending, run_value, run_ids, floor, has_floor, saw_asked] = page_order;
    const std::string next_ask = (!tiebreak_.empty() || saw_asked) ? run_value.value_or("") : floor;
    // The ids of the final run taken so far: this page's, and the earlier pages' when the run
    // goes on from where this listing started.
    std::set<std::string> run_taken = run_ids;
    if (run_value && cursor_order_.compare(*run_value, l.since) == 0) run_taken.insert(l.taken.begin(), l.taken.end());
    if (ascending && has_floor && next_ask != l.ask) {
      next.erase("page");
      next.erase("next");
      next.erase("since_id");
      next["ask"] = next_ask;
      next["since"] = tiebreak_.empty() ? floor : *run_value;
      next["since_seen"] = tiebreak_.empty() ? Json::array() : id_json(run_taken);
    } else if (ascending && run_value && !next.contains("recheck")) {
      std::string point = tiebreak_.empty() ? floor : *run_value;
      Json point_seen = tiebreak_.empty() ? Json::array() : id_json(run_taken);
      if (tiebreak_.empty() && !has_floor) point = l.since;  // without a tiebreak the run itself comes again
      // A listing that starts at that point again (a run of one value longer than a page) has
      // read again what the last one could have skipped; it goes on to its end, or it would
      // never pass the run.
      if (point != l.since || point_seen != id_json(l.taken)) {
        next["recheck"] = point;
        next["recheck_seen"] = point_seen;
      }
    }
  }

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

  [[nodiscard]] static std::string first_of(const std::vector<std::string>& problems) {
    for (const auto& p : problems)
      if (!p.empty()) return p;
    return {};
  }

  // "" when `row` has a usable key (any scalar but null), else why not.
  [[nodiscard]] std::string key_problem(const Document& doc, uint32_t row) const {
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
  PagingSettings paging_;
  std::unique_ptr<Paginator> paginator_;  // chosen once by pagination.type
  bool paging_in_query_;
  std::string cursor_field_, cursor_param_, tiebreak_, initial_;
  CursorOrder cursor_order_;
  std::chrono::milliseconds overlap_;
  mutable DetailFetcher details_;  // accept() fetches a replayed master's details (on the poller's thread)
  int64_t detail_attempts_;
  std::unordered_map<std::string, int64_t> detail_failures_;  // page cursor -> reads with incomplete details
  std::chrono::milliseconds poll_;
  // The committed cursor changed_after() was last asked about, read once for all the records.
  struct JudgedBy {
    std::string cursor_text;
    Listing listing;
  };
  mutable std::optional<JudgedBy> judged_by_;
  Document doc_;      // reused for every response
  Document row_doc_;  // a row built from an array of values
};

}  // namespace

std::unique_ptr<SourceStream> open_rest_source(std::shared_ptr<Api> api, const config::Settings& settings) {
  return std::make_unique<RestSource>(std::move(api), settings);
}

}  // namespace synchub::connectors::rest
