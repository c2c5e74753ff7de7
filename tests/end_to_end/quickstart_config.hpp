// The quick start's config (examples/quickstart/synchub.yaml) run by a test against simulators in
// its own process: the environment it names (CRM_URL, ERP_URL, DEMO_DIR; ADMIN_PORT 0, any free
// port) set, its admin line replaced, written into the test's folder next to a link to the quick start's mappings.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "tests/support/files.hpp"

namespace synchub::test {

// Returns the config's path. `admin` replaces the config's "admin: {enabled: true}" (a hub
// section line, e.g. "admin: {enabled: false}").
inline std::string write_quickstart_config(const TempDir& dir, const std::string& crm_url, const std::string& erp_url,
                                           const std::string& admin) {
  ::setenv("CRM_URL", crm_url.c_str(), 1);
  ::setenv("ERP_URL", erp_url.c_str(), 1);
  ::setenv("DEMO_DIR", dir.str().c_str(), 1);
  ::setenv("ADMIN_PORT", "0", 1);
  std::string text = read_file(std::string(SYNCHUB_SOURCE_DIR) + "/examples/quickstart/synchub.yaml");
  const std::string line = "admin: {enabled: true}";
  const size_t at = text.find(line);
  if (at == std::string::npos) throw std::runtime_error("the quick start's config has no admin line");
  text.replace(at, line.size(), admin);
  const std::string config = dir.str("synchub.yaml");
  write_file(config, text);
  std::filesystem::create_directory_symlink(std::string(SYNCHUB_SOURCE_DIR) + "/examples/quickstart/mappings",
                                            dir.path() / "mappings");
  return config;
}

}  // namespace synchub::test
