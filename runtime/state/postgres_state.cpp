// PostgreSQL implementation of the state store, for several workers sharing
// one database: the same tables as SQLite, idempotent upserts
// (INSERT ... ON CONFLICT), batch statements over unnest() arrays, and leases
// so that each source stream is polled by one worker at a time.
#include <stdexcept>

#include "runtime/base/clock.hpp"
#include "runtime/state/postgres.hpp"
#include "runtime/state/postgres_dead_letters.hpp"
#include "runtime/state/postgres_lineage.hpp"
#include "runtime/state/state_store.hpp"

namespace synchub::runtime {

namespace {

// Versioned migrations, the same steps as SQLite's, in PostgreSQL's dialect.
const std::vector<const char*> kMigrations = {
    R"sql(
CREATE TABLE cursors(stream TEXT PRIMARY KEY, cursor TEXT NOT NULL, updated_ms BIGINT NOT NULL);
CREATE TABLE ledger(
  flow TEXT NOT NULL, key TEXT NOT NULL, target_id TEXT NOT NULL, content_hash TEXT NOT NULL,
  mapping_version TEXT NOT NULL, updated_ms BIGINT NOT NULL, PRIMARY KEY(flow, key));
CREATE TABLE xref(
  entity TEXT NOT NULL, system_a TEXT NOT NULL, id_a TEXT NOT NULL, system_b TEXT NOT NULL, id_b TEXT NOT NULL,
  updated_ms BIGINT NOT NULL, PRIMARY KEY(entity, system_a, id_a, system_b));
CREATE INDEX xref_reverse ON xref(entity, system_b, id_b, system_a);
CREATE TABLE dead_letters(
  id BIGSERIAL PRIMARY KEY, flow TEXT NOT NULL, stage TEXT NOT NULL, key TEXT NOT NULL,
  input BYTEA NOT NULL, error TEXT NOT NULL, mapping_version TEXT NOT NULL, origin TEXT NOT NULL,
  status TEXT NOT NULL, attempts INTEGER NOT NULL, created_ms BIGINT NOT NULL, updated_ms BIGINT NOT NULL);
CREATE INDEX dead_letters_flow ON dead_letters(flow, status, id);
CREATE TABLE runs(
  id BIGSERIAL PRIMARY KEY, flow TEXT NOT NULL, started_ms BIGINT NOT NULL, finished_ms BIGINT NOT NULL,
  read BIGINT NOT NULL, created BIGINT NOT NULL, updated BIGINT NOT NULL, unchanged BIGINT NOT NULL,
  skipped BIGINT NOT NULL, failed BIGINT NOT NULL, dead_lettered BIGINT NOT NULL, error TEXT NOT NULL);
CREATE INDEX runs_flow ON runs(flow, id);
)sql",
    R"sql(
CREATE TABLE leases(name TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_ms BIGINT NOT NULL);
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
CREATE TABLE push_seen(stream TEXT NOT NULL, key TEXT NOT NULL, expires_ms BIGINT NOT NULL,
  PRIMARY KEY(stream, key));
CREATE INDEX push_seen_expiry ON push_seen(stream, expires_ms);
)sql",
    // Multi-step writes left part-way: a retry resumes where the last attempt stopped.
    R"sql(
CREATE TABLE write_progress(flow TEXT NOT NULL, key TEXT NOT NULL, content_hash TEXT NOT NULL,
  target_id TEXT NOT NULL, resume TEXT NOT NULL, updated_ms BIGINT NOT NULL, PRIMARY KEY(flow, key));
)sql",
    // Reconciliation runs with their reports.
    R"sql(
CREATE TABLE reconciliation_runs(id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL, started_ms BIGINT NOT NULL,
  finished_ms BIGINT NOT NULL, differences BIGINT NOT NULL, in_flight BIGINT NOT NULL, failed BIGINT NOT NULL, report TEXT NOT NULL);
CREATE INDEX reconciliation_runs_name ON reconciliation_runs(name, id);
)sql",
    // Lineage (`synchub trace`): what happened to each record in each flow, found by its key or
    // its target key, forgotten by age; and the documents of other flows records name.
    R"sql(
