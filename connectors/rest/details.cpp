#include "connectors/rest/details.hpp"

#include <stdexcept>
#include <unordered_map>

#include "connectors/rest/api.hpp"
#include "connectors/rest/fields.hpp"
#include "connectors/rest/paging.hpp"
#include "mapping/json_writer.hpp"

namespace synchub::connectors::rest {
namespace {

using mapping::Document;
using mapping::JsonKind;

constexpr int kMaxPages = 100000;  // a server whose pages never end is a failure, not a hang

// A whole number from a JSON number or a numeric string; -1 otherwise.
int64_t count_of(const Document& doc, uint32_t at) {
  if (at == Document::npos) return -1;
  const std::string text = doc.scalar_text(at);
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos || text.size() > 18) return -1;
  return std::stoll(text);
}

// The details read the answer's total themselves (fewer rows than it says is a failure, not the
// end of the listing), so their paginator goes by the page size alone.
PagingSettings by_size_alone(PagingSettings paging) {
  paging.total_path.clear();
  return paging;
}

}  // namespace

DetailFetcher::DetailFetcher(std::shared_ptr<Api> api, const config::Settings& s)
    : api_(std::move(api)),
      headers_(s.map(field::stream::kHeaders)),
      path_(s.str_or(field::detail::kPath, "")),
      method_(s.str(field::detail::kMethod)),
      param_(s.str_or(field::detail::kParam, "")),
      body_(s.str_or(field::detail::kBody, "")),
      records_(s.str_or(field::detail::kRecords, "")),
      match_(s.str_or(field::detail::kMatch, "")),
      by_(s.str_or(field::detail::kBy, s.str(field::stream::kKey))),
      into_(s.str(field::detail::kInto)),
      count_(s.str_or(field::detail::kCount, "")),
      paging_(PagingSettings::from(s, field::detail::kPagination)),
      paginator_(make_paginator(by_size_alone(paging_))),
      fields_(s.list(field::detail::kFields)) {
  if (!path_.empty() && match_.empty())
    throw std::runtime_error("detail needs match (the detail field naming its master)");
  for (size_t c = 0; c < fields_.size(); ++c)
    if (fields_[c] == match_) match_column_ = c;
  if (!fields_.empty() && match_column_ == SIZE_MAX)
    throw std::runtime_error("detail.match '" + match_ + "' is none of detail.fields");
}

DetailFetcher::Page DetailFetcher::fetch_page(const std::string& keys_json, const std::string& keys_csv, int64_t page,
                                              const std::string& token) {
  Params params;
  if (!param_.empty()) params.emplace_back(param_, keys_csv);
  const PagePosition at{page, token};
  paginator_->add_params(at, params);
  const std::string body = fill_json(body_, {{"keys", keys_json},
                                             {"next", token.empty() ? "null" : json_string(token)},
                                             {"page", std::to_string(page)},
                                             {"offset", std::to_string(page)},
                                             {"size", std::to_string(paging_.size)}});
  const std::string what = "detail " + method_ + " " + path_;
  const std::string target = paginator_->target(api_->base_url(), at, path_ + query_string(params));
  HttpReply r = api_->send(method_, target, headers_, body);
  check_reply(r, what);
  if (std::string e = doc_.parse(r.body); !e.empty())
    throw std::runtime_error(what + ": the response is not JSON (" + e + ")");
  const uint32_t rows = doc_.find(doc_.root_index(), records_);
  if (rows == Document::npos || doc_.at(rows).kind != JsonKind::Array)
    throw std::runtime_error(what + ": no array at '" + records_ + "'");
  Page out;
  const size_t n = doc_.at(rows).count;
  uint32_t row = Document::first_child(rows);
  for (size_t i = 0; i < n; ++i, row = doc_.at(row).next) {
    uint32_t match = Document::npos;
    if (doc_.at(row).kind == JsonKind::Object) {
      match = doc_.find(row, match_);
    } else if (doc_.at(row).kind == JsonKind::Array && match_column_ < doc_.at(row).count) {
      match = Document::first_child(row);  // rows as arrays named by `fields`: the match column
      for (size_t c = 0; c < match_column_; ++c) match = doc_.at(match).next;
    }
    if (match == Document::npos) continue;  // names no master: none of the page's
    out.masters.push_back(doc_.scalar_text(match));
    out.rows.emplace_back();
    if (doc_.at(row).kind == JsonKind::Array)
      out.rows.back() = named_row(doc_, row, fields_);
    else
      mapping::write_node(out.rows.back(), doc_, row);
  }
  if (!paging_.total_path.empty()) out.total = count_of(doc_, doc_.find(doc_.root_index(), paging_.total_path));
  if (const auto next = paginator_->next(at, {doc_, r, n})) {
    out.more = true;
    out.next = next->token;
  }
  return out;
}

