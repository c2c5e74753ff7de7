// Test helpers for the `rest` connector: a config with one `api` connector
// of type rest, its streams opened, and a source drained page by page.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/hub_config.hpp"
#include "connectors/registry.hpp"
#include "tests/support/test_support.hpp"

namespace synchub::connectors {

// Loads a config whose `api` connector is of type rest, and opens its streams.
class RestFixture {
 public:
  explicit RestFixture(const std::string& connector_yaml) {
    test::write_file(dir_.path() / "synchub.yaml", "hub: {name: t}\nconnectors:\n" + connector_yaml +
                                                       "  files:\n    type: file\n    streams:\n"
                                                       "      in: {inbox: in}\n      out: {outbox: out}\n" +
                                                       "flows: {}\n");
    config_ = config::load_hub_config(dir_.str("synchub.yaml"), builtin_registry().specs());
    const auto* c = config_->connector("api");
    connector_ = builtin_registry().get("rest").create(*c, Context{"t"});
  }
  std::unique_ptr<SourceStream> source(const std::string& name) {
    return connector_->open_source(*config_->connector("api")->stream(name));
  }
  std::unique_ptr<SinkStream> sink(const std::string& name) {
    return connector_->open_sink(*config_->connector("api")->stream(name));
  }

 private:
  test::TempDir dir_;
  std::optional<config::HubConfig> config_;
  std::unique_ptr<Connector> connector_;
};

// Pulls until the listing is done; returns the keys in order and the final cursor.
inline std::vector<std::string> drain(SourceStream& source, std::string& cursor) {
  std::vector<std::string> keys;
  for (int guard = 0; guard < 100; ++guard) {
    PullResult r = source.pull(cursor, 1000);
    for (const auto& rec : r.records) keys.push_back(rec.key);
    cursor = r.next_cursor;
    if (!r.more) break;
  }
  return keys;
}

}  // namespace synchub::connectors
