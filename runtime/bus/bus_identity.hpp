// The embedded bus's log (bus.db) and its groups' offsets (bus-offsets.db) are
// two files: each carries the log's identity, checked at every start, so that
// offsets never meet a log they were not counted in. A log deleted, emptied
// or replaced beside surviving offsets would otherwise start every partition
// at 0 under offsets that say 5,000: every later event skipped, silently.
#pragma once

#include <string>

namespace synchub::runtime {

class Database;

// Throws, naming both files and the way out, when the offsets belong to another log or stand
// past its end. A log and offsets without an identity yet (a new bus, or one from before
// identities) get one when they agree.
void check_log_identity(Database& db, const std::string& log_path, const std::string& offsets_path);

// Forgets every group's committed offsets and binds the offsets to this log.
void reset_offsets(Database& db);

}  // namespace synchub::runtime
