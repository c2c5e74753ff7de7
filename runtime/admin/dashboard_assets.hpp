// The dashboard's page, script and style sheet, compiled into the binary
// from runtime/admin/dashboard/ (see embed.cmake).
#pragma once

#include <span>
#include <string_view>

namespace synchub::runtime {

struct DashboardAsset {
  std::string_view path;          // "/" for the page, "/dashboard.js", ...
  std::string_view content_type;  // with charset
  std::string_view body;
};

// Every file, the page first (each is a route of the admin API).
std::span<const DashboardAsset> dashboard_assets();
}  // namespace synchub::runtime
