// Documents on their way from source to target, each with why: on the flow's topic and not
// yet written (a retry included), dead-lettered, or changed after the hub's last read. A
// document found so is shown as in flight, never as a difference.
#pragma once

#include <string>
#include <unordered_map>

namespace synchub::reconcile {

class PendingIndex {
 public:
  // Keeps the first reason given for a document.
  void add(const std::string& doc, std::string reason) { reasons_.emplace(doc, std::move(reason)); }
  const std::string* reason(const std::string& doc) const {
    auto it = reasons_.find(doc);
    return it == reasons_.end() ? nullptr : &it->second;
  }
  size_t size() const { return reasons_.size(); }

 private:
  std::unordered_map<std::string, std::string> reasons_;
};

}  // namespace synchub::reconcile