CREATE TABLE lineage(id BIGSERIAL PRIMARY KEY, time_ms BIGINT NOT NULL, flow TEXT NOT NULL, key TEXT NOT NULL,
  target_key TEXT NOT NULL, kind TEXT NOT NULL, origin TEXT NOT NULL, event_ms BIGINT NOT NULL, position TEXT NOT NULL,
  mapping_version TEXT NOT NULL, outcome TEXT NOT NULL, target_id TEXT NOT NULL, error TEXT NOT NULL,
  attempt INTEGER NOT NULL);
CREATE INDEX lineage_key ON lineage(key);
CREATE INDEX lineage_target_key ON lineage(target_key) WHERE target_key<>'';
CREATE INDEX lineage_time ON lineage(time_ms);
CREATE TABLE lineage_links(upstream_flow TEXT NOT NULL, upstream_ref TEXT NOT NULL, flow TEXT NOT NULL,
  key TEXT NOT NULL, updated_ms BIGINT NOT NULL, PRIMARY KEY(upstream_flow, upstream_ref, flow, key));
CREATE INDEX lineage_links_key ON lineage_links(key);
CREATE INDEX lineage_links_time ON lineage_links(updated_ms);
)sql",
    // Dead letters: one open entry per flow and key, with its history (postgres_dead_letters.cpp).
    postgres_dead_letters::kMigration,
};
constexpr int64_t kDeadLetterHistoryVersion = 9;

ReconciliationRun read_reconciliation(const PgResult& q, int row) {
  ReconciliationRun r;
  r.id = q.integer(row, 0);
  r.name = q.text(row, 1);
  r.started_ms = q.integer(row, 2);
  r.finished_ms = q.integer(row, 3);
  r.differences = q.integer(row, 4);
  r.in_flight = q.integer(row, 5);
  r.failed = q.integer(row, 6) != 0;
  return r;
}

class PostgresState final : public StateStore {
 public:
  explicit PostgresState(const std::string& url) : db_(url) { migrate(); }

  std::string cursor(const std::string& stream) override {
    PgResult r = db_.exec("SELECT cursor FROM cursors WHERE stream=$1", {stream});
    return r.rows() ? r.text(0, 0) : std::string();
  }

  void commit_source(const std::string& stream, const std::string& cursor, const std::vector<DeadLetter>& rejects,
                     const std::string& lease_owner) override {
    PgTransaction tx(db_);
    // Expired but not taken over is still this worker's: nobody else read meanwhile.
    // FOR UPDATE: a worker taking the lease over waits for this commit.
    if (!lease_owner.empty() &&
        db_.exec("SELECT 1 FROM leases WHERE name=$1 AND owner=$2 FOR UPDATE", {source_lease(stream), lease_owner})
                .rows() == 0)
      throw LeaseLost(stream);
    db_.exec(
        "INSERT INTO cursors(stream, cursor, updated_ms) VALUES($1,$2,$3) "
        "ON CONFLICT(stream) DO UPDATE SET cursor=excluded.cursor, updated_ms=excluded.updated_ms",
        {stream, cursor, now_ms()});
    postgres_dead_letters::add_rejects(db_, rejects);
    tx.commit();
  }

  std::vector<std::optional<LedgerEntry>> ledger(const std::string& flow,
                                                 const std::vector<std::string_view>& keys) override {
    std::vector<std::optional<LedgerEntry>> out(keys.size());
    if (keys.empty()) return out;
    std::vector<std::string> clean;
    std::vector<std::string_view> views;
    for (auto k : keys) clean.push_back(no_nul(k));
    for (const auto& k : clean) views.push_back(k);
    // One query for the batch; ordinality gives each key's place.
    PgResult r = db_.exec(
        "SELECT k.ord - 1, l.target_id, l.content_hash, l.mapping_version, l.updated_ms "
        "FROM unnest($2::text[]) WITH ORDINALITY AS k(key, ord) JOIN ledger l ON l.flow=$1 AND l.key=k.key",
        {flow, pg_text_array(views)});
    for (int i = 0; i < r.rows(); ++i) {
      const auto index = static_cast<size_t>(r.integer(i, 0));
      out[index] = LedgerEntry{std::string(keys[index]), r.text(i, 1), r.text(i, 2), r.text(i, 3), r.integer(i, 4)};
    }
    return out;
  }

