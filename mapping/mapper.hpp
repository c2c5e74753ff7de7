// The mapping step of a flow: record in, target record out. Until mapping
// files land (rules compiled to a plan), flows use the identity mapper.
#pragma once

#include <string>
#include <string_view>

namespace synchub::mapping {

struct MapResult {
  bool ok = true;
  bool skip = false;   // filtered out: counted, not pushed
  std::string output;  // target record as JSON text
  std::string error;   // with the field path, when !ok
  std::string key;     // the mapping's idempotency key, when it defines one
  bool retry = false;  // failed on a cross-reference not there yet (master data on its way)
};

class Mapper {
 public:
  virtual ~Mapper() = default;
  virtual MapResult map(std::string_view key, std::string_view record) const = 0;
  // Recorded in the ledger and in dead letters, so a fix can be traced.
  virtual std::string version() const = 0;
};

class IdentityMapper final : public Mapper {
 public:
  MapResult map(std::string_view, std::string_view record) const override {
    return {.ok = true, .skip = false, .output = std::string(record), .error = {}, .key = {}};
  }
  std::string version() const override { return "identity"; }
};

}  // namespace synchub::mapping
