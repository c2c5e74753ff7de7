// What the simulators' tests share: an HTTP client's view of the answers, exact decimals.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "http/http_client.hpp"
#include "mapping/decimal.hpp"

namespace synchub::test::vendor {

using http::HttpClient;
using http::HttpReply;
using Json = nlohmann::ordered_json;
using mapping::Decimal;

inline Decimal dec(const Json& v) {
  auto d = Decimal::parse(v.is_string() ? v.get<std::string>() : v.dump());
  if (!d) throw std::runtime_error("not a number: " + v.dump());
  return *d;
}

inline HttpReply post_raw(HttpClient& client, const std::string& url, const std::string& body,
                          std::vector<std::pair<std::string, std::string>> headers = {}) {
  headers.emplace_back("Content-Type", "application/json");
  return client.send({"POST", url, headers, body});
}

inline Json parse_or_fail(const HttpReply& reply) {
  EXPECT_EQ(reply.status, 200) << reply.transport_error << " " << reply.body;
  Json body = Json::parse(reply.body, nullptr, false);
  EXPECT_FALSE(body.is_discarded()) << reply.body;
  return body;
}

}  // namespace synchub::test::vendor