  void commit_flow_batch(const FlowBatchCommit& batch) override {
    PgTransaction tx(db_);
    if (!batch.ledger.empty()) {
      // One statement for the batch. A key twice in one batch: the last entry wins (ON CONFLICT
      // cannot touch a row twice in one statement, so duplicates are collapsed first).
      std::vector<std::string> keys, targets, hashes, versions, times;
      for (const auto& e : batch.ledger) {
        keys.push_back(no_nul(e.key));
        targets.push_back(no_nul(e.target_id));
        hashes.push_back(e.content_hash);
        versions.push_back(no_nul(e.mapping_version));
        times.push_back(std::to_string(e.updated_ms));
      }
      auto array = [](const std::vector<std::string>& v) {
        return pg_text_array(std::vector<std::string_view>(v.begin(), v.end()));
      };
      db_.exec(
          "INSERT INTO ledger(flow, key, target_id, content_hash, mapping_version, updated_ms) "
          "SELECT DISTINCT ON (key) $1, key, target_id, content_hash, mapping_version, updated_ms::bigint "
          "FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY "
          "AS b(key, target_id, content_hash, mapping_version, updated_ms, ord) ORDER BY key, ord DESC "
          "ON CONFLICT(flow, key) DO UPDATE SET target_id=excluded.target_id, content_hash=excluded.content_hash, "
          "mapping_version=excluded.mapping_version, updated_ms=excluded.updated_ms",
          {batch.flow, array(keys), array(targets), array(hashes), array(versions), array(times)});
    }
    for (const auto& p : batch.progress)
      db_.exec(
          "INSERT INTO write_progress(flow, key, content_hash, target_id, resume, updated_ms) "
          "VALUES($1,$2,$3,$4,$5,$6) ON CONFLICT(flow, key) DO UPDATE SET content_hash=excluded.content_hash, "
          "target_id=excluded.target_id, resume=excluded.resume, updated_ms=excluded.updated_ms",
          {batch.flow, no_nul(p.key), p.content_hash, no_nul(p.target_id), no_nul(p.resume), now_ms()});
    for (const auto& key : batch.progress_done)
      db_.exec("DELETE FROM write_progress WHERE flow=$1 AND key=$2", {batch.flow, no_nul(key)});
    postgres_dead_letters::commit(db_, batch);
    for (const auto& x : batch.xrefs) put_xref(x.entity, x.system_a, x.id_a, x.system_b, x.id_b);
    postgres_lineage::insert(db_, batch);
    tx.commit();
  }

  std::vector<WriteProgress> write_progress(const std::string& flow) override {
    PgResult r =
        db_.exec("SELECT key, content_hash, target_id, resume FROM write_progress WHERE flow=$1 ORDER BY key", {flow});
    std::vector<WriteProgress> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back({r.text(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3)});
    return out;
  }

  void put_xref(const std::string& entity, const std::string& system_a, const std::string& id_a,
                const std::string& system_b, const std::string& id_b) override {
    db_.exec(
        "INSERT INTO xref(entity, system_a, id_a, system_b, id_b, updated_ms) VALUES($1,$2,$3,$4,$5,$6) "
        "ON CONFLICT(entity, system_a, id_a, system_b) DO UPDATE SET id_b=excluded.id_b, "
        "updated_ms=excluded.updated_ms",
        {entity, system_a, no_nul(id_a), system_b, no_nul(id_b), now_ms()});
  }

  std::optional<std::string> find_xref(const std::string& entity, const std::string& from_system,
                                       const std::string& from_id, const std::string& to_system) override {
    PgResult r = db_.exec(
        "SELECT id_b FROM xref WHERE entity=$1 AND system_a=$2 AND id_a=$3 AND system_b=$4 "
        "UNION ALL SELECT id_a FROM xref WHERE entity=$1 AND system_b=$2 AND id_b=$3 AND system_a=$4 LIMIT 1",
        {entity, from_system, no_nul(from_id), to_system});
    if (r.rows()) return r.text(0, 0);
    return std::nullopt;
  }

