// Listings that change while they are read, against a real HTTP server on
// 127.0.0.1: rows are listed in (updated_at, id) order, and every position
// the server hands out (a token, a page number, an offset, a next link) is an
// offset into that list, as many real APIs' page tokens are. Between pages,
// another client updates rows already read: they move to the end, and the rows
// behind them move up past the next position. Whatever the pagination type, no
// row and no row's newest version may be lost.
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <ostream>
#include <set>
#include <tuple>

#include "http/http_server.hpp"
#include "tests/connectors/rest/rest_fixture.hpp"

namespace synchub::connectors {
namespace {

using Json = nlohmann::json;
using http::HttpRequest;
using http::HttpResponse;

// 2024-01-01T00:00:00Z plus `seconds`.
std::string stamp(int64_t seconds) {
  const int64_t t = 1704067200 + seconds;
  std::time_t tt = static_cast<std::time_t>(t);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&tt));
  return buf;
}

// Rows with an update counter; `rows_per_second` rows share each updated_at. Rows sharing one are
// listed in the order they were updated, not by id, as most servers do.
class DriftingServer {
 public:
  DriftingServer(int rows, int rows_per_second, int updates_per_page, int updating_pages)
      : rows_per_second_(rows_per_second), updates_per_page_(updates_per_page), updating_pages_(updating_pages) {
    for (int i = 0; i < rows; ++i) touch(1 + (i * 7919) % rows);  // ids not in update order
    server_ =
        std::make_unique<http::HttpServer>(http::HttpServerOptions{}, [this](const HttpRequest& r) { return list(r); });
  }
  std::string base_url() const { return server_->base_url(); }
  std::map<int, std::string> versions() const {
    std::lock_guard lock(mu_);
    return updated_;
  }
  int updates() const {
    std::lock_guard lock(mu_);
    return updates_;
  }

 private:
  void touch(int id) {
    order_.erase({updated_[id], seq_of_[id], id});
    updated_[id] = stamp(seq_ / rows_per_second_);
    seq_of_[id] = seq_++;
    order_.insert({updated_[id], seq_of_[id], id});
  }

  HttpResponse list(const HttpRequest& req) {
    std::lock_guard lock(mu_);
    const std::string since = req.param("updated_since");
    const size_t size = req.has_param("per_page") ? std::stoul(req.param("per_page")) : 100;
    size_t start = 0;
    if (req.has_param("cursor")) start = std::stoul(req.param("cursor"));
    if (req.has_param("at")) start = std::stoul(req.param("at"));
    if (req.has_param("offset")) start = std::stoul(req.param("offset"));
    if (req.has_param("page")) start = (std::stoul(req.param("page")) - 1) * size;
    std::vector<std::pair<std::string, int>> match;
    for (auto it = order_.lower_bound({since, 0, 0}); it != order_.end(); ++it)
      match.emplace_back(std::get<0>(*it), std::get<2>(*it));
    Json data = Json::array();
    for (size_t i = start; i < match.size() && data.size() < size; ++i)
      data.push_back({{"id", match[i].second}, {"updated_at", match[i].first}});
    const size_t next = start + data.size();
    Json body = {{"data", data}, {"total", match.size()}};
    body["next_cursor"] = next < match.size() ? Json(std::to_string(next)) : Json(nullptr);
    HttpResponse r = HttpResponse::json(200, body.dump());
    if (next < match.size())
      r.headers.emplace_back("Link", "</rows?updated_since=" + since + "&at=" + std::to_string(next) +
                                         "&per_page=" + std::to_string(size) + ">; rel=\"next\"");
    // Another client updates rows already read (the oldest of this listing): they become the
    // newest, and each row behind them moves a place forward.
    if (++pages_ <= updating_pages_)
      for (int i = 0; i < updates_per_page_ && !match.empty(); ++i, ++updates_)
        touch(match[static_cast<size_t>(i) % std::max<size_t>(1, std::min(start + data.size(), match.size()))].second);
    return r;
  }

  mutable std::mutex mu_;
  int rows_per_second_, updates_per_page_, updating_pages_;
  int64_t seq_ = 0;
  int pages_ = 0, updates_ = 0;
  std::map<int, std::string> updated_;                     // id -> updated_at
  std::map<int, int64_t> seq_of_;                          // id -> when it was last updated
  std::set<std::tuple<std::string, int64_t, int>> order_;  // listing order: (updated_at, update order, id)
  std::unique_ptr<http::HttpServer> server_;
};

std::string stream_config(const std::string& base_url, const std::string& pagination) {
  return "  api:\n    type: rest\n    base_url: " + base_url +
         "\n    streams:\n      rows:\n        path: /rows\n        query: {per_page: \"100\"}\n"
         "        records: data\n        pagination: " +
         pagination + "\n        cursor: {field: updated_at, param: updated_since, tiebreak: id, format: iso}\n";
}

struct Case {
  const char* name;
  const char* pagination;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name;
}

class DriftingListing : public ::testing::TestWithParam<Case> {};

INSTANTIATE_TEST_SUITE_P(EveryPagination, DriftingListing,
                         ::testing::Values(Case{"cursor", "{type: cursor, param: cursor, next: next_cursor}"},
                                           Case{"link", "{type: link}"},
                                           Case{"page", "{type: page, param: page, size: 100}"},
                                           Case{"offset", "{type: offset, param: offset, size: 100, first: 0}"}),
                         [](const auto& info) { return std::string(info.param.name); });

// Polls until a poll brings no version not seen before, at most `polls` times; returns the newest
// updated_at seen of each id.
std::map<int, std::string> poll_until_quiet(SourceStream& source, std::string& cursor, int polls) {
  std::map<int, std::string> seen;
  for (int poll = 0; poll < polls; ++poll) {
    bool news = false;
    for (int guard = 0; guard < 1000; ++guard) {
      PullResult r = source.pull(cursor, 1000);
      for (const auto& rec : r.records) {
        Json row = Json::parse(rec.value);
        std::string& newest = seen[row["id"].get<int>()];
        if (row["updated_at"].get<std::string>() > newest) {
          newest = row["updated_at"];
          news = true;
        }
      }
      cursor = r.next_cursor;
      if (!r.more) break;
    }
    if (!news && poll > 0) break;
  }
  return seen;
}

TEST_P(DriftingListing, RowsUpdatedDuringTheListingLoseNoRowAndNoVersion) {
  // 1,024 rows, three to a second; 20 rows read already updated after each of the first 20 pages.
  DriftingServer server(1024, 3, 20, 20);
  RestFixture api(stream_config(server.base_url(), GetParam().pagination));
  auto source = api.source("rows");
  std::string cursor;
  std::map<int, std::string> seen = poll_until_quiet(*source, cursor, 10);
  EXPECT_EQ(server.updates(), 400);
  EXPECT_EQ(seen, server.versions()) << seen.size() << " of 1024 rows, cursor " << cursor;
}

TEST_P(DriftingListing, ManyRowsWithOneTimestampLoseNoRowEither) {
  // 600 rows, 150 to a second: every page holds one cursor value, so a position must be trusted
  // for a while; what slid past it is read again by the next poll.
  DriftingServer server(600, 150, 10, 12);
  RestFixture api(stream_config(server.base_url(), GetParam().pagination));
  auto source = api.source("rows");
  std::string cursor;
  std::map<int, std::string> seen = poll_until_quiet(*source, cursor, 10);
  EXPECT_EQ(seen, server.versions()) << seen.size() << " of 600 rows, cursor " << cursor;
}

}  // namespace
}  // namespace synchub::connectors
