#include "runtime/reconcile/spill.hpp"

#include <unistd.h>

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
  db_->exec(
      "CREATE TABLE rows(key BLOB NOT NULL, side INTEGER NOT NULL, doc BLOB NOT NULL, row BLOB NOT NULL);"
      "CREATE UNIQUE INDEX rows_doc ON rows(side, doc);");
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
  db_->cached("INSERT OR REPLACE INTO rows(key, side, doc, row) VALUES(?,?,?,?)")
      .bind_blob_static(1, row.key)
      .bind(2, static_cast<int64_t>(row.side))
      .bind_blob_static(3, row.doc)
      .bind_blob_static(4, bytes)
      .run();
  if (++pending_ >= kRowsPerTransaction) commit();
}

void Spill::commit() {
  if (in_transaction_) db_->exec("COMMIT");
  in_transaction_ = false;
  pending_ = 0;
}

int64_t Spill::documents(Side side) {
  commit();
  auto q = db_->prepare("SELECT COUNT(*) FROM rows WHERE side=?");
  q.bind(1, static_cast<int64_t>(side));
  return q.step() ? q.column_int(0) : 0;
}

void Spill::for_each_key(const std::function<void(std::vector<Row>&)>& each) {
  commit();
  auto q = db_->prepare("SELECT key, row FROM rows ORDER BY key, side, doc");
  std::vector<Row> rows;
  std::string key;
  while (q.step()) {
    const std::string_view k = q.column_view(0);
    if (!rows.empty() && k != key) {
      each(rows);
      rows.clear();
    }
    if (rows.empty()) key.assign(k);
    rows.push_back(decode_row(q.column_view(1)));
  }
  if (!rows.empty()) each(rows);
}

}  // namespace synchub::reconcile
