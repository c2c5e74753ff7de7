// SQLite implementation of the state store.
#include <stdexcept>

#include "mapping/record.hpp"
#include "runtime/base/clock.hpp"
#include "runtime/base/sqlite.hpp"
#include "runtime/state/sqlite_dead_letters.hpp"
#include "runtime/state/sqlite_lineage.hpp"
#include "runtime/state/state_store.hpp"

namespace synchub::runtime {

namespace {

// Versioned migrations: each runs once, in order, recorded in schema_version.
const std::vector<const char*> kMigrations = {
    R"sql(
CREATE TABLE cursors(stream TEXT PRIMARY KEY, cursor TEXT NOT NULL, updated_ms INTEGER NOT NULL);
CREATE TABLE ledger(
  flow TEXT NOT NULL, key TEXT NOT NULL, target_id TEXT NOT NULL, content_hash TEXT NOT NULL,
  mapping_version TEXT NOT NULL, updated_ms INTEGER NOT NULL, PRIMARY KEY(flow, key)) WITHOUT ROWID;
CREATE TABLE xref(
  entity TEXT NOT NULL, system_a TEXT NOT NULL, id_a TEXT NOT NULL, system_b TEXT NOT NULL, id_b TEXT NOT NULL,
  updated_ms INTEGER NOT NULL, PRIMARY KEY(entity, system_a, id_a, system_b));
CREATE INDEX xref_reverse ON xref(entity, system_b, id_b, system_a);
CREATE TABLE dead_letters(
  id INTEGER PRIMARY KEY AUTOINCREMENT, flow TEXT NOT NULL, stage TEXT NOT NULL, key TEXT NOT NULL,
  input BLOB NOT NULL, error TEXT NOT NULL, mapping_version TEXT NOT NULL, origin TEXT NOT NULL,
  status TEXT NOT NULL, attempts INTEGER NOT NULL, created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);
CREATE INDEX dead_letters_flow ON dead_letters(flow, status, id);
CREATE TABLE runs(
  id INTEGER PRIMARY KEY AUTOINCREMENT, flow TEXT NOT NULL, started_ms INTEGER NOT NULL, finished_ms INTEGER NOT NULL,
  read INTEGER NOT NULL, created INTEGER NOT NULL, updated INTEGER NOT NULL, unchanged INTEGER NOT NULL,
  skipped INTEGER NOT NULL, failed INTEGER NOT NULL, dead_lettered INTEGER NOT NULL, error TEXT NOT NULL);
CREATE INDEX runs_flow ON runs(flow, id);
)sql",
    R"sql(
CREATE TABLE leases(name TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_ms INTEGER NOT NULL);
)sql",
    // A dead letter is looked up by its origin before one is added (redeliveries add none).
    R"sql(
CREATE INDEX dead_letters_origin ON dead_letters(flow, origin);
)sql",
    // ... and by its key: a record published again (a source re-read after a takeover) has a new origin.
    R"sql(
CREATE INDEX dead_letters_key ON dead_letters(flow, key);
)sql",
    // Webhook requests stored, until their time window ends (replays are refused).
    R"sql(
CREATE TABLE push_seen(stream TEXT NOT NULL, key TEXT NOT NULL, expires_ms INTEGER NOT NULL,
  PRIMARY KEY(stream, key)) WITHOUT ROWID;
CREATE INDEX push_seen_expiry ON push_seen(stream, expires_ms);
)sql",
    // Multi-step writes left part-way: a retry resumes where the last attempt stopped.
    R"sql(
CREATE TABLE write_progress(flow TEXT NOT NULL, key TEXT NOT NULL, content_hash TEXT NOT NULL,
  target_id TEXT NOT NULL, resume TEXT NOT NULL, updated_ms INTEGER NOT NULL, PRIMARY KEY(flow, key)) WITHOUT ROWID;
)sql",
    // Reconciliation runs with their reports.
    R"sql(
CREATE TABLE reconciliation_runs(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, started_ms INTEGER NOT NULL,
  finished_ms INTEGER NOT NULL, differences INTEGER NOT NULL, in_flight INTEGER NOT NULL, failed INTEGER NOT NULL, report TEXT NOT NULL);
CREATE INDEX reconciliation_runs_name ON reconciliation_runs(name, id);
)sql",
    // Lineage (`synchub trace`): what happened to each record in each flow, found by its key or
    // its target key, forgotten by age; and the documents of other flows records name.
    R"sql(
