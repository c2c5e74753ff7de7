// Backfill: read a source again from a point in time and publish what it
// reads to the stream's topic, where every flow from that stream delivers it
// (the delivery ledger skips what the target already has unchanged). The
// live cursor is not touched, so a running hub goes on where it was.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>

#include "connectors/connector.hpp"
#include "runtime/bus/bus.hpp"
#include "runtime/source_poller.hpp"
#include "runtime/state/state_store.hpp"

namespace synchub::runtime {

struct BackfillProgress {
  int64_t records = 0;   // published so far
  int64_t rejected = 0;  // unreadable records, dead-lettered
  int64_t pulls = 0;
  std::optional<double> fraction;  // of the time from `since` to the live cursor's, when the cursor tells
  bool done = false;
};

// Pulls from `since_ms` until the source has nothing more; calls `progress`
// after every pull. Throws when the source cannot backfill (no time cursor)
// or a pull fails (what was published stays published; running it again is safe).
BackfillProgress backfill(const SourceOptions& options, Bus& bus, StateStore& state, connectors::SourceStream& source,
                          int64_t since_ms, const std::function<void(const BackfillProgress&)>& progress,
                          const std::atomic<bool>& stop);

}  // namespace synchub::runtime
