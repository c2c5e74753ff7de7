// The `webhook` connector: a push source. Senders POST JSON (one object, an
// array of objects, or JSON lines) to /hooks/<connector>/<stream>, signed by one
// of the schemes of signature_schemes.hpp; requests outside the time window are
// refused, and a request inside it whose signature (or delivery id) was stored
// before is not published again (replay protection). The hub answers 2xx only
// once the records are durable on the bus.
#pragma once

#include <memory>

#include "connectors/connector.hpp"

namespace synchub::connectors::webhook {

std::unique_ptr<Connector> open_connector();

// Setting names, shared by the spec rows (spec.cpp) and the code that reads them.
namespace field {
inline constexpr const char* kKey = "key";
inline constexpr const char* kSecret = "secret";
inline constexpr const char* kSignatureHeader = "signature_header";
inline constexpr const char* kTimestampHeader = "timestamp_header";
inline constexpr const char* kDeliveryHeader = "delivery_header";
inline constexpr const char* kTolerance = "tolerance";
inline constexpr const char* kSignature = "signature";  // a section: scheme, secrets, header
inline constexpr const char* kSignatureScheme = "signature.scheme";
inline constexpr const char* kSignatureSecrets = "signature.secrets";
inline constexpr const char* kSignatureHeaderOf = "signature.header";
}  // namespace field

}  // namespace synchub::connectors::webhook