  std::vector<DeadLetter> dead_letters(const DeadLetterFilter& f) override {
    return postgres_dead_letters::list(db_, f);
  }

  std::optional<DeadLetter> dead_letter(int64_t id) override { return postgres_dead_letters::one(db_, id); }

  std::vector<DeadLetterEvent> dead_letter_history(int64_t id) override {
    return postgres_dead_letters::history(db_, id);
  }

  std::vector<DeadLetterGroup> dead_letter_reasons(const DeadLetterFilter& f) override {
    return postgres_dead_letters::reasons(db_, f);
  }

  bool request_replay(int64_t id, const std::optional<std::string>& corrected_input,
                      const std::string& actor) override {
    return postgres_dead_letters::request_replay(db_, id, corrected_input, actor);
  }

  std::vector<DeadLetter> replay_requests(const std::string& flow, int limit) override {
    return dead_letters({.flow = flow, .status = "replaying", .since_ms = 0, .after_id = 0, .limit = limit});
  }

  void mark_replayed(int64_t id) override { postgres_dead_letters::set_status(db_, id, "replayed"); }

  bool discard(int64_t id, const std::string& actor) override { return postgres_dead_letters::discard(db_, id, actor); }

  int64_t count_dead_letters(const std::string& flow, const std::string& status) override {
    return db_
        .exec("SELECT COUNT(*) FROM dead_letters WHERE ($1='' OR flow=$1) AND ($2='' OR status=$2)", {flow, status})
        .integer(0, 0);
  }

  void record_run(const RunRecord& r) override {
    db_.exec(
        "INSERT INTO runs(flow, started_ms, finished_ms, read, created, updated, unchanged, skipped, failed, "
        "dead_lettered, error) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)",
        {r.flow, r.started_ms, r.finished_ms, r.read, r.created, r.updated, r.unchanged, r.skipped, r.failed,
         r.dead_lettered, no_nul(r.error)});
  }

  std::vector<LineageEvent> lineage(const std::string& key, int limit) override {
    return postgres_lineage::events(db_, key, limit);
  }

  std::vector<LineageLink> lineage_links_to(const std::string& upstream_flow, const std::vector<std::string>& refs,
                                            int limit) override {
    return postgres_lineage::links_to(db_, upstream_flow, refs, limit);
  }

  std::vector<LineageLink> lineage_links_from(const std::string& key) override {
    return postgres_lineage::links_from(db_, key);
  }

  int64_t prune_lineage(int64_t before_ms) override { return postgres_lineage::prune(db_, before_ms); }

  int64_t record_reconciliation(const ReconciliationRun& r) override {
    return db_
        .exec(
            "INSERT INTO reconciliation_runs(name, started_ms, finished_ms, differences, in_flight, failed, report) "
            "VALUES($1,$2,$3,$4,$5,$6,$7) RETURNING id",
            {r.name, r.started_ms, r.finished_ms, r.differences, r.in_flight, int64_t{r.failed}, no_nul(r.report)})
        .integer(0, 0);
  }

  std::vector<ReconciliationRun> reconciliation_runs(const std::string& name, int limit) override {
    PgResult q = db_.exec(
        "SELECT id, name, started_ms, finished_ms, differences, in_flight, failed FROM reconciliation_runs "
        "WHERE $1='' OR name=$1 ORDER BY id DESC LIMIT $2",
        {name, limit});
    std::vector<ReconciliationRun> out;
    for (int i = 0; i < q.rows(); ++i) out.push_back(read_reconciliation(q, i));
    return out;
  }

  std::optional<ReconciliationRun> reconciliation_run(int64_t id) override {
    PgResult q = db_.exec(
        "SELECT id, name, started_ms, finished_ms, differences, in_flight, failed, report FROM reconciliation_runs "
        "WHERE id=$1",
        {id});
    if (q.rows() == 0) return std::nullopt;
    ReconciliationRun r = read_reconciliation(q, 0);
    r.report = q.text(0, 7);
    return r;
  }

