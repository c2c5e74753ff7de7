// Exponential backoff with jitter, honouring a wait the target asked for.
#pragma once

#include <algorithm>
#include <chrono>
#include <random>

namespace synchub::runtime {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max) : initial_(initial), max_(max) {}

  // Wait before attempt `failures + 1`: initial * 2^(failures-1), capped, with
  // "equal jitter" (half fixed, half random) so retries of many flows spread
  // out; never less than `requested` (Retry-After).
  std::chrono::milliseconds next(int failures, std::chrono::milliseconds requested = {}) {
    auto base = initial_;
    for (int i = 1; i < failures && base < max_; ++i) base *= 2;
    base = std::min(base, max_);
    std::uniform_int_distribution<int64_t> jitter(0, std::max<int64_t>(0, base.count() / 2));
    auto wait = std::chrono::milliseconds(base.count() - base.count() / 2 + jitter(rng_));
    return std::max(wait, requested);
  }

 private:
  std::chrono::milliseconds initial_, max_;
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace synchub::runtime
