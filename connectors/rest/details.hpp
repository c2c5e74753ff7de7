// Master-detail for `rest` sources: the details of a page's master records
// (an order's lines) fetched by a listing of their own, paged like any
// listing, and checked complete before they are attached: a record goes out
// whole or not at all.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "connectors/connector.hpp"
#include "connectors/rest/paging.hpp"
#include "connectors/rest/reply.hpp"
#include "mapping/document.hpp"

namespace synchub::connectors::rest {

class Api;

class DetailFetcher {
 public:
  DetailFetcher(std::shared_ptr<Api> api, const config::Settings& stream_settings);

  bool enabled() const { return !path_.empty(); }
  const std::string& into() const { return into_; }

  // Adds to each record (a compact JSON object) its details as an array member. Returns, per
  // record, why its details cannot be complete ("" when they are): the answer said it holds
  // more rows than all its pages returned, or fewer rows came than the master's count field
  // says. Throws when a call fails or an answer is not readable.
  [[nodiscard]] std::vector<std::string> attach(std::vector<SourceRecord>& records);

 private:
  struct Page {
    std::vector<std::string> rows;  // each a detail row as compact JSON, with its master key
    std::vector<std::string> masters;
    int64_t total = -1;  // the answer's own count of all its rows, when it gives one
    bool more = false;
    std::string next;  // token or link of the next page
  };
  Page fetch_page(const std::string& keys_json, const std::string& keys_csv, int64_t page, const std::string& token);

  std::shared_ptr<Api> api_;
  Params headers_;
  std::string path_, method_, param_, body_, records_, match_, by_, into_, count_;
  PagingSettings paging_;
  std::unique_ptr<Paginator> paginator_;
  std::vector<std::string> fields_;  // names of the values when rows are arrays
  size_t match_column_ = SIZE_MAX;   // where `match` is among them
  mapping::Document doc_;            // reused for every answer
};

}  // namespace synchub::connectors::rest
