// The `webhook` connector: a push source. Senders POST JSON (one object, an
// array of objects, or JSON lines) to /hooks/<connector>/<stream>, signed with
// HMAC-SHA256 over "<timestamp>.<body>"; requests outside the time window are
// refused, and a request inside it whose signature (or delivery id) was stored
// before is not published again (replay protection). The hub answers 2xx only
// once the records are durable on the bus.
#pragma once

#include <memory>

#include "connectors/connector.hpp"

namespace synchub::connectors::webhook {

std::unique_ptr<Connector> open_connector();

}  // namespace synchub::connectors::webhook
