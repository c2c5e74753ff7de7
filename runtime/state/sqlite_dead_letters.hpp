// Dead letters in SQLite: one open entry per flow and key with its history, resolved in the commit
// of the batch whose later version of the key landed. sqlite_state.cpp keeps the tables' migrations
// with the others (kMigration is one of them) and calls these.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "runtime/base/sqlite.hpp"
#include "runtime/state/state_store.hpp"

namespace synchub::runtime::sqlite_dead_letters {

// The history table, the reason and resolution columns, and older open entries of one key folded
// into its newest (their failures become its history).
extern const char* const kMigration;
void fill_reasons(Database& db);  // after kMigration: reasons of the entries it found

// Inside the caller's transaction.
void add_rejects(Database& db, const std::vector<DeadLetter>& rejects);
void commit(Database& db, const FlowBatchCommit& batch);  // failures, resolutions, replays

std::vector<DeadLetter> list(Database& db, const DeadLetterFilter& filter);
std::optional<DeadLetter> one(Database& db, int64_t id);
std::vector<DeadLetterEvent> history(Database& db, int64_t id);
std::vector<DeadLetterGroup> reasons(Database& db, const DeadLetterFilter& filter);
bool request_replay(Database& db, int64_t id, const std::optional<std::string>& corrected, const std::string& actor);
bool discard(Database& db, int64_t id, const std::string& actor);
void set_status(Database& db, int64_t id, const char* status);

}  // namespace synchub::runtime::sqlite_dead_letters
