// The comparison itself: fed the rows of one key at a time (in key order), it counts each
// group's totals and classifies every document that does not agree.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mapping/decimal.hpp"
#include "runtime/reconcile/pending.hpp"
#include "runtime/reconcile/plan.hpp"
#include "runtime/reconcile/report.hpp"
#include "runtime/reconcile/row.hpp"

namespace synchub::reconcile {

// Business time compared: [since, until), either end open.
struct Window {
  std::optional<int64_t> since_us, until_us;
  bool contains(const std::optional<int64_t>& t) const {
    if (!t) return true;  // a record without a time is never left out by the window
    return (!since_us || *t >= *since_us) && (!until_us || *t < *until_us);
  }
};

class Comparer {
 public:
  Comparer(const ReconcilePlan& plan, const PendingIndex& pending, Window window, Report& report);
  void add_key(std::vector<Row>& rows);
  // A record whose key, time or fields could not be read: listed, never left out unsaid.
  void unreadable(Side side, const std::string& doc, const std::string& reason);
  // A record that cannot be read as it is now, but is on its way (a fix may be coming).
  void in_flight(Side side, const std::string& doc, const std::string& reason);
  // Writes the group totals into the report.
  void finish();

 private:
  void count(const Row& row);
  void compare_pair(const Row& source, const Row& target);
  void report(DocumentDifference difference);
  void listed(DiffClass kind, Side side, const std::string& doc, const std::string& reason);
  void unreadable_pair(const Row& broken);
  std::string group_of(const Row& row) const;
  std::string shown_key(const Row& row) const;
  void group_values(const Row& row, std::vector<std::string>& values) const;
  // Why the document is on its way ("" when it is not).
  std::string on_its_way(const Row* source, const Row* target) const;

  const ReconcilePlan& plan_;
  const PendingIndex& pending_;
  Window window_;
  Report& report_;
  struct Totals {
    std::array<int64_t, 2> count{0, 0};
    std::array<std::vector<mapping::Decimal>, 2> sums;
  };
  std::map<std::vector<std::string>, Totals> groups_;
  std::vector<Row> source_, target_, source_out_, target_out_;  // of the key at hand
  std::vector<std::string> group_;                              // of the row at hand
};

}  // namespace synchub::reconcile
