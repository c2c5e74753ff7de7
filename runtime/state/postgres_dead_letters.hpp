// Dead letters in PostgreSQL, the same rules as sqlite_dead_letters.hpp: one open entry per flow and
// key with its history, resolved in the commit of the batch whose later version of the key landed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "runtime/state/postgres.hpp"
#include "runtime/state/state_store.hpp"

namespace synchub::runtime::postgres_dead_letters {

extern const char* const kMigration;
void fill_reasons(PgConnection& db);  // after kMigration

// Inside the caller's transaction.
void add_rejects(PgConnection& db, const std::vector<DeadLetter>& rejects);
void commit(PgConnection& db, const FlowBatchCommit& batch);

std::vector<DeadLetter> list(PgConnection& db, const DeadLetterFilter& filter);
std::optional<DeadLetter> one(PgConnection& db, int64_t id);
std::vector<DeadLetterEvent> history(PgConnection& db, int64_t id);
std::vector<DeadLetterGroup> reasons(PgConnection& db, const DeadLetterFilter& filter);
bool request_replay(PgConnection& db, int64_t id, const std::optional<std::string>& corrected,
                    const std::string& actor);
bool discard(PgConnection& db, int64_t id, const std::string& actor);
void set_status(PgConnection& db, int64_t id, const char* status);

}  // namespace synchub::runtime::postgres_dead_letters
