// Fault injection shared by the simulators: each request may get a 5xx, a
// 429 with Retry-After, a latency spike, a dropped connection or a malformed
// body, at configured rates, reproducibly from a seed.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>

#include "http/http_server.hpp"

namespace synchub::simulators {

struct FaultOptions {
  double error_rate = 0;     // 503 before doing anything
  double throttle_rate = 0;  // 429 with Retry-After: retry_after
  int retry_after_seconds = 1;
  double latency_rate = 0;  // requests that wait `latency` first
  std::chrono::milliseconds latency{0};
  double drop_rate = 0;       // the work is done, then the connection is dropped without an answer
  double malformed_rate = 0;  // the work is done, the answer is cut-off JSON
  uint64_t seed = 1;
};

class Faults {
 public:
  explicit Faults(FaultOptions options) : options_(options), rng_(options.seed) {}

  // Before handling: a refusal to send instead, or nothing.
  std::optional<http::HttpResponse> before();
  // After handling: spoils the answer when a drop or malformed body is due.
  void after(http::HttpResponse& response);

  // The earliest time a throttled client may come back (for checking that
  // Retry-After is honoured), and how many requests came too early.
  int early_retries() const;

 private:
  bool roll(double rate);

  FaultOptions options_;
  mutable std::mutex mu_;
  std::mt19937_64 rng_;
  std::chrono::steady_clock::time_point throttled_until_{};
  int early_ = 0;
};

}  // namespace synchub::simulators