CREATE TABLE lineage(id INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL, flow TEXT NOT NULL, key TEXT NOT NULL,
  target_key TEXT NOT NULL, kind TEXT NOT NULL, origin TEXT NOT NULL, event_ms INTEGER NOT NULL, position TEXT NOT NULL,
  mapping_version TEXT NOT NULL, outcome TEXT NOT NULL, target_id TEXT NOT NULL, error TEXT NOT NULL,
  attempt INTEGER NOT NULL);
CREATE INDEX lineage_key ON lineage(key);
CREATE INDEX lineage_target_key ON lineage(target_key) WHERE target_key<>'';
CREATE INDEX lineage_time ON lineage(time_ms);
CREATE TABLE lineage_links(upstream_flow TEXT NOT NULL, upstream_ref TEXT NOT NULL, flow TEXT NOT NULL,
  key TEXT NOT NULL, updated_ms INTEGER NOT NULL, PRIMARY KEY(upstream_flow, upstream_ref, flow, key)) WITHOUT ROWID;
CREATE INDEX lineage_links_key ON lineage_links(key);
CREATE INDEX lineage_links_time ON lineage_links(updated_ms);
)sql",
    // Dead letters: one open entry per flow and key, with its history (sqlite_dead_letters.cpp).
    sqlite_dead_letters::kMigration,
};
constexpr int64_t kDeadLetterHistoryVersion = 9;

ReconciliationRun read_reconciliation(Statement& q) {
  ReconciliationRun r;
  r.id = q.column_int(0);
  r.name = q.column_text(1);
  r.started_ms = q.column_int(2);
  r.finished_ms = q.column_int(3);
  r.differences = q.column_int(4);
  r.in_flight = q.column_int(5);
  r.failed = q.column_int(6) != 0;
  return r;
}

class SqliteState final : public StateStore {
 public:
  SqliteState(const std::string& path, bool fsync) : db_(path, fsync) {
    check_integrity(path);
    migrate();
  }

  std::string cursor(const std::string& stream) override {
    auto q = db_.prepare("SELECT cursor FROM cursors WHERE stream=?");
    q.bind(1, stream);
    return q.step() ? q.column_text(0) : std::string();
  }

  void commit_source(const std::string& stream, const std::string& cursor, const std::vector<DeadLetter>& rejects,
                     const std::string& lease_owner) override {
    Transaction tx(db_);
    if (!lease_owner.empty()) {
      // Expired but not taken over is still this worker's: nobody else read meanwhile.
      auto held = db_.prepare("SELECT 1 FROM leases WHERE name=? AND owner=?");
      held.bind(1, source_lease(stream)).bind(2, lease_owner);
      if (!held.step()) throw LeaseLost(stream);
    }
    db_.prepare(
           "INSERT INTO cursors(stream, cursor, updated_ms) VALUES(?,?,?) "
           "ON CONFLICT(stream) DO UPDATE SET cursor=excluded.cursor, updated_ms=excluded.updated_ms")
        .bind(1, stream)
        .bind(2, cursor)
        .bind(3, now_ms())
        .run();
    sqlite_dead_letters::add_rejects(db_, rejects);
    tx.commit();
  }

  std::vector<std::optional<LedgerEntry>> ledger(const std::string& flow,
                                                 const std::vector<std::string_view>& keys) override {
    std::vector<std::optional<LedgerEntry>> out(keys.size());
    if (keys.empty()) return out;
    // One query for the whole batch: the keys travel as a JSON array.
    std::string array = "[";
    for (auto key : keys) {
      if (array.size() > 1) array += ',';
      mapping::append_json_string(array, key);
    }
    array += ']';
    auto& q = db_.cached(
        "SELECT j.key, l.target_id, l.content_hash, l.mapping_version, l.updated_ms FROM json_each(?2) j "
        "CROSS JOIN ledger l ON l.flow=?1 AND l.key=j.value");  // CROSS: keys drive the index lookups
    q.bind(1, flow).bind(2, array);
    while (q.step()) {
      auto index = static_cast<size_t>(q.column_int(0));
      out[index] =
          LedgerEntry{std::string(keys[index]), q.column_text(1), q.column_text(2), q.column_text(3), q.column_int(4)};
    }
    q.reset();
    return out;
  }

