// Helpers shared by the tests: temp folders, files, and running the real
// synchub binary as a child process.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <chrono>
#include <string>
#include <vector>

namespace synchub::test {

namespace fs = std::filesystem;

// A fresh folder removed when the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const fs::path& path() const { return path_; }
  std::string str(const std::string& child = "") const {
    return child.empty() ? path_.string() : (path_ / child).string();
  }

 private:
  fs::path path_;
};

void write_file(const fs::path& path, const std::string& content);
std::string read_file(const fs::path& path);
// The last `bytes` of a file (a log's end, for a failure message); "" when it cannot be read.
std::string tail_of(const fs::path& path, size_t bytes);
// The HTTP server URL a starting `synchub run` logs ("HTTP server listening")
// in `log`, waited for up to 5 s; throws with the log when it never comes.
std::string wait_for_hub_url(const fs::path& log);
std::vector<std::string> read_lines(const fs::path& path);
// The `connectors:` section most end-to-end tests use: `crm.orders` reads
// JSON lines from ./inbox (key order_id, polled every 50 ms), `erp.orders`
// is the file sink written as `erp_orders` (default: ./outbox, no fsync).
std::string file_orders_connectors(const std::string& erp_orders = "{outbox: outbox, fsync: false}");

// A throw-away self-signed certificate for 127.0.0.1 (openssl req), as cert.pem and key.pem in `dir`.
struct TestCertificate {
  std::string cert, key;
};
TestCertificate make_test_certificate(const TempDir& dir);
// Every line of every regular, non-hidden file in `dir` (sorted by file name).
std::vector<std::string> lines_in_dir(const fs::path& dir);

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Path of the synchub binary under test.
std::string synchub_binary();
// Runs synchub with `args` to completion.
CommandResult run_synchub(const std::vector<std::string>& args, const std::string& stdin_text = "");

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
