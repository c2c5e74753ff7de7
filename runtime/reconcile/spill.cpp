#include "runtime/reconcile/spill.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>

#include "runtime/base/sqlite.hpp"

namespace synchub::reconcile {

namespace {

std::string temp_name(const std::string& folder) {
  static std::atomic<int> counter{0};
  return (std::filesystem::path(folder) /
          (".reconcile-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".db"))
      .string();
}

constexpr int kRowsPerTransaction = 20000;

}  // namespace

Spill::Spill(const std::string& folder) : path_(temp_name(folder)) {
  std::filesystem::create_directories(folder);
  std::filesystem::remove(path_);
  db_ = std::make_unique<runtime::Database>(path_, false, runtime::Journal::Rollback);
  // A scratch file: nothing in it needs to survive a crash.
  db_->exec("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA temp_store=FILE; PRAGMA cache_size=-32768;");
  // No index on (side, doc): kept up row by row, a unique one cost more than everything else
  // the spill does (its pages are touched in the order the documents come, and at a million
  // documents a side they no longer fit the cache). Repeated readings are dropped once a side
  // has been read, with one sort instead.
  db_->exec(
      "CREATE TABLE rows(key BLOB NOT NULL, side INTEGER NOT NULL, doc BLOB NOT NULL, row BLOB NOT NULL);"
      "CREATE TABLE again(doc BLOB PRIMARY KEY, last INTEGER NOT NULL) WITHOUT ROWID;");
  insert_ = &db_->cached("INSERT INTO rows(key, side, doc, row) VALUES(?,?,?,?)");
}

Spill::~Spill() {
  db_.reset();
  std::error_code ec;
  std::filesystem::remove(path_, ec);
}

void Spill::add(const Row& row) {
  if (!in_transaction_) {
    db_->exec("BEGIN");
    in_transaction_ = true;
  }
  const std::string bytes = encode_row(row);
  insert_->bind_blob_static(1, row.key)
      .bind(2, static_cast<int64_t>(row.side))
      .bind_blob_static(3, row.doc)
      .bind_blob_static(4, bytes)
      .run();
  const auto side = static_cast<size_t>(row.side);
  const int64_t rowid = db_->last_insert_id();
  ++rows_[side];
  first_rowid_[side] = std::min(first_rowid_[side], rowid);
  last_rowid_[side] = std::max(last_rowid_[side], rowid);
  unsettled_[side] = true;
  if (++pending_ >= kRowsPerTransaction) commit();
}

void Spill::commit() {
  if (in_transaction_) db_->exec("COMMIT");
  in_transaction_ = false;
  pending_ = 0;
}

void Spill::keep_last_readings(Side side) {
  const auto s = static_cast<size_t>(side);
  if (!unsettled_[s]) return;
  commit();
  // Documents read more than once (few, usually none), each with its last reading: the one
  // added last, the highest rowid of its (side, doc) (rowids only grow: the highest row is a
  // last reading, never deleted). One sort of the side's documents; cheaper than a window
  // function over them all (ROW_NUMBER() took 2.5 times as long).
  db_->exec("DELETE FROM again");
  db_->prepare(
         "INSERT INTO again SELECT doc, MAX(rowid) FROM rows WHERE rowid BETWEEN ? AND ? AND side = ? "
         "GROUP BY doc HAVING COUNT(*) > 1")
      .bind(1, first_rowid_[s])
      .bind(2, last_rowid_[s])
      .bind(3, static_cast<int64_t>(side))
      .run();
  if (db_->changes() > 0) {
    db_->prepare(
           "DELETE FROM rows WHERE rowid BETWEEN ? AND ? AND side = ? AND "
           "rowid < (SELECT last FROM again WHERE again.doc = rows.doc)")
        .bind(1, first_rowid_[s])
        .bind(2, last_rowid_[s])
        .bind(3, static_cast<int64_t>(side))
        .run();
    rows_[s] -= db_->changes();
  }
  unsettled_[s] = false;
}

int64_t Spill::documents(Side side) {
  keep_last_readings(side);
  return rows_[static_cast<size_t>(side)];
}

void Spill::for_each_key(const std::function<void(std::vector<Row>&)>& each) {
  keep_last_readings(Side::Source);
  keep_last_readings(Side::Target);
  auto q = db_->prepare("SELECT key, doc, row FROM rows ORDER BY key, side, doc");
  std::vector<Row> rows;
  std::string key;
  while (q.step()) {
    const std::string_view k = q.column_view(0);
    if (!rows.empty() && k != key) {
      each(rows);
      rows.clear();
    }
    if (rows.empty()) key.assign(k);
    Row& row = rows.emplace_back(decode_row(q.column_view(2)));
    row.key.assign(k);  // kept in their columns, not again in the row's bytes
    row.doc.assign(q.column_view(1));
  }
  if (!rows.empty()) each(rows);
}

}  // namespace synchub::reconcile
