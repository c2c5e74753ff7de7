// Answers mapping cross-reference lookups (`lookup: {xref: customer, from:
// crm, to: erp}`) from the state store's xref table.
#pragma once

#include "mapping/expression.hpp"
#include "runtime/state/state_store.hpp"

namespace synchub::runtime {

class StateXref final : public mapping::XrefResolver {
 public:
  explicit StateXref(StateStore& state) : state_(state) {}
  std::optional<std::string> find(const std::string& entity, const std::string& from_system,
                                  const std::string& to_system, const std::string& id) override {
    return state_.find_xref(entity, from_system, id, to_system);
  }

 private:
  StateStore& state_;
};

}  // namespace synchub::runtime