  void commit_flow_batch(const FlowBatchCommit& batch) override {
    Transaction tx(db_);
    auto& upsert = db_.cached(
        "INSERT INTO ledger(flow, key, target_id, content_hash, mapping_version, updated_ms) VALUES(?,?,?,?,?,?) "
        "ON CONFLICT(flow, key) DO UPDATE SET target_id=excluded.target_id, content_hash=excluded.content_hash, "
        "mapping_version=excluded.mapping_version, updated_ms=excluded.updated_ms");
    for (const auto& e : batch.ledger)  // not copied: `batch` outlives each run()
      upsert.bind_static(1, batch.flow)
          .bind_static(2, e.key)
          .bind_static(3, e.target_id)
          .bind_static(4, e.content_hash)
          .bind_static(5, e.mapping_version)
          .bind(6, e.updated_ms)
          .run();
    auto& progress = db_.cached(
        "INSERT INTO write_progress(flow, key, content_hash, target_id, resume, updated_ms) VALUES(?,?,?,?,?,?) "
        "ON CONFLICT(flow, key) DO UPDATE SET content_hash=excluded.content_hash, target_id=excluded.target_id, "
        "resume=excluded.resume, updated_ms=excluded.updated_ms");
    for (const auto& p : batch.progress)
      progress.bind_static(1, batch.flow)
          .bind_static(2, p.key)
          .bind_static(3, p.content_hash)
          .bind_static(4, p.target_id)
          .bind_static(5, p.resume)
          .bind(6, now_ms())
          .run();
    for (const auto& key : batch.progress_done)
      db_.cached("DELETE FROM write_progress WHERE flow=? AND key=?")
          .bind_static(1, batch.flow)
          .bind_static(2, key)
          .run();
    sqlite_dead_letters::commit(db_, batch);
    for (const auto& x : batch.xrefs) put_xref(x.entity, x.system_a, x.id_a, x.system_b, x.id_b);
    sqlite_lineage::insert(db_, batch);
    tx.commit();
  }

  std::vector<WriteProgress> write_progress(const std::string& flow) override {
    auto q = db_.prepare("SELECT key, content_hash, target_id, resume FROM write_progress WHERE flow=? ORDER BY key");
    q.bind(1, flow);
    std::vector<WriteProgress> out;
    while (q.step()) out.push_back({q.column_text(0), q.column_text(1), q.column_text(2), q.column_text(3)});
    return out;
  }

  void put_xref(const std::string& entity, const std::string& system_a, const std::string& id_a,
                const std::string& system_b, const std::string& id_b) override {
    db_.cached(
           "INSERT INTO xref(entity, system_a, id_a, system_b, id_b, updated_ms) VALUES(?,?,?,?,?,?) "
           "ON CONFLICT(entity, system_a, id_a, system_b) DO UPDATE SET id_b=excluded.id_b, "
           "updated_ms=excluded.updated_ms")
        .bind(1, entity)
        .bind(2, system_a)
        .bind(3, id_a)
        .bind(4, system_b)
        .bind(5, id_b)
        .bind(6, now_ms())
        .run();
  }

  std::optional<std::string> find_xref(const std::string& entity, const std::string& from_system,
                                       const std::string& from_id, const std::string& to_system) override {
    // Either direction: a pair stored as (crm, C-1, erp, 42) answers both ways.
    auto q = db_.prepare(
        "SELECT id_b FROM xref WHERE entity=?1 AND system_a=?2 AND id_a=?3 AND system_b=?4 "
        "UNION ALL SELECT id_a FROM xref WHERE entity=?1 AND system_b=?2 AND id_b=?3 AND system_a=?4 LIMIT 1");
    q.bind(1, entity).bind(2, from_system).bind(3, from_id).bind(4, to_system);
    if (q.step()) return q.column_text(0);
    return std::nullopt;
  }

  std::vector<DeadLetter> dead_letters(const DeadLetterFilter& f) override { return sqlite_dead_letters::list(db_, f); }

  std::optional<DeadLetter> dead_letter(int64_t id) override { return sqlite_dead_letters::one(db_, id); }

  std::vector<DeadLetterEvent> dead_letter_history(int64_t id) override {
    return sqlite_dead_letters::history(db_, id);
  }

