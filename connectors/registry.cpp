#include "connectors/registry.hpp"

#include <stdexcept>

namespace synchub::connectors {

void Registry::add(ConnectorType type) {
  std::string name = type.spec.type;
  if (!types_.emplace(name, std::move(type)).second)
    throw std::logic_error("connector type '" + name + "' registered twice");
}

const ConnectorType& Registry::get(const std::string& name) const {
  auto it = types_.find(name);
  if (it != types_.end()) return it->second;
  std::string available;
  for (const auto& n : registered_names()) available += (available.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown connector type '" + name + "'; available: " + available);
}

std::vector<std::string> Registry::registered_names() const {
  std::vector<std::string> names;
  for (const auto& [name, _] : types_) names.push_back(name);
  return names;
}

std::vector<const config::ConnectorSpec*> Registry::specs() const {
  std::vector<const config::ConnectorSpec*> out;
  for (const auto& [_, type] : types_) out.push_back(&type.spec);
  return out;
}

const Registry& builtin_registry() {
  static const Registry registry = [] {
    Registry r;
    register_all(r);
    return r;
  }();
  return registry;
}

}  // namespace synchub::connectors
