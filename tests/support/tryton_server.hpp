// A real Tryton 6.0 server for tests: tests/fixtures/tryton/tryton-fixture
// copies its populated database (company, chart, taxes, customers with
// credit limits, products with stock) into a temp folder and starts trytond
// on a free loopback port; stopped and deleted at the end. One per test, so
// each test starts from the same stock and credit.
#pragma once

#include <string>

#include "tests/support/test_support.hpp"

namespace synchub::test {

class TrytonServer {
 public:
  TrytonServer();  // throws when the fixture cannot start
  ~TrytonServer();
  TrytonServer(const TrytonServer&) = delete;
  TrytonServer& operator=(const TrytonServer&) = delete;

  std::string url, database, user, password;
  std::string credit_user;  // same password; in the "Account Credit Limit" group
  std::string database_file() const { return dir_.str(database + ".sqlite"); }
  // A `tryton` connector block (two-space indented, named `erp`) for a test config; as `login` when given.
  std::string connector_yaml(const std::string& streams_yaml, const std::string& login = "") const;

 private:
  TempDir dir_;
};

}  // namespace synchub::test
