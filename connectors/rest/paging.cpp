#include "connectors/rest/paging.hpp"

#include <algorithm>
#include <stdexcept>

#include "config/spec.hpp"
#include "config/units.hpp"
#include "connectors/connector.hpp"
#include "connectors/rest/fields.hpp"
#include "mapping/document.hpp"

namespace synchub::connectors::rest {
namespace {

using mapping::Document;
using mapping::JsonKind;

PagingType paging_type(const std::string& name) {
  if (name == "page") return PagingType::Page;
  if (name == "offset") return PagingType::Offset;
  if (name == "cursor") return PagingType::Cursor;
  if (name == "link") return PagingType::Link;
  return PagingType::None;
}

// Without a `param`, each type's own name for it.
const char* default_param(PagingType type) {
  switch (type) {
    case PagingType::Offset: return "offset";
    case PagingType::Cursor: return "cursor";
    default: return "page";
  }
}

// Page numbers and offsets: asked for by number; a page shorter than the size asked is the last,
// and so is the one that reaches the answer's total.
class PositionalPaginator : public Paginator {
 public:
  using Paginator::Paginator;

  void add_params(const PagePosition& at, Params& params) const override {
    params.emplace_back(settings_.param, std::to_string(at.page));
    if (!settings_.size_param.empty()) params.emplace_back(settings_.size_param, std::to_string(settings_.size));
  }

  std::optional<PagePosition> next(const PagePosition& at, const PageAnswer& answer) const override {
    const auto n = static_cast<int64_t>(answer.rows);
    bool more = n > 0 && (settings_.size <= 0 || n >= settings_.size);
    const Document& doc = answer.doc;
    if (uint32_t total =
            settings_.total_path.empty() ? Document::npos : doc.find(doc.root_index(), settings_.total_path);
        total != Document::npos && doc.at(total).kind == JsonKind::Number)
      more = more && rows_read(at, n) < std::stoll(std::string(doc.at(total).text()));
    if (!more) return std::nullopt;
    return PagePosition{after(at, n), at.token};
  }

  void save(const PagePosition& next, Json& cursor) const override { cursor["page"] = next.page; }

 protected:
  // The rows of the listing read once the page at `at` brought `rows`.
  virtual int64_t rows_read(const PagePosition& at, int64_t rows) const = 0;
  // The page number or offset after that page.
  virtual int64_t after(const PagePosition& at, int64_t rows) const = 0;
};

class PageNumberPaginator final : public PositionalPaginator {
 public:
  using PositionalPaginator::PositionalPaginator;

 private:
  int64_t rows_read(const PagePosition& at, int64_t) const override {
    return (at.page - settings_.first + 1) * std::max<int64_t>(settings_.size, 1);
  }
  int64_t after(const PagePosition& at, int64_t) const override { return at.page + 1; }
};

class OffsetPaginator final : public PositionalPaginator {
 public:
  using PositionalPaginator::PositionalPaginator;

 private:
  int64_t rows_read(const PagePosition& at, int64_t rows) const override { return at.page + rows; }
  int64_t after(const PagePosition& at, int64_t rows) const override { return at.page + rows; }
};

// A token from the answer's body, sent back as a parameter; a page without rows ends the listing
// (some servers hand out a token for an empty last page).
class TokenPaginator final : public Paginator {
 public:
  using Paginator::Paginator;

  void add_params(const PagePosition& at, Params& params) const override {
    if (!at.token.empty()) params.emplace_back(settings_.param, at.token);
  }

  std::optional<PagePosition> next(const PagePosition& at, const PageAnswer& answer) const override {
    const uint32_t found = answer.doc.find(answer.doc.root_index(), settings_.next_path);
    std::string token = found == Document::npos ? "" : answer.doc.scalar_text(found);
    if (token.empty() || answer.rows == 0) return std::nullopt;
    return PagePosition{at.page, std::move(token)};
  }

  void save(const PagePosition& next, Json& cursor) const override { cursor["next"] = next.token; }
};

// The Link header's rel="next" URL, requested as it is.
class LinkPaginator final : public Paginator {
 public:
  using Paginator::Paginator;

  std::string target(const std::string& base_url, const PagePosition& at,
                     const std::string& path_and_query) const override {
    return page_target(base_url, at.token, path_and_query);
  }

  std::optional<PagePosition> next(const PagePosition& at, const PageAnswer& answer) const override {
    std::string link = link_next(answer.reply.header("link"));
    if (link.empty()) return std::nullopt;
    return PagePosition{at.page, std::move(link)};
  }

  void save(const PagePosition& next, Json& cursor) const override { cursor["next"] = next.token; }
};

}  // namespace

PagingSettings PagingSettings::from(const config::Settings& s, const std::string& section) {
  using field::in;
  namespace paging = field::paging;
  PagingSettings out;
  out.type = paging_type(s.str(in(section, paging::kType)));
  out.param = s.str_or(in(section, paging::kParam), default_param(out.type));
  out.size_param = s.str_or(in(section, paging::kSizeParam), "");
  out.next_path = s.str(in(section, paging::kNext));
  out.total_path = s.str_or(in(section, paging::kTotal), "");
  out.size = s.integer(in(section, paging::kSize));
  out.first = s.integer(in(section, paging::kFirst));
  return out;
}

void Paginator::add_params(const PagePosition&, Params&) const {}

std::string Paginator::target(const std::string&, const PagePosition&, const std::string& path_and_query) const {
  return path_and_query;
}

std::optional<PagePosition> Paginator::next(const PagePosition&, const PageAnswer&) const {
  return std::nullopt;
}

void Paginator::save(const PagePosition&, Json&) const {}

std::unique_ptr<Paginator> make_paginator(const PagingSettings& settings) {
  switch (settings.type) {
    case PagingType::Page: return std::make_unique<PageNumberPaginator>(settings);
    case PagingType::Offset: return std::make_unique<OffsetPaginator>(settings);
    case PagingType::Cursor: return std::make_unique<TokenPaginator>(settings);
    case PagingType::Link: return std::make_unique<LinkPaginator>(settings);
    case PagingType::None: break;
  }
  return std::make_unique<Paginator>(settings);
}

std::string query_string(const Params& params) {
  std::string q;
  for (const auto& [name, value] : params) {
    q += q.empty() ? "?" : "&";
    q += config::url_encode(name) + "=" + config::url_encode(value);
  }
  return q;
}

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

std::string page_target(const std::string& base_url, const std::string& link, const std::string& path_and_query) {
  if (link.empty()) return path_and_query;
  return link.rfind(base_url, 0) == 0 ? link.substr(base_url.size()) : link;
}

void check_reply(const HttpReply& r, const std::string& what) {
  // Told to wait (429/503 with Retry-After, or held back by the connector's gate): poll again then.
  if (const long wait = retry_after_seconds(r.header("retry-after"));
      wait > 0 && (r.not_sent || r.status == 429 || r.status == 503))
    throw TargetAsksToWait(what + ": " + (r.not_sent ? r.transport_error : "HTTP " + std::to_string(r.status)) +
                               ", asked to wait " + std::to_string(wait) + " s",
                           std::chrono::seconds(wait));
  if (r.status == 0) throw std::runtime_error(what + ": " + r.transport_error);
  if (r.status < 200 || r.status >= 300)
    throw std::runtime_error(what + " answered HTTP " + std::to_string(r.status) + ": " + trimmed_body(r.body));
  if (!r.api_error.empty()) throw std::runtime_error(what + ": " + r.api_error);
}

}  // namespace synchub::connectors::rest
