// Every config shipped in examples/ validates.
#include <gtest/gtest.h>

#include <filesystem>

#include "config/hub_config.hpp"
#include "connectors/registry.hpp"

namespace synchub::config {
namespace {

TEST(Examples, EveryExampleConfigIsValid) {
  int checked = 0;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(std::string(SYNCHUB_SOURCE_DIR) + "/examples")) {
    if (entry.path().filename() != "synchub.yaml") continue;
    EXPECT_NO_THROW(load_hub_config(entry.path().string(), connectors::builtin_registry().specs())) << entry.path();
    ++checked;
  }
  EXPECT_GE(checked, 1);
}

}  // namespace
}  // namespace synchub::config
