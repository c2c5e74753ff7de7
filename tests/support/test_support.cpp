#include "tests/support/test_support.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace synchub::test {

std::string wait_for_hub_url(const fs::path& log) {
  const std::regex url("\"url\":\"(https?://127\\.0\\.0\\.1:[0-9]+)\"");
  std::string text;
  std::smatch m;
  const bool started = eventually(
      [&] {
        text = read_file(log);
        return std::regex_search(text, m, url);
      },
      std::chrono::seconds(30), std::chrono::milliseconds(25));  // an ASan build on a busy machine
  if (started) return m[1];
  throw std::runtime_error("hub did not start: " + read_file(log));
}

std::string file_orders_connectors(const std::string& erp_orders) {
  return R"(connectors:
  crm:
    type: file
    streams:
      orders: {key: order_id, inbox: inbox, settle: 0s, poll_interval: 50ms}
  erp:
    type: file
    streams:
      orders: )" +
         erp_orders + "\n";
}

TestCertificate make_test_certificate(const TempDir& dir) {
  TestCertificate c{dir.str("cert.pem"), dir.str("key.pem")};
  const std::string command =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
      "-keyout " +
      c.key + " -out " + c.cert + " > " + dir.str("openssl.log") + " 2>&1";
  if (std::system(command.c_str()) != 0) throw std::runtime_error("openssl: " + read_file(dir.path() / "openssl.log"));
  return c;
}

std::string synchub_binary() {
  if (const char* env = std::getenv("SYNCHUB_BIN")) return env;
  return SYNCHUB_BIN;  // set by tests/CMakeLists.txt
}

static std::vector<char*> argv_of(const std::string& binary, const std::vector<std::string>& args) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(binary.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  return argv;
}

static int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return -1;
}

CommandResult run_synchub(const std::vector<std::string>& args, const std::string& stdin_text) {
  return run_program(synchub_binary(), args, stdin_text);
}

CommandResult run_program(const std::string& binary, const std::vector<std::string>& args,
                          const std::string& stdin_text) {
  int in[2], out[2], err[2];
  if (::pipe(in) || ::pipe(out) || ::pipe(err)) throw std::runtime_error("pipe failed");
  auto argv = argv_of(binary, args);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) ::close(fd);
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  if (!stdin_text.empty()) {
    ssize_t ignored = ::write(in[1], stdin_text.data(), stdin_text.size());
    (void)ignored;
  }
  ::close(in[1]);
  CommandResult result;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    ::poll(fds, 2, -1);
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? result.out : result.err).append(buf, static_cast<size_t>(n));
      }
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = exit_code_of(status);
  return result;
}

Process::Process(const std::vector<std::string>& args, const std::string& log_file) {
  const std::string binary = synchub_binary();
  auto argv = argv_of(binary, args);
  pid_ = ::fork();
  if (pid_ == 0) {
    int fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::close(fd);
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
}

Process::~Process() {
  if (pid_ > 0) kill_hard();
}

void Process::kill_hard() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

int Process::terminate() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return exit_code_of(status);
}

void Process::signal(int sig) const {
  if (pid_ > 0) ::kill(pid_, sig);
}

std::optional<int> Process::wait_for(std::chrono::milliseconds limit) {
  if (pid_ <= 0) return std::nullopt;
  std::optional<int> code;
  eventually(
      [&] {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) != pid_) return false;
        pid_ = -1;
        code = exit_code_of(status);
        return true;
      },
      limit);
  return code;
}

bool Process::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  return ::waitpid(pid_, &status, WNOHANG) == 0;
}

}  // namespace synchub::test
