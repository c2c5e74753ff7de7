// The lineage history in SQLite (`synchub trace`): its rows and links written inside a flow
// batch's transaction, read back by key, and pruned by age. sqlite_state.cpp keeps the tables'
// migration with the others and calls these.
#pragma once

#include <string>
#include <vector>

#include "runtime/base/sqlite.hpp"
#include "runtime/state/state_store.hpp"

namespace synchub::runtime::sqlite_lineage {

// Inside the caller's transaction: one row per record event, one upsert per link.
void insert(Database& db, const FlowBatchCommit& batch);
std::vector<LineageEvent> events(Database& db, const std::string& key, int limit);
std::vector<LineageLink> links_to(Database& db, const std::string& upstream_flow, const std::vector<std::string>& refs,
                                  int limit);
std::vector<LineageLink> links_from(Database& db, const std::string& key);
int64_t prune(Database& db, int64_t before_ms);

}  // namespace synchub::runtime::sqlite_lineage
