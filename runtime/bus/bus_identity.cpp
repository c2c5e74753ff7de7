#include "runtime/bus/bus_identity.hpp"

#include <random>
#include <stdexcept>

#include "runtime/base/sqlite.hpp"

namespace synchub::runtime {
namespace {

std::string identity_in(Database& db, const char* schema) {
  auto q = db.prepare(std::string("SELECT id FROM ") + schema + ".log_identity LIMIT 1");
  return q.step() ? q.column_text(0) : std::string();
}

void set_identity(Database& db, const char* schema, const std::string& id) {
  db.exec(std::string("DELETE FROM ") + schema + ".log_identity");
  db.prepare(std::string("INSERT INTO ") + schema + ".log_identity(id) VALUES(?)").bind(1, id).run();
}

std::string new_identity() {
  std::random_device random;
  std::mt19937_64 rng((uint64_t{random()} << 32) ^ random());
  char text[33];
  std::snprintf(text, sizeof text, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return text;
}

int64_t count(Database& db, const char* sql) {
  auto q = db.prepare(sql);
  return q.step() ? q.column_int(0) : 0;
}

[[noreturn]] void refuse(const std::string& log_path, const std::string& offsets_path, const std::string& what) {
  throw std::runtime_error(
      "bus: " + what + ". The consumer groups' committed offsets in " + offsets_path + " do not belong to the log " +
      log_path + " (was it deleted, emptied or replaced?): reading on would skip or repeat events. Restore " +
      log_path +
      " from a backup, or reset the offsets on purpose with `synchub bus reset-offsets -c FILE` (every flow then "
      "reads its topic from the start of the log; the ledger skips what was already delivered)");
}

}  // namespace

void check_log_identity(Database& db, const std::string& log_path, const std::string& offsets_path) {
  const std::string log_id = identity_in(db, "main"), offsets_id = identity_in(db, "offsets");
  const bool has_offsets = count(db, "SELECT COUNT(*) FROM offsets.group_offsets") > 0;
  if (!log_id.empty() && !offsets_id.empty() && log_id != offsets_id)
    refuse(log_path, offsets_path, "the log is " + log_id + ", the offsets were counted in " + offsets_id);
  if (log_id.empty() && !offsets_id.empty()) refuse(log_path, offsets_path, "the log has lost its identity");
  if (!log_id.empty() && offsets_id.empty() && has_offsets) refuse(log_path, offsets_path, "the offsets name no log");
  // Every committed offset within its partition's log (a group may stand at its end).
  const int64_t past_end = count(db,
                                 "SELECT COUNT(*) FROM offsets.group_offsets g LEFT JOIN main.partitions p "
                                 "ON p.topic_id=g.topic_id AND p.partition=g.partition "
                                 "WHERE g.next_offset > COALESCE(p.next_offset, 0)");
  if (past_end > 0)
    refuse(log_path, offsets_path,
           std::to_string(past_end) + " committed offset(s) stand past the end of their partition's log");
  if (log_id.empty() || offsets_id.empty()) {
    const std::string id = log_id.empty() ? new_identity() : log_id;
    Transaction tx(db);
    if (log_id.empty()) set_identity(db, "main", id);
    set_identity(db, "offsets", id);
    tx.commit();
  }
}

void reset_offsets(Database& db) {
  std::string id = identity_in(db, "main");
  Transaction tx(db);
  if (id.empty()) {
    id = new_identity();
    set_identity(db, "main", id);
  }
  // Offsets only grow: the log goes on above every offset the groups or the log have seen.
  db.exec(
      "INSERT INTO main.log_floor(next_offset) SELECT MAX(n) FROM ("
      "SELECT COALESCE(MAX(next_offset),0) AS n FROM offsets.group_offsets UNION ALL "
      "SELECT COALESCE(MAX(next_offset),0) FROM main.partitions UNION ALL "
      "SELECT COALESCE(MAX(next_offset),0) FROM main.log_floor)");
  db.exec("DELETE FROM offsets.group_offsets");
  set_identity(db, "offsets", id);
  tx.commit();
}

}  // namespace synchub::runtime
