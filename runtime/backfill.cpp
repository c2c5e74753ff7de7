#include "runtime/backfill.hpp"

#include <algorithm>
#include <stdexcept>

#include "runtime/base/clock.hpp"
#include "runtime/base/log.hpp"

namespace synchub::runtime {

BackfillProgress backfill(const SourceOptions& options, Bus& bus, StateStore& state, connectors::SourceStream& source,
                          int64_t since_ms, const std::function<void(const BackfillProgress&)>& progress,
                          const std::atomic<bool>& stop) {
  const std::string name = options.connector + "." + options.stream;
  std::optional<std::string> cursor = source.cursor_at(since_ms);
  if (!cursor)
    throw std::runtime_error(name +
                             " cannot backfill: its cursor is not a time (rest: set cursor.format to iso, "
                             "epoch_ms, epoch_s or a date pattern)");
  // Progress runs from `since` to where the live cursor stands (the newest
  // record read so far), or to now when the source was never read.
  const int64_t until = source.cursor_time_ms(state.cursor(name)).value_or(now_ms());
  BackfillProgress p;
  while (!stop.load()) {
    connectors::PullResult pulled = source.pull(*cursor, options.batch_size);
    ++p.pulls;
    p.records += static_cast<int64_t>(pulled.records.size());
    bus.publish(source_events(options, pulled.records));
    if (!pulled.rejects.empty()) {
      // Dead-lettered under the stream's own name, so `dlq replay` feeds them to the live source.
      std::vector<DeadLetter> rejects;
      for (auto& r : pulled.rejects)
        rejects.push_back({0, name, DeadLetterStage::Source, r.key, std::move(r.input), r.reason, "",
                           "backfill " + r.position, "pending", 1, 0, 0});
      p.rejected += static_cast<int64_t>(rejects.size());
      // The backfill's own cursor row records how far it got ("backfill:" + stream).
      state.commit_source("backfill:" + name, pulled.next_cursor, rejects);
    }
    const bool finished = !pulled.more && (pulled.records.empty() || pulled.next_cursor == *cursor);
    *cursor = pulled.next_cursor;
    if (auto at = source.cursor_time_ms(*cursor); at && until > since_ms)
      p.fraction = std::clamp(static_cast<double>(*at - since_ms) / static_cast<double>(until - since_ms), 0.0, 1.0);
    p.done = finished;
    progress(p);
    if (finished) break;
  }
  log_info("backfill",
           {{"stream", name}, {"records", std::to_string(p.records)}, {"rejected", std::to_string(p.rejected)}},
           p.done ? "backfill finished" : "backfill stopped");
  return p;
}

}  // namespace synchub::runtime
