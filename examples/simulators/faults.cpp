#include "examples/simulators/faults.hpp"

#include <stdexcept>
#include <thread>

namespace synchub::simulators {

bool Faults::roll(double rate) {
  if (rate <= 0) return false;
  return std::uniform_real_distribution<double>(0, 1)(rng_) < rate;
}

std::optional<http::HttpResponse> Faults::before() {
  std::chrono::milliseconds wait{0};
  std::optional<http::HttpResponse> refusal;
  {
    std::lock_guard lock(mu_);
    auto now = std::chrono::steady_clock::now();
    if (now < throttled_until_) {
      ++early_;  // a client that did not wait as told
      http::HttpResponse r = http::HttpResponse::json(429, R"({"error":"too many requests"})");
      r.headers.emplace_back("Retry-After", std::to_string(options_.retry_after_seconds));
      return r;
    }
    if (roll(options_.latency_rate)) wait = options_.latency;
    if (roll(options_.throttle_rate)) {
      throttled_until_ = now + std::chrono::seconds(options_.retry_after_seconds) - std::chrono::milliseconds(50);
      http::HttpResponse r = http::HttpResponse::json(429, R"({"error":"too many requests"})");
      r.headers.emplace_back("Retry-After", std::to_string(options_.retry_after_seconds));
      refusal = r;
    } else if (roll(options_.error_rate)) {
      refusal = http::HttpResponse::json(503, R"({"error":"service unavailable"})");
    }
  }
  if (wait.count() > 0) std::this_thread::sleep_for(wait);
  return refusal;
}

void Faults::after(http::HttpResponse& response) {
  std::lock_guard lock(mu_);
  if (roll(options_.drop_rate)) {
    response.drop_connection = true;
  } else if (roll(options_.malformed_rate)) {
    response.body = response.body.substr(0, response.body.size() / 2);
  }
}

int Faults::early_retries() const {
  std::lock_guard lock(mu_);
  return early_;
}

}  // namespace synchub::simulators
