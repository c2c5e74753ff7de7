// How the listings of `rest` sources (records and their details) go from page to page: one
// paginator per pagination type, chosen once from the validated settings. Also the helpers they
// share: query strings, the Link header's next page, and answers that are failures.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "connectors/rest/api.hpp"
#include "connectors/rest/reply.hpp"

namespace synchub::config {
class Settings;
}
namespace synchub::mapping {
class Document;
}

namespace synchub::connectors::rest {

enum class PagingType { None, Page, Offset, Cursor, Link };

// One pagination section of a stream.
struct PagingSettings {
  PagingType type = PagingType::None;
  std::string param;       // the page number's, offset's or token's query parameter
  std::string size_param;  // "" when the page size is not sent
  std::string next_path;   // cursor: where the next token is in an answer
  std::string total_path;  // page, offset: where the answer says how many rows there are in all
  int64_t size = 0, first = 0;

  // From the pagination section at `section` (field::stream::kPagination, field::detail::kPagination).
  static PagingSettings from(const config::Settings& settings, const std::string& section);
  // Page number and offset: positions a server computes, so a page may come back shorter.
  bool positional() const { return type == PagingType::Page || type == PagingType::Offset; }
};

// Where a listing stands: the page number or offset asked for, and the token or link the last
// answer gave for the next page.
struct PagePosition {
  int64_t page = 0;
  std::string token;
};

// An answer to a page's request, as a paginator reads it.
struct PageAnswer {
  const mapping::Document& doc;
  const HttpReply& reply;
  size_t rows;  // records in the answer
};

// The base is a listing of one page: nothing to ask for, no next page.
class Paginator {
 public:
  explicit Paginator(PagingSettings settings) : settings_(std::move(settings)) {}
  virtual ~Paginator() = default;
  // Adds the query parameters that ask for the page at `at`.
  virtual void add_params(const PagePosition& at, Params& params) const;
  // The request for the page at `at`: the server's own next link, or else `path_and_query`.
  virtual std::string target(const std::string& base_url, const PagePosition& at,
                             const std::string& path_and_query) const;
  // Where the next page is after `answer` to the request for `at`; nullopt when the listing is done.
  virtual std::optional<PagePosition> next(const PagePosition& at, const PageAnswer& answer) const;
  // Writes `next` into the cursor committed with the page, so that a restart asks for it.
  virtual void save(const PagePosition& next, Json& cursor) const;

 protected:
  PagingSettings settings_;
};

std::unique_ptr<Paginator> make_paginator(const PagingSettings& settings);

// ?name=value&... (URL-encoded); "" without parameters.
std::string query_string(const Params& params);
// Link: <https://api/x?page=3>; rel="next" -> the URL of the next page ("" when none).
std::string link_next(const std::string& header);
// The request for a listing's page: the server's own next link when `link` is set (relative to the
// base URL when it shares it), else `path_and_query`.
std::string page_target(const std::string& base_url, const std::string& link, const std::string& path_and_query);
// Throws when the answer is not a success: no answer, a non-2xx status or an in-body error.
void check_reply(const HttpReply& reply, const std::string& what);

}  // namespace synchub::connectors::rest
