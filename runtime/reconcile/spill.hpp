// Rows of both sides kept on disk and read back sorted by key: memory stays bounded (SQLite's
// page cache and its external sorter) however many records a side has.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "runtime/reconcile/row.hpp"

namespace synchub::runtime {
class Database;
class Statement;
}  // namespace synchub::runtime

namespace synchub::reconcile {

class Spill {
 public:
  // A temporary file in `folder`, removed when the spill is destroyed.
  explicit Spill(const std::string& folder);
  ~Spill();
  Spill(const Spill&) = delete;
  Spill& operator=(const Spill&) = delete;

  // A record read twice (a listing that moved while it was read) keeps its last reading: one
  // row per side and document.
  void add(const Row& row);
  // Calls `each` with the rows of one key at a time (source rows first), in key order.
  void for_each_key(const std::function<void(std::vector<Row>&)>& each);
  // Documents kept of one side (each once, however often it was read).
  int64_t documents(Side side);

 private:
  void commit();
  // Drops every reading of a side's documents but the last.
  void keep_last_readings(Side side);

  std::string path_;
  std::unique_ptr<runtime::Database> db_;
  runtime::Statement* insert_ = nullptr;  // owned by db_
  bool in_transaction_ = false;
  int pending_ = 0;
  // Per side: rows added, rowids they span (the sides are read one after the other, so the
  // search for repeated readings scans one side's rows only), and whether rows were added
  // since its repeated readings were last dropped.
  std::array<int64_t, 2> rows_{0, 0}, first_rowid_{INT64_MAX, INT64_MAX}, last_rowid_{0, 0};
  std::array<bool, 2> unsettled_{false, false};
};

}  // namespace synchub::reconcile
