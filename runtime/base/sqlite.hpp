// Thin RAII wrapper over the SQLite C API: errors become exceptions with the
// statement's SQL and SQLite's message.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace synchub::runtime {

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& other) noexcept;

  Statement& bind(int index, int64_t value);
  Statement& bind(int index, std::string_view text);
  Statement& bind_blob(int index, std::string_view bytes);
  // Bind without copying: `text`/`bytes` must stay alive until the statement is reset.
  Statement& bind_static(int index, std::string_view text);
  Statement& bind_blob_static(int index, std::string_view bytes);
  Statement& bind_null(int index);
  // True while a row is available; false when done. Throws on error.
  bool step();
  void reset();  // also clears bindings
  // Runs to completion, then resets.
  void run();

  int64_t column_int(int index) const;
  std::string column_text(int index) const;
  std::string_view column_view(int index) const;  // valid until the next step
  bool column_is_null(int index) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

enum class Journal {
  Wal,       // readers never block the writer; every page is written twice (WAL, then checkpoint)
  Rollback,  // appended pages are written once: for the append-only bus log
};

class Database {
 public:
  // Opens (creating) the file; `full_sync` flushes every commit to disk.
  Database(const std::string& path, bool full_sync, Journal journal = Journal::Wal);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void exec(std::string_view sql);
  // Page size of a database not yet created (an existing one keeps its own), with the page
  // cache sized again: it would otherwise keep its page count, not its bytes.
  void set_page_size(int bytes);
  Statement prepare(std::string_view sql) { return Statement(db_, sql); }
  // A prepared statement kept for reuse (hot paths), reset and unbound.
  Statement& cached(const std::string& sql);
  int64_t last_insert_id() const { return sqlite3_last_insert_rowid(db_); }
  int changes() const { return sqlite3_changes(db_); }
  const std::string& path() const { return path_; }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
  std::unordered_map<std::string, Statement> statements_;
};

// BEGIN IMMEDIATE ... COMMIT; rolls back when destroyed uncommitted.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace synchub::runtime