std::vector<std::string> DetailFetcher::attach(std::vector<SourceRecord>& records) {
  std::vector<std::string> problems(records.size());
  if (records.empty()) return problems;
  // Each master's key (the `by` field) and, when configured, how many details it says it has.
  std::vector<std::string> masters;
  std::vector<int64_t> expected;
  Document master;
  for (const auto& rec : records) {
    if (std::string e = master.parse(rec.value); !e.empty()) throw std::runtime_error("internal: " + e);
    const uint32_t by = master.find(master.root_index(), by_);
    masters.push_back(by == Document::npos ? "" : master.scalar_text(by));
    expected.push_back(count_.empty() ? -1 : count_of(master, master.find(master.root_index(), count_)));
  }
  std::string keys_json = "[", keys_csv;
  for (const auto& m : masters) {
    if (keys_json.size() > 1) {
      keys_json += ',';
      keys_csv += ',';
    }
    keys_json += json_string(m);
    keys_csv += m;
  }
  keys_json += "]";

  std::unordered_map<std::string, std::string> rows_of;  // master key -> its detail rows, comma-joined
  std::unordered_map<std::string, int64_t> count_of_master;
  int64_t received = 0, total = -1;
  int64_t page = paging_.first;
  std::string token;
  for (int pages = 0;; ++pages) {
    if (pages == kMaxPages)
      throw std::runtime_error("detail " + path_ + ": more than " + std::to_string(kMaxPages) + " pages");
    Page p = fetch_page(keys_json, keys_csv, page, token);
    for (size_t i = 0; i < p.rows.size(); ++i) {
      std::string& list = rows_of[p.masters[i]];
      if (!list.empty()) list += ',';
      list += p.rows[i];
      ++count_of_master[p.masters[i]];
    }
    received += static_cast<int64_t>(p.rows.size());
    if (p.total >= 0) total = std::max(total, p.total);
    // A page shorter than asked is the last, unless the answer's total says more: a server that
    // caps its pages silently is read on (by page number or offset) until the total came.
    const bool total_says_more = paging_.positional() && total > received && !p.rows.empty();
    if (!(p.more || total_says_more) || (total >= 0 && received >= total)) break;
    page = paging_.type == PagingType::Offset ? page + static_cast<int64_t>(p.rows.size()) : page + 1;
    token = p.next;
  }
  const std::string short_answer = total > received ? "the detail answer says it holds " + std::to_string(total) +
                                                          " rows, " + std::to_string(received) + " came"
                                                    : "";
  for (size_t i = 0; i < records.size(); ++i) {
    const auto it = rows_of.find(masters[i]);
    const int64_t got = it == rows_of.end() ? 0 : count_of_master[masters[i]];
    if (!short_answer.empty()) {
      problems[i] = "details incomplete: " + short_answer;
    } else if (expected[i] >= 0 && got != expected[i]) {
      problems[i] = "details incomplete: '" + count_ + "' says " + std::to_string(expected[i]) + ", " +
                    std::to_string(got) + " came";
    } else if (!count_.empty() && expected[i] < 0) {
      problems[i] = "details cannot be checked: '" + count_ + "' is not a whole number";
    }
    if (!problems[i].empty()) continue;
    std::string& value = records[i].value;
    value.pop_back();  // '}'
    if (value.size() > 1) value += ',';
    value += json_string(into_) + ":[" + (it == rows_of.end() ? "" : it->second) + "]}";
  }
  return problems;
}

}  // namespace synchub::connectors::rest
