#include "runtime/state/sqlite_dead_letters.hpp"

#include "runtime/base/clock.hpp"

namespace synchub::runtime::sqlite_dead_letters {

const char* const kMigration = R"sql(
ALTER TABLE dead_letters ADD COLUMN reason TEXT NOT NULL DEFAULT '';
ALTER TABLE dead_letters ADD COLUMN resolved_by TEXT NOT NULL DEFAULT '';
ALTER TABLE dead_letters ADD COLUMN resolved_version TEXT NOT NULL DEFAULT '';
CREATE TABLE dead_letter_history(id INTEGER PRIMARY KEY AUTOINCREMENT, dead_letter_id INTEGER NOT NULL,
  kind TEXT NOT NULL, time_ms INTEGER NOT NULL, input BLOB NOT NULL, input_before BLOB NOT NULL, error TEXT NOT NULL,
  mapping_version TEXT NOT NULL, origin TEXT NOT NULL, actor TEXT NOT NULL);
CREATE INDEX dead_letter_history_entry ON dead_letter_history(dead_letter_id, id);
INSERT INTO dead_letter_history(dead_letter_id, kind, time_ms, input, input_before, error, mapping_version, origin,
  actor) SELECT id, 'failed', created_ms, input, X'', error, mapping_version, origin, '' FROM dead_letters ORDER BY id;
CREATE TEMP TABLE dead_letter_fold AS SELECT o.id AS old_id, (SELECT MAX(n.id) FROM dead_letters n WHERE n.flow=o.flow
  AND n.key=o.key AND n.status='pending' AND n.stage<>'source') AS new_id FROM dead_letters o
  WHERE o.status='pending' AND o.stage<>'source' AND o.key<>'';
DELETE FROM dead_letter_fold WHERE old_id=new_id;
UPDATE dead_letters SET attempts=attempts+(SELECT SUM(o.attempts) FROM dead_letter_fold f JOIN dead_letters o
  ON o.id=f.old_id WHERE f.new_id=dead_letters.id), created_ms=(SELECT MIN(o.created_ms) FROM dead_letter_fold f
  JOIN dead_letters o ON o.id=f.old_id WHERE f.new_id=dead_letters.id)
  WHERE id IN (SELECT new_id FROM dead_letter_fold);
UPDATE dead_letter_history SET dead_letter_id=(SELECT new_id FROM dead_letter_fold WHERE old_id=dead_letter_id)
  WHERE dead_letter_id IN (SELECT old_id FROM dead_letter_fold);
DELETE FROM dead_letters WHERE id IN (SELECT old_id FROM dead_letter_fold);
DROP TABLE dead_letter_fold;
)sql";

