// Every config shipped in examples/ validates.
#include <gtest/gtest.h>

#include <cstdlib>

#include <filesystem>

#include "config/hub_config.hpp"
#include "connectors/registry.hpp"

namespace synchub::config {
namespace {

TEST(Examples, EveryExampleConfigIsValid) {
  // The quick start takes its endpoints and folder from the environment (run-demo sets them).
  ::setenv("CRM_URL", "http://127.0.0.1:1", 0);
  ::setenv("ERP_URL", "http://127.0.0.1:2", 0);
  ::setenv("DEMO_DIR", "/tmp/synchub-demo", 0);
  int checked = 0;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(std::string(SYNCHUB_SOURCE_DIR) + "/examples")) {
    if (entry.path().filename() != "synchub.yaml") continue;
    EXPECT_NO_THROW(load_hub_config(entry.path().string(), connectors::builtin_registry().specs())) << entry.path();
    ++checked;
  }
  EXPECT_GE(checked, 2);
}

}  // namespace
}  // namespace synchub::config