  std::vector<RunRecord> runs(const std::string& flow, int limit) override {
    PgResult q = db_.exec(
        "SELECT id, flow, started_ms, finished_ms, read, created, updated, unchanged, skipped, "
        "failed, dead_lettered, error FROM runs WHERE flow=$1 ORDER BY id DESC LIMIT $2",
        {flow, limit});
    std::vector<RunRecord> out;
    for (int i = 0; i < q.rows(); ++i) {
      RunRecord r;
      r.id = q.integer(i, 0);
      r.flow = q.text(i, 1);
      r.started_ms = q.integer(i, 2);
      r.finished_ms = q.integer(i, 3);
      r.read = q.integer(i, 4);
      r.created = q.integer(i, 5);
      r.updated = q.integer(i, 6);
      r.unchanged = q.integer(i, 7);
      r.skipped = q.integer(i, 8);
      r.failed = q.integer(i, 9);
      r.dead_lettered = q.integer(i, 10);
      r.error = q.text(i, 11);
      out.push_back(std::move(r));
    }
    return out;
  }

  // The database clock is not used: workers compare expiry times they wrote
  // themselves, so their clocks should agree within a small part of `ttl`.
  bool acquire_lease(const std::string& name, const std::string& owner, std::chrono::milliseconds ttl) override {
    const int64_t now = now_ms();
    return db_.exec(
                  "INSERT INTO leases(name, owner, expires_ms) VALUES($1, $2, $3) ON CONFLICT(name) DO UPDATE SET "
                  "owner=excluded.owner, expires_ms=excluded.expires_ms "
                  "WHERE leases.owner=$2 OR leases.expires_ms<$4",
                  {name, owner, now + ttl.count(), now})
               .affected() > 0;
  }

  void release_lease(const std::string& name, const std::string& owner) override {
    db_.exec("DELETE FROM leases WHERE name=$1 AND owner=$2", {name, owner});
  }

  bool push_seen(const std::string& stream, const std::vector<std::string>& keys) override {
    for (const auto& key : keys)
      if (db_.exec("SELECT 1 FROM push_seen WHERE stream=$1 AND key=$2 AND expires_ms>=$3", {stream, key, now_ms()})
              .rows() > 0)
        return true;
    return false;
  }

  void remember_push(const std::string& stream, const std::vector<std::string>& keys, int64_t until_ms) override {
    PgTransaction tx(db_);
    db_.exec("DELETE FROM push_seen WHERE stream=$1 AND expires_ms<$2", {stream, now_ms()});
    for (const auto& key : keys)
      db_.exec(
          "INSERT INTO push_seen(stream, key, expires_ms) VALUES($1,$2,$3) ON CONFLICT(stream, key) "
          "DO UPDATE SET expires_ms=GREATEST(push_seen.expires_ms, excluded.expires_ms)",
          {stream, key, until_ms});
    tx.commit();
  }

 private:
  // Under an advisory lock: workers starting together migrate once.
  void migrate() {
    PgTransaction tx(db_);
    db_.exec("SELECT pg_advisory_xact_lock(7362847)");  // synchub's migration lock
    db_.exec("CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)");
    const int64_t version = db_.exec("SELECT COALESCE(MAX(version), 0) FROM schema_version").integer(0, 0);
    if (version > static_cast<int64_t>(kMigrations.size()))
      throw std::runtime_error("the PostgreSQL state has schema version " + std::to_string(version) +
                               ", newer than this synchub knows (" + std::to_string(kMigrations.size()) + ")");
    for (auto v = version; v < static_cast<int64_t>(kMigrations.size()); ++v) {
      db_.exec_script(kMigrations[static_cast<size_t>(v)]);
      db_.exec("INSERT INTO schema_version(version) VALUES($1)", {v + 1});
    }
    if (version < kDeadLetterHistoryVersion) postgres_dead_letters::fill_reasons(db_);
    tx.commit();
  }

  PgConnection db_;
};

}  // namespace

std::unique_ptr<StateStore> open_postgres_state(const std::string& url) {
  return std::make_unique<PostgresState>(url);
}

}  // namespace synchub::runtime
