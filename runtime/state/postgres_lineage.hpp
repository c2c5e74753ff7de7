// The lineage history in PostgreSQL (`synchub trace`), as sqlite_lineage.hpp: rows and links
// written inside a flow batch's transaction (one statement each per batch), read back by key,
// pruned by age. postgres_state.cpp keeps the tables' migration with the others.
#pragma once

#include <string>
#include <vector>

#include "runtime/state/postgres.hpp"
#include "runtime/state/state_store.hpp"

namespace synchub::runtime::postgres_lineage {

void insert(PgConnection& db, const FlowBatchCommit& batch);  // inside the caller's transaction
std::vector<LineageEvent> events(PgConnection& db, const std::string& key, int limit);
std::vector<LineageLink> links_to(PgConnection& db, const std::string& upstream_flow,
                                  const std::vector<std::string>& refs, int limit);
std::vector<LineageLink> links_from(PgConnection& db, const std::string& key);
int64_t prune(PgConnection& db, int64_t before_ms);

}  // namespace synchub::runtime::postgres_lineage