namespace {

constexpr const char* kColumns =
    "id, flow, stage, key, input, error, mapping_version, origin, status, attempts, created_ms, updated_ms, reason, "
    "resolved_by, resolved_version";

DeadLetter read(Statement& q) {
  DeadLetter d;
  d.id = q.column_int(0);
  d.flow = q.column_text(1);
  d.stage = parse_stage(q.column_text(2));
  d.key = q.column_text(3);
  d.input = q.column_text(4);
  d.error = q.column_text(5);
  d.mapping_version = q.column_text(6);
  d.origin = q.column_text(7);
  d.status = q.column_text(8);
  d.attempts = static_cast<int>(q.column_int(9));
  d.created_ms = q.column_int(10);
  d.updated_ms = q.column_int(11);
  d.reason = q.column_text(12);
  d.resolved_by = q.column_text(13);
  d.resolved_version = q.column_text(14);
  return d;
}

void add_event(Database& db, int64_t id, const DeadLetterEvent& e) {
  db.cached(
        "INSERT INTO dead_letter_history(dead_letter_id, kind, time_ms, input, input_before, error, "
        "mapping_version, origin, actor) VALUES(?,?,?,?,?,?,?,?,?)")
      .bind(1, id)
      .bind(2, e.kind)
      .bind(3, e.time_ms)
      .bind_blob(4, e.input)
      .bind_blob(5, e.input_before)
      .bind(6, e.error)
      .bind(7, e.mapping_version)
      .bind(8, e.origin)
      .bind(9, e.actor)
      .run();
}

DeadLetterEvent failure(const DeadLetter& d, int64_t now) {
  return {0, "failed", now, d.input, "", d.error, d.mapping_version, d.origin, ""};
}

// A new entry. Without a key (or a source reject), an event redelivered and dead-lettered again is
// still the one entry while it is pending: one per flow, stage and origin (or identical input).
// Not for source rejects: they commit with the cursor (never twice), and their origin (file:line)
// recurs when a file of the same name is dropped again.
void insert(Database& db, const DeadLetter& d, int64_t now) {
  db.cached(
        "INSERT INTO dead_letters(flow, stage, key, input, error, mapping_version, origin, status, attempts, "
        "created_ms, updated_ms, reason) SELECT ?1,?2,?3,?4,?5,?6,?7,'pending',1,?8,?8,?9 WHERE ?7='' OR "
        "?2='source' OR NOT EXISTS(SELECT 1 FROM dead_letters WHERE flow=?1 AND status='pending' AND stage=?2 AND "
        "(origin=?7 OR (key=?3 AND input=?4)))")
      .bind(1, d.flow)
      .bind(2, stage_name(d.stage))
      .bind(3, d.key)
      .bind_blob(4, d.input)
      .bind(5, d.error)
      .bind(6, d.mapping_version)
      .bind(7, d.origin)
      .bind(8, now)
      .bind(9, dead_letter_reason(d.error))
      .run();
  if (db.changes() > 0) add_event(db, db.last_insert_id(), failure(d, now));
}

// A failure of a key with an open entry folds into it: the entry takes the newest input, the
// failure joins its history. One it has already (the same event redelivered after a crash, or the
// same record published again) changes nothing: an older input never replaces a newer one.
void add_failure(Database& db, const DeadLetter& d, int64_t now) {
  if (d.key.empty() || d.stage == DeadLetterStage::Source) return insert(db, d, now);
  auto& open = db.cached(
      "SELECT id, input FROM dead_letters WHERE flow=? AND key=? AND status IN ('pending','replaying') "
      "AND stage<>'source' ORDER BY id DESC LIMIT 1");
  open.bind(1, d.flow).bind(2, d.key);
  if (!open.step()) {
    open.reset();
    return insert(db, d, now);
  }
  const int64_t id = open.column_int(0);
  const bool same_input = open.column_view(1) == d.input;
  open.reset();
  if (same_input) return;
  auto& seen = db.cached(
      "SELECT 1 FROM dead_letter_history WHERE dead_letter_id=?1 AND kind='failed' AND ((?2<>'' AND origin=?2) "
      "OR input=?3) LIMIT 1");
  seen.bind(1, id).bind(2, d.origin).bind_blob(3, d.input);
  const bool known = seen.step();
  seen.reset();
  if (known) return;
  db.cached(
        "UPDATE dead_letters SET stage=?, input=?, error=?, reason=?, mapping_version=?, origin=?, "
        "attempts=attempts+1, updated_ms=? WHERE id=?")
      .bind(1, stage_name(d.stage))
      .bind_blob(2, d.input)
      .bind(3, d.error)
      .bind(4, dead_letter_reason(d.error))
      .bind(5, d.mapping_version)
      .bind(6, d.origin)
      .bind(7, now)
      .bind(8, id)
      .run();
  add_event(db, id, failure(d, now));
}

void resolve(Database& db, const std::string& flow, const LandedKey& landed, int64_t now) {
  db.cached(
        "UPDATE dead_letters SET status='resolved', resolved_by=?, resolved_version=?, updated_ms=? "
        "WHERE flow=? AND key=? AND status IN ('pending','replaying') AND stage<>'source'")
      .bind_static(1, landed.origin)
      .bind_static(2, landed.mapping_version)
      .bind(3, now)
      .bind_static(4, flow)
      .bind_static(5, landed.key)
      .run();
}

// The filter as a WHERE clause over ?1..?9 (bound by bind_filter).
std::string where(const DeadLetterFilter& f) {
  std::string sql =
      " WHERE (?1='' OR flow=?1) AND (?2='' OR status=?2) AND created_ms>=?3 AND id>?4 AND (?7='' OR reason=?7)";
  // A key (a trace) is looked up through the (flow, key) index: spelt out, not behind an OR.
  if (!f.key.empty()) sql += f.flow.empty() ? " AND key=?6" : " AND flow=?1 AND key=?6";
  if (!f.key_search.empty()) sql += " AND key LIKE ?8 ESCAPE '\\'";
  if (!f.ids.empty()) sql += " AND id IN (SELECT value FROM json_each(?9))";
  return sql;
}

void bind_filter(Statement& q, const DeadLetterFilter& f) {
  q.bind(1, f.flow).bind(2, f.status).bind(3, f.since_ms).bind(4, f.after_id).bind(7, f.reason);
  if (!f.key.empty()) q.bind(6, f.key);
  if (!f.key_search.empty()) {
    std::string pattern = "%";
    for (char c : f.key_search) {
      if (c == '%' || c == '_' || c == '\\') pattern += '\\';
      pattern += c;
    }
    q.bind(8, pattern + "%");
  }
  if (!f.ids.empty()) {
    std::string array = "[";
    for (int64_t id : f.ids) array += (array.size() > 1 ? "," : "") + std::to_string(id);
    q.bind(9, array + "]");
  }
}

}  // namespace

