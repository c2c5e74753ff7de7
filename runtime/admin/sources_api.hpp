// The admin API's source routes and metrics: each polled source stream's state (polling, idle,
// backing_off, failing, paused), last success, last error, cursor and cursor time, records read,
// and the flows reading it, from the pollers' snapshots (AdminBoard::sources).
// AdminApi::route_table adds the routes; AdminApi::metrics the families.
#pragma once

#include <string>
#include <vector>

#include "runtime/admin/admin_board.hpp"
#include "runtime/admin/route_table.hpp"

namespace synchub::runtime {

// GET /api/v1/sources, GET /api/v1/sources/{name}, POST /api/v1/sources/{name}/pause and
// /resume (handed to the scheduler through `board`, which must outlive the handlers).
std::vector<Route> source_routes(AdminBoard& board);

// synchub_source_up, _errors_total, _records_read_total, _last_success_timestamp_seconds,
// _cursor_timestamp_seconds, _consecutive_failures.
void append_source_metrics(std::string& out, const std::vector<SourceStatus>& sources);

}  // namespace synchub::runtime
