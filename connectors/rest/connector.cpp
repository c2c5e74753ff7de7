#include "connectors/rest/connector.hpp"

#include "connectors/rest/api.hpp"
#include "connectors/rest/streams.hpp"

namespace synchub::connectors::rest {

RestConnector::RestConnector(const config::ConnectorConfig& config) : api_(std::make_shared<Api>(config.settings)) {}
RestConnector::~RestConnector() = default;

std::unique_ptr<SourceStream> RestConnector::open_source(const config::StreamConfig& stream) {
  return open_rest_source(api_, stream.settings);
}

std::unique_ptr<SinkStream> RestConnector::open_sink(const config::StreamConfig& stream) {
  return open_rest_sink(api_, stream.settings);
}

}  // namespace synchub::connectors::rest
