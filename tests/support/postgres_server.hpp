// A throw-away PostgreSQL server for tests: initdb into a temp folder, started
// with pg_ctl on a free loopback port (fsync off), stopped and deleted at the
// end. As root it runs as the `postgres` system user (initdb refuses root).
#pragma once

#include <string>

#include "tests/support/test_support.hpp"

namespace synchub::test {

class PostgresServer {
 public:
  PostgresServer();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& database) const;
  // A new, empty database; returns its URL.
  std::string create_database();

 private:
  int run(const std::string& command) const;  // as the server's user; 0 on success
  TempDir dir_;
  std::string bin_, as_user_;
  int port_ = 0;
  int databases_ = 0;
};

// One server for the whole test binary, started on first use.
PostgresServer& shared_postgres();

}  // namespace synchub::test
