// Helpers shared by the listings of `rest` sources (records and their details):
// query strings, the Link header's next page, and answers that are failures.
#pragma once

#include <string>

#include "connectors/rest/reply.hpp"

namespace synchub::connectors::rest {

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
