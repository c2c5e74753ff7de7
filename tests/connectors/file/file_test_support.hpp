#pragma once

#include "config/hub_config.hpp"
#include "connectors/registry.hpp"
#include "tests/support/files.hpp"

namespace synchub::test {

// Loads a stream `f.s` of the file connector with the given YAML fields
// (indented for the stream body), the way the hub does.
inline config::StreamConfig file_stream(const TempDir& dir, const std::string& fields) {
  write_file(dir.str("stream.yaml"), "connectors:\n  f:\n    type: file\n    streams:\n      s:\n" + fields);
  auto hub = config::load_hub_config(dir.str("stream.yaml"), connectors::builtin_registry().specs());
  return *hub.connector("f")->stream("s");
}

}  // namespace synchub::test
