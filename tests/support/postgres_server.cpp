#include "tests/support/postgres_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

#include "runtime/state/postgres.hpp"

namespace synchub::test {

namespace {

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

std::string find_bin() {
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql"))
    if (fs::exists(entry.path() / "bin" / "initdb")) return (entry.path() / "bin").string();
  throw std::runtime_error("no PostgreSQL server under /usr/lib/postgresql (Debian package postgresql)");
}

}  // namespace

PostgresServer::PostgresServer() : bin_(find_bin()), port_(free_port()) {
  if (geteuid() == 0) {
    as_user_ = "runuser -u postgres -- ";
    fs::permissions(dir_.path(), fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
    if (std::system(("chown postgres " + dir_.str()).c_str()) != 0) throw std::runtime_error("chown postgres failed");
  }
  if (run(bin_ + "/initdb -D " + dir_.str("data") + " -U synchub -A trust -E UTF8 --no-locale > " +
          dir_.str("initdb.log") + " 2>&1") != 0)
    throw std::runtime_error("initdb failed: " + read_file(dir_.path() / "initdb.log"));
  const std::string options = "-p " + std::to_string(port_) + " -k " + dir_.str() +
                              " -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
                              " -c full_page_writes=off -c max_connections=200";
  if (run(bin_ + "/pg_ctl -D " + dir_.str("data") + " -l " + dir_.str("server.log") + " -w -o '" + options +
          "' start > " + dir_.str("pg_ctl.log") + " 2>&1") != 0)
    throw std::runtime_error("pg_ctl start failed: " + read_file(dir_.path() / "pg_ctl.log") +
                             read_file(dir_.path() / "server.log"));
}

PostgresServer::~PostgresServer() {
  run(bin_ + "/pg_ctl -D " + dir_.str("data") + " -m immediate -w stop > /dev/null 2>&1");
}

int PostgresServer::run(const std::string& command) const {
  // `cd /`: the server's user may not enter the test's working directory.
  return std::system(("cd / && " + as_user_ + "sh -c \"" + command + "\"").c_str());
}

std::string PostgresServer::url(const std::string& database) const {
  return "postgresql://synchub@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

std::string PostgresServer::create_database() {
  const std::string name = "t" + std::to_string(++databases_);
  runtime::PgConnection admin(url("postgres"));
  admin.exec("CREATE DATABASE " + name);
  return url(name);
}

PostgresServer& shared_postgres() {
  static PostgresServer server;  // stopped at exit
  return server;
}

}  // namespace synchub::test
