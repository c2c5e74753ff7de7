// Helpers of the tests that run the real synchub binary as a child process
// (and what they share: the common connectors, a test certificate), beside
// the core ones (files.hpp) every test may use.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/files.hpp"

namespace synchub::test {

namespace fs = std::filesystem;

// The HTTP server URL a starting `synchub run` logs ("HTTP server listening")
// in `log`, waited for up to 5 s; throws with the log when it never comes.
std::string wait_for_hub_url(const fs::path& log);
// The `connectors:` section most end-to-end tests use: `crm.orders` reads
// JSON lines from ./inbox (key order_id, polled every 50 ms), `erp.orders`
// is the file sink written as `erp_orders` (default: ./outbox, no fsync).
std::string file_orders_connectors(const std::string& erp_orders = "{outbox: outbox, fsync: false}");

// A throw-away self-signed certificate for 127.0.0.1 (openssl req), as cert.pem and key.pem in `dir`.
struct TestCertificate {
  std::string cert, key;
};
TestCertificate make_test_certificate(const TempDir& dir);

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Path of the synchub binary under test.
std::string synchub_binary();
// Runs synchub with `args` to completion.
CommandResult run_synchub(const std::vector<std::string>& args, const std::string& stdin_text = "");
// Runs the program `binary` (a path) with `args` to completion.
CommandResult run_program(const std::string& binary, const std::vector<std::string>& args,
                          const std::string& stdin_text = "");

// A synchub process in the background (stdout/stderr to `log_file`).
class Process {
 public:
  Process(const std::vector<std::string>& args, const std::string& log_file);
  ~Process();
  pid_t pid() const { return pid_; }
  void kill_hard();  // SIGKILL and reap
  int terminate();   // SIGTERM, wait; returns the exit code (-signal when killed)
  bool running();
  void signal(int sig) const;  // sends `sig`, does not wait
  // Waits up to `limit` for the process to end; its exit code (-signal when killed), or nothing.
  std::optional<int> wait_for(std::chrono::milliseconds limit);

 private:
  pid_t pid_ = -1;
};

}  // namespace synchub::test
