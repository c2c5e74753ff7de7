#include "runtime/state/postgres_dead_letters.hpp"

#include "runtime/base/clock.hpp"

namespace synchub::runtime::postgres_dead_letters {

const char* const kMigration = R"sql(
ALTER TABLE dead_letters ADD COLUMN reason TEXT NOT NULL DEFAULT '';
ALTER TABLE dead_letters ADD COLUMN resolved_by TEXT NOT NULL DEFAULT '';
ALTER TABLE dead_letters ADD COLUMN resolved_version TEXT NOT NULL DEFAULT '';
CREATE TABLE dead_letter_history(id BIGSERIAL PRIMARY KEY, dead_letter_id BIGINT NOT NULL,
  kind TEXT NOT NULL, time_ms BIGINT NOT NULL, input BYTEA NOT NULL, input_before BYTEA NOT NULL, error TEXT NOT NULL,
  mapping_version TEXT NOT NULL, origin TEXT NOT NULL, actor TEXT NOT NULL);
CREATE INDEX dead_letter_history_entry ON dead_letter_history(dead_letter_id, id);
INSERT INTO dead_letter_history(dead_letter_id, kind, time_ms, input, input_before, error, mapping_version, origin,
  actor) SELECT id, 'failed', created_ms, input, ''::bytea, error, mapping_version, origin, '' FROM dead_letters
  ORDER BY id;
CREATE TEMP TABLE dead_letter_fold ON COMMIT DROP AS SELECT o.id AS old_id, (SELECT MAX(n.id) FROM dead_letters n
  WHERE n.flow=o.flow AND n.key=o.key AND n.status='pending' AND n.stage<>'source') AS new_id FROM dead_letters o
  WHERE o.status='pending' AND o.stage<>'source' AND o.key<>'';
DELETE FROM dead_letter_fold WHERE old_id=new_id;
UPDATE dead_letters SET attempts=attempts+(SELECT SUM(o.attempts) FROM dead_letter_fold f JOIN dead_letters o
  ON o.id=f.old_id WHERE f.new_id=dead_letters.id), created_ms=(SELECT MIN(o.created_ms) FROM dead_letter_fold f
  JOIN dead_letters o ON o.id=f.old_id WHERE f.new_id=dead_letters.id)
  WHERE id IN (SELECT new_id FROM dead_letter_fold);
UPDATE dead_letter_history SET dead_letter_id=(SELECT new_id FROM dead_letter_fold WHERE old_id=dead_letter_id)
  WHERE dead_letter_id IN (SELECT old_id FROM dead_letter_fold);
DELETE FROM dead_letters WHERE id IN (SELECT old_id FROM dead_letter_fold);
)sql";

