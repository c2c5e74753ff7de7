// Each flow's lag over time, kept in memory (the state store keeps runs, not lag): one sample per
// minute holding the largest lag seen in it, for the last 24 hours. Fed by AdminBoard::publish
// (each scheduler loop); read by the series API (series_api.hpp) for the dashboard's lag charts.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace synchub::runtime {

struct LagSample {
  int64_t minute_ms = 0;  // the minute's start
  int64_t lag_events = 0;
  double lag_seconds = 0;
};

class LagHistory {
 public:
  static constexpr int64_t kMinuteMs = 60'000;
  static constexpr size_t kMinutesKept = 24 * 60;

  // The lag of `flow` at `now_ms` (events not yet handled, age of the oldest in seconds).
  void sample(const std::string& flow, int64_t lag_events, double lag_seconds, int64_t now_ms) {
    const int64_t minute = now_ms - now_ms % kMinuteMs;
    std::lock_guard lock(mu_);
    auto& samples = by_flow_[flow];
    if (samples.empty() || samples.back().minute_ms < minute) {
      samples.push_back({minute, lag_events, lag_seconds});
    } else {  // the same minute (or a clock stepped back): keep the largest
      samples.back().lag_events = std::max(samples.back().lag_events, lag_events);
      samples.back().lag_seconds = std::max(samples.back().lag_seconds, lag_seconds);
    }
    while (!samples.empty() && samples.front().minute_ms <= minute - static_cast<int64_t>(kMinutesKept) * kMinuteMs)
      samples.pop_front();
  }

  // Oldest first.
  std::vector<LagSample> of(const std::string& flow) const {
    std::lock_guard lock(mu_);
    auto it = by_flow_.find(flow);
    return it == by_flow_.end() ? std::vector<LagSample>{}
                                : std::vector<LagSample>(it->second.begin(), it->second.end());
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::deque<LagSample>> by_flow_;
};

}  // namespace synchub::runtime