void fill_reasons(Database& db) {
  std::vector<std::pair<int64_t, std::string>> errors;
  auto q = db.prepare("SELECT id, error FROM dead_letters WHERE reason='' AND error<>''");
  while (q.step()) errors.emplace_back(q.column_int(0), q.column_text(1));
  for (const auto& [id, error] : errors)
    db.prepare("UPDATE dead_letters SET reason=? WHERE id=?").bind(1, dead_letter_reason(error)).bind(2, id).run();
}

void add_rejects(Database& db, const std::vector<DeadLetter>& rejects) {
  const int64_t now = now_ms();
  for (const auto& d : rejects) add_failure(db, d, now);
}

// In the order the batch met them: a key that fails, lands and fails again in one batch keeps one
// pending entry, its last failure.
void commit(Database& db, const FlowBatchCommit& batch) {
  const int64_t now = now_ms();
  // The hot path: a flow with nothing open asks once, not once per record that landed.
  bool open = false;
  if (!batch.landed.empty()) {
    auto& any = db.cached("SELECT 1 FROM dead_letters WHERE flow=? AND status IN ('pending','replaying') LIMIT 1");
    open = any.bind(1, batch.flow).step();
    any.reset();
  }
  size_t next = 0;
  for (size_t i = 0; i <= batch.dead_letters.size(); ++i) {
    for (; next < batch.landed.size() && (batch.landed[next].before_dead_letter <= i || i == batch.dead_letters.size());
         ++next)
      if (open || batch.landed[next].before_dead_letter > 0) resolve(db, batch.flow, batch.landed[next], now);
    if (i < batch.dead_letters.size()) add_failure(db, batch.dead_letters[i], now);
  }
  for (int64_t id : batch.replayed) set_status(db, id, "replayed");
  for (const auto& d : batch.replay_failed) {
    db.cached(
          "UPDATE dead_letters SET status='pending', error=?, reason=?, mapping_version=?, attempts=attempts+1, "
          "updated_ms=? WHERE id=?")
        .bind(1, d.error)
        .bind(2, dead_letter_reason(d.error))
        .bind(3, d.mapping_version)
        .bind(4, now)
        .bind(5, d.id)
        .run();
    auto current = one(db, d.id);
    if (current)
      add_event(db, d.id,
                {0, "replay_failed", now, current->input, "", d.error, d.mapping_version, current->origin, ""});
  }
}

