#include "connectors/rest/paging.hpp"

#include <stdexcept>

#include "config/units.hpp"
#include "connectors/connector.hpp"
#include "connectors/rest/api.hpp"

namespace synchub::connectors::rest {

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
