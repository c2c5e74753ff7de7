// The mapping step of a flow: record in, target record out (a mapping file's plan, or the
// identity mapper for flows without a mapping).
#pragma once

#include <string>
#include <string_view>

namespace synchub::mapping {

enum class MapStatus {
  Mapped,
  Skipped,          // filtered out: counted, not pushed
  Failed,           // this record cannot be mapped: dead-lettered with `error`
  MissingReference  // a cross-reference not there yet (master data on its way): may work later
};

struct MapResult {
  MapStatus status = MapStatus::Mapped;
  std::string output;  // target record as JSON text
  std::string error;   // with the field path, when Failed or MissingReference
  std::string key;     // the mapping's idempotency key, when it defines one
};

class Mapper {
 public:
  virtual ~Mapper() = default;
  [[nodiscard]] virtual MapResult map(std::string_view key, std::string_view record) const = 0;
  // Recorded in the ledger and in dead letters, so a fix can be traced.
  virtual std::string version() const = 0;
};

class IdentityMapper final : public Mapper {
 public:
  MapResult map(std::string_view, std::string_view record) const override {
    return {.status = MapStatus::Mapped, .output = std::string(record), .error = {}, .key = {}};
  }
  std::string version() const override { return "identity"; }
};

}  // namespace synchub::mapping
