// The names of the `tryton` connector's settings, shared by the spec rows that declare them
// (spec.cpp) and the code that reads them, so that a renamed field cannot leave a reader behind.
// Defaults live in the spec rows only.
#pragma once

namespace synchub::connectors::tryton::field {

inline constexpr const char* kUrl = "url";
inline constexpr const char* kDatabase = "database";
inline constexpr const char* kUsername = "username";
inline constexpr const char* kPassword = "password";
inline constexpr const char* kLanguage = "language";
inline constexpr const char* kCompany = "company";
inline constexpr const char* kWarehouse = "warehouse";
inline constexpr const char* kContext = "context";
inline constexpr const char* kTimeout = "timeout";
inline constexpr const char* kConnectTimeout = "connect_timeout";
inline constexpr const char* kEntity = "entity";
inline constexpr const char* kWorkflow = "workflow";
inline constexpr const char* kAdopt = "adopt";
inline constexpr const char* kStates = "states";
inline constexpr const char* kOverlap = "overlap";
inline constexpr const char* kPageSize = "page_size";
inline constexpr const char* kPollInterval = "poll_interval";

}  // namespace synchub::connectors::tryton::field