std::vector<DeadLetter> list(Database& db, const DeadLetterFilter& f) {
  auto q = db.prepare(std::string("SELECT ") + kColumns + " FROM dead_letters" + where(f) + " ORDER BY id LIMIT ?5");
  bind_filter(q, f);
  q.bind(5, int64_t{f.limit});
  std::vector<DeadLetter> out;
  while (q.step()) out.push_back(read(q));
  return out;
}

std::optional<DeadLetter> one(Database& db, int64_t id) {
  auto q = db.prepare(std::string("SELECT ") + kColumns + " FROM dead_letters WHERE id=?");
  q.bind(1, id);
  if (q.step()) return read(q);
  return std::nullopt;
}

std::vector<DeadLetterEvent> history(Database& db, int64_t id) {
  auto q = db.prepare(
      "SELECT id, kind, time_ms, input, input_before, error, mapping_version, origin, actor FROM "
      "dead_letter_history WHERE dead_letter_id=? ORDER BY id");
  q.bind(1, id);
  std::vector<DeadLetterEvent> out;
  while (q.step())
    out.push_back({q.column_int(0), q.column_text(1), q.column_int(2), q.column_text(3), q.column_text(4),
                   q.column_text(5), q.column_text(6), q.column_text(7), q.column_text(8)});
  return out;
}

std::vector<DeadLetterGroup> reasons(Database& db, const DeadLetterFilter& f) {
  DeadLetterFilter all = f;
  all.after_id = 0;
  auto q = db.prepare(
      "SELECT g.reason, g.n, g.newest, d.error, d.updated_ms FROM (SELECT reason, COUNT(*) AS n, MAX(id) AS newest "
      "FROM dead_letters" +
      where(all) + " GROUP BY reason) g JOIN dead_letters d ON d.id=g.newest ORDER BY g.n DESC, g.reason");
  bind_filter(q, all);
  std::vector<DeadLetterGroup> out;
  while (q.step())
    out.push_back({q.column_text(0), q.column_int(1), q.column_text(3), q.column_int(2), q.column_int(4)});
  return out;
}

bool request_replay(Database& db, int64_t id, const std::optional<std::string>& corrected, const std::string& actor) {
  Transaction tx(db);
  auto entry = one(db, id);
  if (!entry || (entry->status != "pending" && entry->status != "replaying")) return false;
  const int64_t now = now_ms();
  if (corrected && *corrected != entry->input) {
    db.prepare("UPDATE dead_letters SET input=? WHERE id=?").bind_blob(1, *corrected).bind(2, id).run();
    add_event(db, id, {0, "edited", now, *corrected, entry->input, "", "", "", actor});
  }
  add_event(db, id, {0, "replay_requested", now, "", "", "", "", "", actor});
  db.prepare("UPDATE dead_letters SET status='replaying', updated_ms=? WHERE id=?").bind(1, now).bind(2, id).run();
  tx.commit();
  return true;
}

bool discard(Database& db, int64_t id, const std::string& actor) {
  Transaction tx(db);
  const int64_t now = now_ms();
  db.prepare(
        "UPDATE dead_letters SET status='discarded', updated_ms=?2 WHERE id=?1 AND status IN ('pending','replaying')")
      .bind(1, id)
      .bind(2, now)
      .run();
  if (db.changes() == 0) return false;
  add_event(db, id, {0, "discarded", now, "", "", "", "", "", actor});
  tx.commit();
  return true;
}

void set_status(Database& db, int64_t id, const char* status) {
  db.prepare("UPDATE dead_letters SET status=?, updated_ms=? WHERE id=?")
      .bind(1, status)
      .bind(2, now_ms())
      .bind(3, id)
      .run();
}

}  // namespace synchub::runtime::sqlite_dead_letters
