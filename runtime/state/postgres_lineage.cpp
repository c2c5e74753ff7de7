#include "runtime/state/postgres_lineage.hpp"

#include <algorithm>

namespace synchub::runtime::postgres_lineage {

namespace {

constexpr const char* kEventColumns =
    "id, time_ms, flow, key, target_key, kind, origin, event_ms, position, mapping_version, outcome, target_id, "
    "error, attempt";

LineageEvent read_event(const PgResult& r, int row) {
  LineageEvent e;
  e.id = r.integer(row, 0);
  e.time_ms = r.integer(row, 1);
  e.flow = r.text(row, 2);
  e.key = r.text(row, 3);
  e.target_key = r.text(row, 4);
  e.kind = parse_lineage_kind(r.text(row, 5));
  e.origin = r.text(row, 6);
  e.event_ms = r.integer(row, 7);
  e.position = r.text(row, 8);
  e.mapping_version = r.text(row, 9);
  e.outcome = r.text(row, 10);
  e.target_id = r.text(row, 11);
  e.error = r.text(row, 12);
  e.attempt = static_cast<int>(r.integer(row, 13));
  return e;
}

std::vector<LineageLink> read_links(const PgResult& r) {
  std::vector<LineageLink> out;
  for (int i = 0; i < r.rows(); ++i)
    out.push_back({r.text(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3), r.integer(i, 4)});
  return out;
}

// Columns of a batch as text[] literals, for one INSERT ... SELECT FROM unnest(...).
class Columns {
 public:
  explicit Columns(size_t count) : values_(count) {}
  void add(size_t column, std::string value) { values_[column].push_back(std::move(value)); }
  std::string array(size_t column) const {
    return pg_text_array(std::vector<std::string_view>(values_[column].begin(), values_[column].end()));
  }

 private:
  std::vector<std::vector<std::string>> values_;
};

void insert_events(PgConnection& db, const FlowBatchCommit& batch) {
  Columns c(12);
  for (const auto& e : batch.lineage) {
    c.add(0, std::to_string(e.time_ms));
    c.add(1, no_nul(e.key));
    c.add(2, no_nul(e.target_key));
    c.add(3, lineage_kind_name(e.kind));
    c.add(4, no_nul(e.origin));
    c.add(5, std::to_string(e.event_ms));
    c.add(6, no_nul(e.position));
    c.add(7, no_nul(e.mapping_version));
    c.add(8, e.outcome);
    c.add(9, no_nul(e.target_id));
    c.add(10, no_nul(e.error));
    c.add(11, std::to_string(e.attempt));
  }
  // WITH ORDINALITY, ORDER BY ord: the ids ascend in the batch's order.
  db.exec(
      "INSERT INTO lineage(time_ms, flow, key, target_key, kind, origin, event_ms, position, mapping_version, "
      "outcome, target_id, error, attempt) SELECT t::bigint, $1, k, tk, kd, o, e::bigint, p, mv, oc, ti, er, a::int "
      "FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], "
      "$10::text[], $11::text[], $12::text[], $13::text[]) WITH ORDINALITY AS b(t, k, tk, kd, o, e, p, mv, oc, ti, er, "
      "a, ord) ORDER BY ord",
      {batch.flow, c.array(0), c.array(1), c.array(2), c.array(3), c.array(4), c.array(5), c.array(6), c.array(7),
       c.array(8), c.array(9), c.array(10), c.array(11)});
}

void insert_links(PgConnection& db, const FlowBatchCommit& batch) {
  Columns c(4);
  for (const auto& l : batch.lineage_links) {
    c.add(0, no_nul(l.upstream_flow));
    c.add(1, no_nul(l.upstream_ref));
    c.add(2, no_nul(l.key));
    c.add(3, std::to_string(l.updated_ms));
  }
  // A link twice in one batch: collapsed first (ON CONFLICT cannot touch a row twice in one statement).
  db.exec(
      "INSERT INTO lineage_links(upstream_flow, upstream_ref, flow, key, updated_ms) "
      "SELECT uf, ur, $1, k, MAX(t::bigint) FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) "
      "AS b(uf, ur, k, t) GROUP BY uf, ur, k "
      "ON CONFLICT(upstream_flow, upstream_ref, flow, key) DO UPDATE SET updated_ms=excluded.updated_ms",
      {batch.flow, c.array(0), c.array(1), c.array(2), c.array(3)});
}

}  // namespace

void insert(PgConnection& db, const FlowBatchCommit& batch) {
  if (!batch.lineage.empty()) insert_events(db, batch);
  if (!batch.lineage_links.empty()) insert_links(db, batch);
}

std::vector<LineageEvent> events(PgConnection& db, const std::string& key, int limit) {
  // Disjoint (a target key is kept only when it differs); target_key<>'' spelt out lets the
  // planner use the partial index on target_key.
  const std::string k = no_nul(key);
  PgResult r =
      db.exec(std::string("SELECT ") + kEventColumns + " FROM lineage WHERE key=$1 UNION ALL SELECT " + kEventColumns +
                  " FROM lineage WHERE target_key=$1 AND target_key<>'' ORDER BY id DESC LIMIT $2",
              {k, limit});
  std::vector<LineageEvent> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(read_event(r, i));
  std::reverse(out.begin(), out.end());
  return out;
}

std::vector<LineageLink> links_to(PgConnection& db, const std::string& upstream_flow,
                                  const std::vector<std::string>& refs, int limit) {
  if (refs.empty()) return {};
  std::vector<std::string> clean;
  for (const auto& ref : refs) clean.push_back(no_nul(ref));
  return read_links(
      db.exec("SELECT flow, key, upstream_flow, upstream_ref, updated_ms FROM lineage_links WHERE upstream_flow=$1 AND "
              "upstream_ref = ANY($2::text[]) ORDER BY flow, key LIMIT $3",
              {upstream_flow, pg_text_array(std::vector<std::string_view>(clean.begin(), clean.end())), limit}));
}

std::vector<LineageLink> links_from(PgConnection& db, const std::string& key) {
  return read_links(
      db.exec("SELECT flow, key, upstream_flow, upstream_ref, updated_ms FROM lineage_links WHERE key=$1 "
              "ORDER BY flow, upstream_flow, upstream_ref",
              {no_nul(key)}));
}

int64_t prune(PgConnection& db, int64_t before_ms) {
  PgTransaction tx(db);
  int64_t deleted = db.exec("DELETE FROM lineage WHERE time_ms<$1", {before_ms}).affected();
  deleted += db.exec("DELETE FROM lineage_links WHERE updated_ms<$1", {before_ms}).affected();
  tx.commit();
  return deleted;
}

}  // namespace synchub::runtime::postgres_lineage
