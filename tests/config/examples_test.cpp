// Every config shipped in examples/ validates.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "config/hub_config.hpp"
#include "connectors/registry.hpp"

namespace synchub::config {
namespace {

TEST(Examples, EveryExampleConfigIsValid) {
  // The quick start and the Tryton walkthrough take endpoints, folder and login from the
  // environment (their run-demo sets them).
  for (const char* name : {"TRYTON_URL", "TRYTON_DB", "TRYTON_USER", "TRYTON_PASSWORD"}) ::setenv(name, "x", 0);
  ::setenv("CRM_URL", "http://127.0.0.1:1", 0);
  ::setenv("ERP_URL", "http://127.0.0.1:2", 0);
  ::setenv("DEMO_DIR", "/tmp/synchub-demo", 0);
  // The Fxiaoke and K3Cloud presets and their example: a tenant's (or the simulators') settings.
  for (const char* name : {"FXIAOKE_APP_ID", "FXIAOKE_APP_SECRET", "FXIAOKE_PERMANENT_CODE", "FXIAOKE_OPEN_USER_ID",
                           "K3CLOUD_ACCT_ID", "K3CLOUD_USERNAME", "K3CLOUD_PASSWORD"})
    ::setenv(name, "x", 0);
  ::setenv("FXIAOKE_URL", "http://127.0.0.1:3", 0);
  ::setenv("K3CLOUD_URL", "http://127.0.0.1:4/k3cloud/", 0);
  ::setenv("DATA_DIR", "/tmp/synchub-demo", 0);
  int checked = 0;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(std::string(SYNCHUB_SOURCE_DIR) + "/examples")) {
    if (entry.path().filename() != "synchub.yaml") continue;
    EXPECT_NO_THROW(load_hub_config(entry.path().string(), connectors::builtin_registry().specs())) << entry.path();
    ++checked;
  }
  EXPECT_GE(checked, 6);
}

// The text of `file` from the line `from` up to (not including) the line `to`.
std::string block(const std::string& file, const std::string& from, const std::string& to) {
  std::ifstream in(std::string(SYNCHUB_SOURCE_DIR) + "/examples/" + file);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t start = text.find(from);
  const size_t end = start == std::string::npos ? start : text.find(to, start);
  return end == std::string::npos ? "(not found in " + file + ")" : text.substr(start, end - start);
}

// The Fxiaoke -> K3Cloud example uses the presets' connectors as they are: one is not
// changed without the other.
TEST(Examples, TheFxiaokeToK3CloudExampleUsesThePresetsUnchanged) {
  const std::string pair = "fxiaoke-to-k3cloud/synchub.yaml";
  EXPECT_EQ(block(pair, "  fxiaoke:\n", "  k3cloud:\n"), block("fxiaoke/synchub.yaml", "  fxiaoke:\n", "  files:\n"));
  EXPECT_EQ(block(pair, "  k3cloud:\n", "flows:\n"), block("k3cloud/synchub.yaml", "  k3cloud:\n", "  files:\n"));
}

}  // namespace
}  // namespace synchub::config
