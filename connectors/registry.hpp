// Connector registry: `type:` name -> spec + factory. Connectors are linked
// in statically and registered explicitly from the generated registry_all.cpp.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "connectors/connector.hpp"

namespace synchub::connectors {

struct ConnectorType {
  config::ConnectorSpec spec;
  std::function<std::unique_ptr<Connector>(const config::ConnectorConfig&, const Context&)> create;
};

class Registry {
 public:
  // Throws on a name registered twice.
  void add(ConnectorType type);
  // Throws "unknown connector type 'x'; available: a, b" for a missing name.
  const ConnectorType& get(const std::string& name) const;
  std::vector<std::string> registered_names() const;  // sorted
  std::vector<const config::ConnectorSpec*> specs() const;

 private:
  std::map<std::string, ConnectorType> types_;
};

// Every connector compiled in (generated from the synchub_connector() calls).
void register_all(Registry& registry);
const Registry& builtin_registry();

}  // namespace synchub::connectors
