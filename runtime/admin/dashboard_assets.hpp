// The dashboard's page, script and style sheet, compiled into the binary
// from runtime/admin/dashboard/ (see embed.cmake).
#pragma once

#include <string_view>

namespace synchub::runtime {

struct DashboardAsset {
  std::string_view path;          // "/" for the page, "/dashboard.js", ...
  std::string_view content_type;  // with charset
  std::string_view body;
};

// nullptr when `path` is not one of the dashboard's files.
const DashboardAsset* find_dashboard_asset(std::string_view path);

}  // namespace synchub::runtime
