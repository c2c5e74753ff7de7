// The streams of the `tryton` connector, one factory per entity; what they
// share: the connector's Session and settings.
#pragma once

#include <memory>
#include <stdexcept>

#include "config/hub_config.hpp"
#include "connectors/connector.hpp"
#include "connectors/tryton/rpc.hpp"

namespace synchub::connectors::tryton {

struct Shared {
  std::shared_ptr<Session> session;
  std::string warehouse_code;  // stock.location code of the warehouse (orders ship from it, stock is read in it)
};

// Resolves the warehouse's id (once per stream).
int64_t warehouse_id(Rpc& rpc, const std::string& code);

// A mapped record the sinks cannot take (missing field, unknown code): a permanent failure.
struct BadInput : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// A sink's result for what a record's write threw: Tryton's own errors by their kind; bad input
// (BadInput, a value that is not a decimal or date) is permanent.
inline SinkResult sink_failure(const std::exception& e) {
  if (const auto* rpc = dynamic_cast<const RpcError*>(&e))
    return SinkResult::failed(rpc->transient() ? Failure::Transient : Failure::Permanent, e.what());
  return SinkResult::failed(Failure::Permanent, e.what());
}
// Whether a mapped record has `name`, not null.
inline bool present(const Json& record, const char* name) {
  return record.contains(name) && !record[name].is_null();
}

std::unique_ptr<SinkStream> open_sale_sink(const Shared& shared, const config::Settings& stream);
std::unique_ptr<SinkStream> open_master_sink(const Shared& shared, const std::string& entity,
                                             const config::Settings& stream);
// sale_orders, invoices, customers, products: incremental by write date.
std::unique_ptr<SourceStream> open_changes_source(const Shared& shared, const std::string& entity,
                                                  const config::Settings& stream);
// stock, credit: polled levels, emitting only those that changed.
std::unique_ptr<SourceStream> open_levels_source(const Shared& shared, const std::string& entity,
                                                 const config::Settings& stream);

}  // namespace synchub::connectors::tryton