  std::vector<DeadLetterGroup> dead_letter_reasons(const DeadLetterFilter& f) override {
    return sqlite_dead_letters::reasons(db_, f);
  }

  bool request_replay(int64_t id, const std::optional<std::string>& corrected_input,
                      const std::string& actor) override {
    return sqlite_dead_letters::request_replay(db_, id, corrected_input, actor);
  }

  std::vector<DeadLetter> replay_requests(const std::string& flow, int limit) override {
    return dead_letters({.flow = flow, .status = "replaying", .since_ms = 0, .after_id = 0, .limit = limit});
  }

  void mark_replayed(int64_t id) override { sqlite_dead_letters::set_status(db_, id, "replayed"); }

  bool discard(int64_t id, const std::string& actor) override { return sqlite_dead_letters::discard(db_, id, actor); }

  int64_t count_dead_letters(const std::string& flow, const std::string& status) override {
    auto q = db_.prepare("SELECT COUNT(*) FROM dead_letters WHERE (?1='' OR flow=?1) AND (?2='' OR status=?2)");
    q.bind(1, flow).bind(2, status);
    q.step();
    return q.column_int(0);
  }

  void record_run(const RunRecord& r) override {
    db_.prepare(
           "INSERT INTO runs(flow, started_ms, finished_ms, read, created, updated, unchanged, skipped, failed, "
           "dead_lettered, error) VALUES(?,?,?,?,?,?,?,?,?,?,?)")
        .bind(1, r.flow)
        .bind(2, r.started_ms)
        .bind(3, r.finished_ms)
        .bind(4, r.read)
        .bind(5, r.created)
        .bind(6, r.updated)
        .bind(7, r.unchanged)
        .bind(8, r.skipped)
        .bind(9, r.failed)
        .bind(10, r.dead_lettered)
        .bind(11, r.error)
        .run();
  }

  bool acquire_lease(const std::string& name, const std::string& owner, std::chrono::milliseconds ttl) override {
    const int64_t now = now_ms();
    db_.prepare(
           "INSERT INTO leases(name, owner, expires_ms) VALUES(?1, ?2, ?3) ON CONFLICT(name) DO UPDATE SET "
           "owner=excluded.owner, expires_ms=excluded.expires_ms WHERE leases.owner=?2 OR leases.expires_ms<?4")
        .bind(1, name)
        .bind(2, owner)
        .bind(3, now + ttl.count())
        .bind(4, now)
        .run();
    return db_.changes() > 0;
  }

  void release_lease(const std::string& name, const std::string& owner) override {
    db_.prepare("DELETE FROM leases WHERE name=? AND owner=?").bind(1, name).bind(2, owner).run();
  }

  bool push_seen(const std::string& stream, const std::vector<std::string>& keys) override {
    auto& q = db_.cached("SELECT 1 FROM push_seen WHERE stream=? AND key=? AND expires_ms>=?");
    for (const auto& key : keys) {
      q.bind(1, stream).bind(2, key).bind(3, now_ms());
      const bool seen = q.step();
      q.reset();
      if (seen) return true;
    }
    return false;
  }

  void remember_push(const std::string& stream, const std::vector<std::string>& keys, int64_t until_ms) override {
    Transaction tx(db_);
    db_.cached("DELETE FROM push_seen WHERE stream=? AND expires_ms<?").bind(1, stream).bind(2, now_ms()).run();
    auto& insert = db_.cached(
        "INSERT INTO push_seen(stream, key, expires_ms) VALUES(?,?,?) "
        "ON CONFLICT(stream, key) DO UPDATE SET expires_ms=MAX(expires_ms, excluded.expires_ms)");
    for (const auto& key : keys) insert.bind(1, stream).bind(2, key).bind(3, until_ms).run();
    tx.commit();
  }

  std::vector<LineageEvent> lineage(const std::string& key, int limit) override {
    return sqlite_lineage::events(db_, key, limit);
  }

  std::vector<LineageLink> lineage_links_to(const std::string& upstream_flow, const std::vector<std::string>& refs,
                                            int limit) override {
    return sqlite_lineage::links_to(db_, upstream_flow, refs, limit);
  }

  std::vector<LineageLink> lineage_links_from(const std::string& key) override {
    return sqlite_lineage::links_from(db_, key);
  }

