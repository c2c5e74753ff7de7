// The streams of the `tryton` connector, one factory per entity; what they
// share: the connector's Session and settings.
#pragma once

#include <memory>
#include <stdexcept>

#include "config/hub_config.hpp"
#include "connectors/connector.hpp"
#include "connectors/tryton/rpc.hpp"

namespace synchub::connectors::tryton {

// The connector: one Session shared by its streams (connector.cpp).
std::unique_ptr<Connector> open_connector(const config::ConnectorConfig& config);

struct Shared {
  std::shared_ptr<Session> session;
  std::string warehouse_code;  // stock.location code of the warehouse (orders ship from it, stock is read in it)
};

// Resolves the warehouse's id (once per stream); a code Tryton does not know is a configuration error.
int64_t warehouse_id(Rpc& rpc, const std::string& code);
// Checks that the connector's `company` (the context's) is a Tryton company: else every write
// would fail on it, a configuration error.
void check_company(Rpc& rpc);

// A mapped record the sinks cannot take (missing field, unknown code): a permanent failure.
struct BadInput : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// Runs a source's pull; Tryton (or a proxy before it) asking to wait (Retry-After) is not a failure
// of the source: it is polled again then. A refused login or a wrong URL is the configuration's.
template <class Pull>
PullResult honouring_retry_after(Pull&& pull) {
  try {
    return pull();
  } catch (const RpcError& e) {
    if (e.wait().count() > 0) throw TargetAsksToWait(e.what(), e.wait());
    if (e.configuration()) throw ConfigurationError(e.what());
    throw;
  }
}
// A sink's result for what a record's write threw: Tryton's own errors by their kind; bad input
// (BadInput, a value that is not a decimal or date) is permanent.
inline SinkResult sink_failure(const std::exception& e) {
  if (const auto* rpc = dynamic_cast<const RpcError*>(&e)) {
    const Failure kind = rpc->configuration() ? Failure::Configuration
                         : rpc->transient()   ? Failure::Transient
                                              : Failure::Permanent;
    return SinkResult::failed(kind, e.what(), rpc->wait());
  }
  return SinkResult::failed(Failure::Permanent, e.what());
}
// Whether what a record's write threw stops its batch: after a configuration error or a failed
// login no record can pass, and each one more would be one more refused login in Tryton.
inline bool stops_batch(const std::exception& e) {
  const auto* rpc = dynamic_cast<const RpcError*>(&e);
  return rpc && (rpc->configuration() || rpc->at_login());
}
// The result of a record left unsent after `stop` (a sink_failure that stops its batch).
inline SinkResult not_sent(const SinkResult& stop) {
  return SinkResult::failed(stop.failure(), "not sent: " + stop.error);
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
