#include "runtime/state/sqlite_lineage.hpp"

#include <algorithm>

#include "mapping/record.hpp"

namespace synchub::runtime::sqlite_lineage {

namespace {

constexpr const char* kEventColumns =
    "id, time_ms, flow, key, target_key, kind, origin, event_ms, position, mapping_version, outcome, target_id, "
    "error, attempt";

LineageEvent read_event(Statement& q) {
  LineageEvent e;
  e.id = q.column_int(0);
  e.time_ms = q.column_int(1);
  e.flow = q.column_text(2);
  e.key = q.column_text(3);
  e.target_key = q.column_text(4);
  e.kind = parse_lineage_kind(q.column_text(5));
  e.origin = q.column_text(6);
  e.event_ms = q.column_int(7);
  e.position = q.column_text(8);
  e.mapping_version = q.column_text(9);
  e.outcome = q.column_text(10);
  e.target_id = q.column_text(11);
  e.error = q.column_text(12);
  e.attempt = static_cast<int>(q.column_int(13));
  return e;
}

std::vector<LineageLink> read_links(Statement& q) {
  std::vector<LineageLink> out;
  while (q.step())
    out.push_back({q.column_text(0), q.column_text(1), q.column_text(2), q.column_text(3), q.column_int(4)});
  return out;
}

// Rows go kChunk to a statement: one statement per row costs about a third more (synchub-state-bench).
constexpr size_t kChunk = 32;
constexpr int kColumns = 13;

std::string insert_sql(size_t rows) {
  std::string sql =
      "INSERT INTO lineage(time_ms, flow, key, target_key, kind, origin, event_ms, position, mapping_version, "
      "outcome, target_id, error, attempt) VALUES";
  for (size_t i = 0; i < rows; ++i)
    sql += i ? ",(?,?,?,?,?,?,?,?,?,?,?,?,?)" : "(?,?,?,?,?,?,?,?,?,?,?,?,?)";  // kColumns
  return sql;
}

void bind_event(Statement& q, int at, const std::string& flow, const LineageEvent& e) {
  q.bind(at + 1, e.time_ms)
      .bind_static(at + 2, flow)
      .bind_static(at + 3, e.key)
      .bind_static(at + 4, e.target_key)
      .bind_static(at + 5, lineage_kind_name(e.kind))
      .bind_static(at + 6, e.origin)
      .bind(at + 7, e.event_ms)
      .bind_static(at + 8, e.position)
      .bind_static(at + 9, e.mapping_version)
      .bind_static(at + 10, e.outcome)
      .bind_static(at + 11, e.target_id)
      .bind_static(at + 12, e.error)
      .bind(at + 13, int64_t{e.attempt});
}

}  // namespace

void insert(Database& db, const FlowBatchCommit& batch) {
  const auto& rows = batch.lineage;
  size_t done = 0;
  if (rows.size() >= kChunk) {
    static const std::string chunk_sql = insert_sql(kChunk);
    auto& chunk = db.cached(chunk_sql);
    for (; done + kChunk <= rows.size(); done += kChunk) {  // not copied: `batch` outlives each run()
      for (size_t i = 0; i < kChunk; ++i) bind_event(chunk, kColumns * static_cast<int>(i), batch.flow, rows[done + i]);
      chunk.run();
    }
  }
  if (done < rows.size()) {
    static const std::string one_sql = insert_sql(1);
    auto& one = db.cached(one_sql);
    for (; done < rows.size(); ++done) {
      bind_event(one, 0, batch.flow, rows[done]);
      one.run();
    }
  }
  if (batch.lineage_links.empty()) return;
  auto& link = db.cached(
      "INSERT INTO lineage_links(upstream_flow, upstream_ref, flow, key, updated_ms) VALUES(?,?,?,?,?) "
      "ON CONFLICT(upstream_flow, upstream_ref, flow, key) DO UPDATE SET updated_ms=excluded.updated_ms");
  for (const auto& l : batch.lineage_links)
    link.bind_static(1, l.upstream_flow)
        .bind_static(2, l.upstream_ref)
        .bind_static(3, batch.flow)
        .bind_static(4, l.key)
        .bind(5, l.updated_ms)
        .run();
}

std::vector<LineageEvent> events(Database& db, const std::string& key, int limit) {
  // Disjoint (a target key is kept only when it differs); target_key<>'' spelt out lets SQLite use
  // the partial index on target_key.
  auto q = db.prepare(std::string("SELECT ") + kEventColumns + " FROM lineage WHERE key=?1 UNION ALL SELECT " +
                      kEventColumns + " FROM lineage WHERE target_key=?1 AND target_key<>'' ORDER BY id DESC LIMIT ?2");
  q.bind(1, key).bind(2, int64_t{limit});
  std::vector<LineageEvent> out;
  while (q.step()) out.push_back(read_event(q));
  std::reverse(out.begin(), out.end());
  return out;
}

std::vector<LineageLink> links_to(Database& db, const std::string& upstream_flow, const std::vector<std::string>& refs,
                                  int limit) {
  if (refs.empty()) return {};
  std::string array = "[";  // the refs travel as a JSON array
  for (const auto& ref : refs) {
    if (array.size() > 1) array += ',';
    mapping::append_json_string(array, ref);
  }
  array += ']';
  auto q = db.prepare(
      "SELECT DISTINCT l.flow, l.key, l.upstream_flow, l.upstream_ref, l.updated_ms FROM json_each(?2) j "
      "CROSS JOIN lineage_links l ON l.upstream_flow=?1 AND l.upstream_ref=j.value ORDER BY l.flow, l.key LIMIT ?3");
  q.bind(1, upstream_flow).bind(2, array).bind(3, int64_t{limit});
  return read_links(q);
}

std::vector<LineageLink> links_from(Database& db, const std::string& key) {
  auto q = db.prepare(
      "SELECT flow, key, upstream_flow, upstream_ref, updated_ms FROM lineage_links WHERE key=? "
      "ORDER BY flow, upstream_flow, upstream_ref");
  q.bind(1, key);
  return read_links(q);
}

int64_t prune(Database& db, int64_t before_ms) {
  Transaction tx(db);
  db.prepare("DELETE FROM lineage WHERE time_ms<?").bind(1, before_ms).run();
  int64_t deleted = db.changes();
  db.prepare("DELETE FROM lineage_links WHERE updated_ms<?").bind(1, before_ms).run();
  deleted += db.changes();
  tx.commit();
  return deleted;
}

}  // namespace synchub::runtime::sqlite_lineage
