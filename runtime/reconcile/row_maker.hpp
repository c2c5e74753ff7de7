// Turns the records of one side into rows: the side's mapping (when it has one), then its key,
// filter, time, waiting rule and fields, each evaluated on the record.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "runtime/reconcile/plan.hpp"
#include "runtime/reconcile/row.hpp"

namespace synchub::reconcile {

class RowMaker {
 public:
  RowMaker(const ReconcilePlan& plan, Side side, mapping::XrefResolver* xref);
  ~RowMaker();
  // Fills `row` from one record (JSON) known as `doc` in its system. False with `error` set when
  // the record cannot be read so (it is reported, never left out unsaid) — with `row.key` set
  // when its key could be read, so that its partner is not reported missing as well; false with
  // `error` empty when the side's mapping left it out and it has no key either (nothing to pair).
  bool make(std::string_view doc, std::string_view record, Row& row, std::string& error);

 private:
  struct Scratch;
  bool evaluate(std::string_view json, bool mapped_out, Row& row, std::string& error);

  const ReconcilePlan& plan_;
  const SidePlan& side_plan_;
  Side side_;
  std::unique_ptr<Scratch> scratch_;
};

// The business day ("2024-03-01") or month ("2024-03") of a time in a zone.
std::string calendar_group(int64_t time_us, const mapping::TimeZone& zone, bool month);

}  // namespace synchub::reconcile