namespace {

constexpr const char* kColumns =
    "id, flow, stage, key, input, error, mapping_version, origin, status, attempts, created_ms, updated_ms, reason, "
    "resolved_by, resolved_version";

DeadLetter read(const PgResult& r, int row) {
  DeadLetter d;
  d.id = r.integer(row, 0);
  d.flow = r.text(row, 1);
  d.stage = parse_stage(r.text(row, 2));
  d.key = r.text(row, 3);
  d.input = r.bytes(row, 4);
  d.error = r.text(row, 5);
  d.mapping_version = r.text(row, 6);
  d.origin = r.text(row, 7);
  d.status = r.text(row, 8);
  d.attempts = static_cast<int>(r.integer(row, 9));
  d.created_ms = r.integer(row, 10);
  d.updated_ms = r.integer(row, 11);
  d.reason = r.text(row, 12);
  d.resolved_by = r.text(row, 13);
  d.resolved_version = r.text(row, 14);
  return d;
}

void add_event(PgConnection& db, int64_t id, const DeadLetterEvent& e) {
  db.exec(
      "INSERT INTO dead_letter_history(dead_letter_id, kind, time_ms, input, input_before, error, mapping_version, "
      "origin, actor) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9)",
      {id, e.kind, e.time_ms, PgParam::bytes(e.input), PgParam::bytes(e.input_before), no_nul(e.error),
       no_nul(e.mapping_version), no_nul(e.origin), no_nul(e.actor)});
}

DeadLetterEvent failure(const DeadLetter& d, int64_t now) {
  return {0, "failed", now, d.input, "", d.error, d.mapping_version, d.origin, ""};
}

// A new entry; without a key (or a source reject) deduplicated as sqlite_dead_letters.cpp says.
void insert(PgConnection& db, const DeadLetter& d, int64_t now) {
  PgResult r = db.exec(
      "INSERT INTO dead_letters(flow, stage, key, input, error, mapping_version, origin, status, attempts, "
      "created_ms, updated_ms, reason) SELECT $1,$2,$3,$4,$5,$6,$7,'pending',1,$8,$8,$9 WHERE $7='' OR "
      "$2='source' OR NOT EXISTS(SELECT 1 FROM dead_letters WHERE flow=$1 AND status='pending' AND stage=$2 AND "
      "(origin=$7 OR (key=$3 AND input=$4))) RETURNING id",
      {d.flow, stage_name(d.stage), no_nul(d.key), PgParam::bytes(d.input), no_nul(d.error), no_nul(d.mapping_version),
       no_nul(d.origin), now, no_nul(dead_letter_reason(d.error))});
  if (r.rows() > 0) add_event(db, r.integer(0, 0), failure(d, now));
}

// Folds a failure into its key's open entry (see sqlite_dead_letters.cpp).
void add_failure(PgConnection& db, const DeadLetter& d, int64_t now) {
  if (d.key.empty() || d.stage == DeadLetterStage::Source) return insert(db, d, now);
  PgResult open = db.exec(
      "SELECT id, input=$3 FROM dead_letters WHERE flow=$1 AND key=$2 AND status IN ('pending','replaying') "
      "AND stage<>'source' ORDER BY id DESC LIMIT 1 FOR UPDATE",
      {d.flow, no_nul(d.key), PgParam::bytes(d.input)});
  if (open.rows() == 0) return insert(db, d, now);
  const int64_t id = open.integer(0, 0);
  if (open.text(0, 1) == "t") return;
  if (db.exec("SELECT 1 FROM dead_letter_history WHERE dead_letter_id=$1 AND kind='failed' AND (($2<>'' AND "
              "origin=$2) OR input=$3) LIMIT 1",
              {id, no_nul(d.origin), PgParam::bytes(d.input)})
          .rows() > 0)
    return;
  db.exec(
      "UPDATE dead_letters SET stage=$1, input=$2, error=$3, reason=$4, mapping_version=$5, origin=$6, "
      "attempts=attempts+1, updated_ms=$7 WHERE id=$8",
      {stage_name(d.stage), PgParam::bytes(d.input), no_nul(d.error), no_nul(dead_letter_reason(d.error)),
       no_nul(d.mapping_version), no_nul(d.origin), now, id});
  add_event(db, id, failure(d, now));
}

// The keys of [begin, end) in one statement: a batch that wrote 1,000 records asks once.
void resolve(PgConnection& db, const std::string& flow, const std::vector<LandedKey>& landed, size_t begin, size_t end,
             int64_t now) {
  if (begin == end) return;
  std::vector<std::string> keys, origins, versions;
  for (size_t i = begin; i < end; ++i) {
    keys.push_back(no_nul(landed[i].key));
    origins.push_back(no_nul(landed[i].origin));
    versions.push_back(no_nul(landed[i].mapping_version));
  }
  auto array = [](const std::vector<std::string>& v) {
    return pg_text_array(std::vector<std::string_view>(v.begin(), v.end()));
  };
  // A key twice: the last one names the version that resolved it.
  db.exec(
      "UPDATE dead_letters d SET status='resolved', resolved_by=l.origin, resolved_version=l.version, updated_ms=$2 "
      "FROM (SELECT DISTINCT ON (key) key, origin, version FROM unnest($3::text[], $4::text[], $5::text[]) WITH "
      "ORDINALITY AS b(key, origin, version, ord) ORDER BY key, ord DESC) l WHERE d.flow=$1 AND d.key=l.key AND "
      "d.status IN ('pending','replaying') AND d.stage<>'source'",
      {flow, now, array(keys), array(origins), array(versions)});
}

// The filter as a WHERE clause; its values appended to `params`.
std::string where(const DeadLetterFilter& f, std::vector<PgParam>& params) {
  auto param = [&](PgParam p) {
    params.push_back(std::move(p));
    return "$" + std::to_string(params.size());
  };
  std::string sql = " WHERE created_ms>=" + param(f.since_ms) + " AND id>" + param(f.after_id);
  if (!f.flow.empty()) sql += " AND flow=" + param(f.flow);
  if (!f.status.empty()) sql += " AND status=" + param(f.status);
  if (!f.key.empty()) sql += " AND key=" + param(no_nul(f.key));
  if (!f.reason.empty()) sql += " AND reason=" + param(no_nul(f.reason));
  if (!f.key_search.empty()) {
    std::string pattern = "%";
    for (char c : no_nul(f.key_search)) {
      if (c == '%' || c == '_' || c == '\\') pattern += '\\';
      pattern += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    // Case-insensitive for ASCII letters only, as SQLite's LIKE.
    sql += " AND translate(key, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') LIKE " +
           param(pattern + "%") + " ESCAPE '\\'";
  }
  if (!f.ids.empty()) {
    std::string array = "{";
    for (int64_t id : f.ids) array += (array.size() > 1 ? "," : "") + std::to_string(id);
    sql += " AND id = ANY(" + param(array + "}") + "::bigint[])";
  }
  return sql;
}

}  // namespace

void fill_reasons(PgConnection& db) {
  PgResult r = db.exec("SELECT id, error FROM dead_letters WHERE reason='' AND error<>''");
  for (int i = 0; i < r.rows(); ++i)
    db.exec("UPDATE dead_letters SET reason=$1 WHERE id=$2",
            {no_nul(dead_letter_reason(r.text(i, 1))), r.integer(i, 0)});
}

void add_rejects(PgConnection& db, const std::vector<DeadLetter>& rejects) {
  const int64_t now = now_ms();
  for (const auto& d : rejects) add_failure(db, d, now);
}

// In the order the batch met them (see sqlite_dead_letters.cpp).
void commit(PgConnection& db, const FlowBatchCommit& batch) {
  const int64_t now = now_ms();
  // A flow with nothing open skips the resolutions met before its first new failure.
  const bool open =
      !batch.landed.empty() &&
      db.exec("SELECT 1 FROM dead_letters WHERE flow=$1 AND status IN ('pending','replaying') LIMIT 1", {batch.flow})
              .rows() > 0;
  size_t next = 0;
  for (size_t i = 0; i <= batch.dead_letters.size(); ++i) {
    size_t end = next;
    while (end < batch.landed.size() && (batch.landed[end].before_dead_letter <= i || i == batch.dead_letters.size()))
      ++end;
    if (open || i > 0) resolve(db, batch.flow, batch.landed, next, end, now);
    next = end;
    if (i < batch.dead_letters.size()) add_failure(db, batch.dead_letters[i], now);
  }
  for (int64_t id : batch.replayed) set_status(db, id, "replayed");
  for (const auto& d : batch.replay_failed) {
    db.exec(
        "UPDATE dead_letters SET status='pending', error=$1, reason=$2, mapping_version=$3, attempts=attempts+1, "
        "updated_ms=$4 WHERE id=$5",
        {no_nul(d.error), no_nul(dead_letter_reason(d.error)), no_nul(d.mapping_version), now, d.id});
    if (auto current = one(db, d.id))
      add_event(db, d.id,
                {0, "replay_failed", now, current->input, "", d.error, d.mapping_version, current->origin, ""});
  }
}

std::vector<DeadLetter> list(PgConnection& db, const DeadLetterFilter& f) {
  std::vector<PgParam> params;
  std::string sql = std::string("SELECT ") + kColumns + " FROM dead_letters" + where(f, params);
  params.emplace_back(int64_t{f.limit});
  PgResult r = db.exec(sql + " ORDER BY id LIMIT $" + std::to_string(params.size()), params);
  std::vector<DeadLetter> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(read(r, i));
  return out;
}

std::optional<DeadLetter> one(PgConnection& db, int64_t id) {
  PgResult r = db.exec(std::string("SELECT ") + kColumns + " FROM dead_letters WHERE id=$1", {id});
  if (r.rows()) return read(r, 0);
  return std::nullopt;
}

std::vector<DeadLetterEvent> history(PgConnection& db, int64_t id) {
  PgResult r = db.exec(
      "SELECT id, kind, time_ms, input, input_before, error, mapping_version, origin, actor FROM dead_letter_history "
      "WHERE dead_letter_id=$1 ORDER BY id",
      {id});
  std::vector<DeadLetterEvent> out;
  for (int i = 0; i < r.rows(); ++i)
    out.push_back({r.integer(i, 0), r.text(i, 1), r.integer(i, 2), r.bytes(i, 3), r.bytes(i, 4), r.text(i, 5),
                   r.text(i, 6), r.text(i, 7), r.text(i, 8)});
  return out;
}

std::vector<DeadLetterGroup> reasons(PgConnection& db, const DeadLetterFilter& f) {
  DeadLetterFilter all = f;
  all.after_id = 0;
  std::vector<PgParam> params;
  PgResult r = db.exec(
      "SELECT g.reason, g.n, g.newest, d.error, d.updated_ms FROM (SELECT reason, COUNT(*) AS n, MAX(id) AS newest "
      "FROM dead_letters" +
          where(all, params) + " GROUP BY reason) g JOIN dead_letters d ON d.id=g.newest ORDER BY g.n DESC, g.reason",
      params);
  std::vector<DeadLetterGroup> out;
  for (int i = 0; i < r.rows(); ++i)
    out.push_back({r.text(i, 0), r.integer(i, 1), r.text(i, 3), r.integer(i, 2), r.integer(i, 4)});
  return out;
}

bool request_replay(PgConnection& db, int64_t id, const std::optional<std::string>& corrected,
                    const std::string& actor) {
  PgTransaction tx(db);
  PgResult r = db.exec("SELECT input, status FROM dead_letters WHERE id=$1 FOR UPDATE", {id});
  if (r.rows() == 0 || (r.text(0, 1) != "pending" && r.text(0, 1) != "replaying")) return false;
  const int64_t now = now_ms();
  const std::string before = r.bytes(0, 0);
  if (corrected && *corrected != before) {
    db.exec("UPDATE dead_letters SET input=$1 WHERE id=$2", {PgParam::bytes(*corrected), id});
    add_event(db, id, {0, "edited", now, *corrected, before, "", "", "", actor});
  }
  add_event(db, id, {0, "replay_requested", now, "", "", "", "", "", actor});
  db.exec("UPDATE dead_letters SET status='replaying', updated_ms=$1 WHERE id=$2", {now, id});
  tx.commit();
  return true;
}

bool discard(PgConnection& db, int64_t id, const std::string& actor) {
  PgTransaction tx(db);
  const int64_t now = now_ms();
  if (db.exec("UPDATE dead_letters SET status='discarded', updated_ms=$2 WHERE id=$1 AND status IN "
              "('pending','replaying')",
              {id, now})
          .affected() == 0)
    return false;
  add_event(db, id, {0, "discarded", now, "", "", "", "", "", actor});
  tx.commit();
  return true;
}

void set_status(PgConnection& db, int64_t id, const char* status) {
  db.exec("UPDATE dead_letters SET status=$1, updated_ms=$2 WHERE id=$3", {status, now_ms(), id});
}

}  // namespace synchub::runtime::postgres_dead_letters