  int64_t prune_lineage(int64_t before_ms) override { return sqlite_lineage::prune(db_, before_ms); }

  int64_t record_reconciliation(const ReconciliationRun& r) override {
    db_.prepare(
           "INSERT INTO reconciliation_runs(name, started_ms, finished_ms, differences, in_flight, failed, report) "
           "VALUES(?,?,?,?,?,?,?)")
        .bind(1, r.name)
        .bind(2, r.started_ms)
        .bind(3, r.finished_ms)
        .bind(4, r.differences)
        .bind(5, r.in_flight)
        .bind(6, int64_t{r.failed})
        .bind(7, r.report)
        .run();
    return db_.last_insert_id();
  }

  std::vector<ReconciliationRun> reconciliation_runs(const std::string& name, int limit) override {
    auto q = db_.prepare(
        "SELECT id, name, started_ms, finished_ms, differences, in_flight, failed FROM reconciliation_runs "
        "WHERE ?1='' OR name=?1 ORDER BY id DESC LIMIT ?2");
    q.bind(1, name).bind(2, int64_t{limit});
    std::vector<ReconciliationRun> out;
    while (q.step()) out.push_back(read_reconciliation(q));
    return out;
  }

  std::optional<ReconciliationRun> reconciliation_run(int64_t id) override {
    auto q = db_.prepare(
        "SELECT id, name, started_ms, finished_ms, differences, in_flight, failed, report FROM reconciliation_runs "
        "WHERE id=?");
    q.bind(1, id);
    if (!q.step()) return std::nullopt;
    ReconciliationRun r = read_reconciliation(q);
    r.report = q.column_text(7);
    return r;
  }

  std::vector<RunRecord> runs(const std::string& flow, int limit) override {
    auto q = db_.prepare(
        "SELECT id, flow, started_ms, finished_ms, read, created, updated, unchanged, skipped, "
        "failed, dead_lettered, error FROM runs WHERE flow=? ORDER BY id DESC LIMIT ?");
    q.bind(1, flow).bind(2, int64_t{limit});
    std::vector<RunRecord> out;
    while (q.step()) {
      RunRecord r;
      r.id = q.column_int(0);
      r.flow = q.column_text(1);
      r.started_ms = q.column_int(2);
      r.finished_ms = q.column_int(3);
      r.read = q.column_int(4);
      r.created = q.column_int(5);
      r.updated = q.column_int(6);
      r.unchanged = q.column_int(7);
      r.skipped = q.column_int(8);
      r.failed = q.column_int(9);
      r.dead_lettered = q.column_int(10);
      r.error = q.column_text(11);
      out.push_back(std::move(r));
    }
    return out;
  }

 private:
  // A quick structural check at every start (seconds for a large file, not the full
  // integrity_check): a damaged ledger would re-send or skip records silently.
  void check_integrity(const std::string& path) {
    auto q = db_.prepare("PRAGMA quick_check(5)");
    std::string problems;
    while (q.step()) {
      const std::string line = q.column_text(0);
      if (line == "ok") return;
      problems += (problems.empty() ? "" : "; ") + line;
    }
    throw std::runtime_error("state store " + path + " is damaged (quick_check: " + problems +
                             "): restore it from a backup; ledger, cursors and dead letters cannot be trusted");
  }

  void migrate() {
    db_.exec("CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)");
    Transaction tx(db_);
    auto q = db_.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version");
    q.step();
    int64_t version = q.column_int(0);
    q.reset();
    if (version > static_cast<int64_t>(kMigrations.size()))
      throw std::runtime_error("state store " + db_.path() + " has schema version " + std::to_string(version) +
                               ", newer than this synchub knows (" + std::to_string(kMigrations.size()) + ")");
    for (auto v = version; v < static_cast<int64_t>(kMigrations.size()); ++v) {
      db_.exec(kMigrations[static_cast<size_t>(v)]);
      db_.prepare("INSERT INTO schema_version(version) VALUES(?)").bind(1, v + 1).run();
    }
    if (version < kDeadLetterHistoryVersion) sqlite_dead_letters::fill_reasons(db_);
    tx.commit();
  }

  Database db_;
};

}  // namespace

std::unique_ptr<StateStore> open_sqlite_state(const std::string& path, bool fsync) {
  return std::make_unique<SqliteState>(path, fsync);
}

}  // namespace synchub::runtime
