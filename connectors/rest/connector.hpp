// The declarative `rest` connector: HTTP+JSON APIs described in YAML.
// Sources page through a listing (page, offset, cursor, Link header) and
// follow an incremental cursor on a record field with an id tiebreak; sinks
// create, update or upsert records, one per request or in batches, with
// follow-up steps (submit, approve).
#pragma once

#include <memory>

#include "connectors/connector.hpp"

namespace synchub::connectors::rest {

class Api;  // shared by the streams of one connector: client, auth, rate limit

class RestConnector final : public Connector {
 public:
  explicit RestConnector(const config::ConnectorConfig& config);
  ~RestConnector() override;
  std::unique_ptr<SourceStream> open_source(const config::StreamConfig& stream) override;
  std::unique_ptr<SinkStream> open_sink(const config::StreamConfig& stream) override;

 private:
  std::shared_ptr<Api> api_;
};

}  // namespace synchub::connectors::rest
