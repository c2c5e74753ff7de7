// The ERP simulator's hand edits: what an operator does outside any integration, which a
// reconciliation is there to find.
#include "examples/simulators/erp.hpp"

namespace synchub::simulators {

bool ErpSimulator::delete_order(const std::string& external_no) {
  std::lock_guard lock(mu_);
  auto it = id_of_.find(external_no);
  if (it == id_of_.end()) return false;
  by_id_.erase(it->second);  // a row deleted in the database: no business logic runs
  id_of_.erase(it);
  return true;
}

bool ErpSimulator::set_order_total(const std::string& external_no, const std::string& total) {
  std::lock_guard lock(mu_);
  auto it = id_of_.find(external_no);
  if (it == id_of_.end()) return false;
  Json& order = by_id_[it->second];
  order["total"] = total;
  order["modified_at"] = ++clock_;
  return true;
}

std::string ErpSimulator::add_duplicate_order(const std::string& external_no) {
  std::lock_guard lock(mu_);
  auto it = id_of_.find(external_no);
  if (it == id_of_.end()) return "";
  Json copy = by_id_[it->second];
  const std::string id = std::to_string(next_id_++);
  copy["id"] = id;
  copy["modified_at"] = ++clock_;
  by_id_[id] = std::move(copy);  // id_of_ keeps the first: the integration never sees this one
  return id;
}

void ErpSimulator::fail_writes_of(const std::string& external_no) {
  std::lock_guard lock(mu_);
  failing_.insert(external_no);
}

void ErpSimulator::set_down(bool down) {
  std::lock_guard lock(mu_);
  down_ = down;
}

int ErpSimulator::refused_writes() const {
  std::lock_guard lock(mu_);
  return refused_;
}

}  // namespace synchub::simulators
