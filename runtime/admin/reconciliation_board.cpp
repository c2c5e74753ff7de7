#include "runtime/admin/reconciliation_board.hpp"

#include <algorithm>

#include "runtime/base/clock.hpp"

namespace synchub::runtime {

const ReconciliationInfo* ReconciliationBoard::find(std::string_view name) const {
  for (const auto& r : configured_)
    if (r.name == name) return &r;
  return nullptr;
}

ReconciliationBoard::Asked ReconciliationBoard::ask(const std::string& name) {
  if (!find(name)) return Asked::Unknown;
  std::lock_guard lock(mu_);
  if (!open_) return Asked::NotRunning;
  // A second request while one waits or runs would only read both systems twice for one answer.
  if (running_ == name || std::find(asked_.begin(), asked_.end(), name) != asked_.end()) return Asked::AlreadyAsked;
  asked_.push_back(name);
  wake_.notify_all();
  return running_.empty() && asked_.size() == 1 ? Asked::Started : Asked::Queued;
}

ReconciliationBoard::Activity ReconciliationBoard::activity() const {
  std::lock_guard lock(mu_);
  return {open_, running_, running_since_ms_, {asked_.begin(), asked_.end()}, next_due_};
}

std::vector<ReconciliationOutcome> ReconciliationBoard::outcomes() const {
  std::lock_guard lock(mu_);
  std::vector<ReconciliationOutcome> out;
  for (const auto& [name, outcome] : outcomes_) out.push_back(outcome);
  return out;
}

void ReconciliationBoard::open() {
  std::lock_guard lock(mu_);
  open_ = true;
}

void ReconciliationBoard::close() {
  std::lock_guard lock(mu_);
  open_ = false;
  asked_.clear();
  next_due_.clear();
  wake_.notify_all();
}

bool ReconciliationBoard::next(std::chrono::steady_clock::time_point until, std::string& name) {
  std::unique_lock lock(mu_);
  wake_.wait_until(lock, until, [this] { return !open_ || !asked_.empty(); });
  name.clear();
  if (!open_) return false;
  if (!asked_.empty()) {
    name = asked_.front();
    asked_.pop_front();
    running_ = name;
    running_since_ms_ = now_ms();
  }
  return true;
}

void ReconciliationBoard::begin(const std::string& name, int64_t now_ms) {
  std::lock_guard lock(mu_);
  running_ = name;
  running_since_ms_ = now_ms;
  asked_.erase(std::remove(asked_.begin(), asked_.end(), name), asked_.end());
}

void ReconciliationBoard::end(const ReconciliationOutcome* outcome) {
  std::lock_guard lock(mu_);
  if (outcome) outcomes_[outcome->name] = *outcome;
  running_.clear();
  running_since_ms_ = 0;
}

void ReconciliationBoard::observe(const ReconciliationOutcome& outcome) {
  std::lock_guard lock(mu_);
  const auto known = outcomes_.find(outcome.name);
  if (known == outcomes_.end() || known->second.run_id < outcome.run_id) outcomes_[outcome.name] = outcome;
}

void ReconciliationBoard::set_next_due(const std::string& name, int64_t due_ms) {
  std::lock_guard lock(mu_);
  next_due_[name] = due_ms;
}

}  // namespace synchub::runtime
