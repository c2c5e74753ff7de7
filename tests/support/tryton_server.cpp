#include "tests/support/tryton_server.hpp"

#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace synchub::test {

namespace {
std::string fixture_script() {
  return std::string(SYNCHUB_SOURCE_DIR) + "/tests/fixtures/tryton/tryton-fixture";
}
}  // namespace

TrytonServer::TrytonServer() {
  const std::string command = fixture_script() + " start " + dir_.str() + " > " + dir_.str("fixture.log") + " 2>&1";
  if (std::system(command.c_str()) != 0)
    throw std::runtime_error("tryton-fixture start failed:\n" + read_file(dir_.path() / "fixture.log"));
  std::istringstream env(read_file(dir_.path() / "tryton.env"));
  for (std::string line; std::getline(env, line);) {
    const size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string name = line.substr(0, eq), value = line.substr(eq + 1);
    if (name == "TRYTON_URL") url = value;
    if (name == "TRYTON_DB") database = value;
    if (name == "TRYTON_USER") user = value;
    if (name == "TRYTON_PASSWORD") password = value;
    if (name == "TRYTON_CREDIT_USER") credit_user = value;
  }
}

TrytonServer::~TrytonServer() {
  const std::string command = fixture_script() + " stop " + dir_.str() + " > /dev/null 2>&1";
  if (std::system(command.c_str()) != 0) std::fprintf(stderr, "tryton-fixture stop failed in %s\n", dir_.str().c_str());
}

std::string TrytonServer::connector_yaml(const std::string& streams_yaml, const std::string& login) const {
  return "  erp:\n    type: tryton\n    url: " + url + "\n    database: " + database +
         "\n    username: " + (login.empty() ? user : login) + "\n    password: " + password + "\n    streams:\n" +
         streams_yaml;
}

}  // namespace synchub::test
