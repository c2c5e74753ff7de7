// Rows of both sides kept on disk and read back sorted by key: memory stays bounded (SQLite's
// page cache and its external sorter) however many records a side has.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "runtime/reconcile/row.hpp"

namespace synchub::runtime {
class Database;
}

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

  std::string path_;
  std::unique_ptr<runtime::Database> db_;
  bool in_transaction_ = false;
  int pending_ = 0;
};

}  // namespace synchub::reconcile
