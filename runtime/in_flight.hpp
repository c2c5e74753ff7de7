// One write under way whose effects are recorded only once it is durable — the one concept
// behind both ends of a flow: a source's batch being published (its cursor is committed once
// the bus has the events) and a flow's batch that the sink finishes in the background (its
// ledger entries and offsets are committed once the sink has the records). An owner keeps at
// most one: the next write overlaps this one's wait, and settles it before it records anything.
#pragma once

#include <functional>
#include <optional>
#include <utility>

namespace synchub::runtime {

template <class Record>
class InFlight {
 public:
  // `durable` returns once the write is durable and throws when it is not.
  void start(std::function<void()> durable, Record record) {
    durable_ = std::move(durable);
    record_ = std::move(record);
  }
  bool active() const { return record_.has_value(); }
  // What will be recorded (to add to it while the write is under way); null when none is.
  Record* record() { return record_ ? &*record_ : nullptr; }
  // Waits for the write, then hands its record to `commit`. Throws when the write did not land,
  // with nothing committed and nothing left in flight: the caller redoes it.
  template <class Commit>
  void settle(Commit&& commit) {
    if (!record_) return;
    Record record = std::move(*record_);
    std::function<void()> durable = std::move(durable_);
    abandon();
    durable();
    commit(record);
  }
  // Forgets the write unrecorded (another worker owns it now, or it is redone).
  void abandon() {
    record_.reset();
    durable_ = nullptr;
  }

 private:
  std::function<void()> durable_;
  std::optional<Record> record_;
};

}  // namespace synchub::runtime
