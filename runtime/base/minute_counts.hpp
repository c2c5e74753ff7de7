// Counts per minute over the last day, in a ring: cheap to add to, summed when read.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace synchub::runtime {

class MinuteCounts {
 public:
  static constexpr int64_t kMinutes = 24 * 60;
  void add(int64_t at_ms, int64_t n) {
    const int64_t minute = at_ms / 60000;
    Slot& slot = slots_[static_cast<size_t>(minute % kMinutes)];
    if (slot.minute != minute) slot = {minute, 0};
    slot.count += n;
  }
  // The sum over the last `minutes` minutes (the current one included).
  int64_t last(int64_t minutes, int64_t now_ms) const {
    int64_t sum = 0;
    for (const Slot& s : slots_) sum += s.minute > now_ms / 60000 - minutes ? s.count : 0;
    return sum;
  }
  // The count of each of the last `minutes` minutes, oldest first.
  std::vector<int64_t> per_minute(int64_t minutes, int64_t now_ms) const {
    std::vector<int64_t> out(static_cast<size_t>(minutes), 0);
    const int64_t current = now_ms / 60000;
    for (const Slot& s : slots_)
      if (s.minute > current - minutes && s.minute <= current)
        out[static_cast<size_t>(minutes - 1 - (current - s.minute))] = s.count;
    return out;
  }

 private:
  struct Slot {
    int64_t minute = -1;
    int64_t count = 0;
  };
  std::array<Slot, kMinutes> slots_{};
};

}  // namespace synchub::runtime
