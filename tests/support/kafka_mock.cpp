#include "tests/support/kafka_mock.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>

#include "tests/support/files.hpp"

namespace synchub::test {

KafkaMock::KafkaMock(int brokers) {
  int in[2], out[2];
  if (pipe(in) != 0 || pipe(out) != 0) throw std::runtime_error("pipe failed");
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ == 0) {
    // Gone with the test process even when it aborts before the destructor runs (an
    // orphaned mock would hold the test's output pipe open). Constructed on the test's
    // main thread, whose exit is what this watches.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);  // it died before the line above
    dup2(in[0], 0);
    dup2(out[1], 1);
    close(in[1]);
    close(out[0]);
    const std::string count = std::to_string(brokers);
    execl(SYNCHUB_KAFKA_MOCK, SYNCHUB_KAFKA_MOCK, count.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  to_mock_ = in[1];
  from_mock_ = out[0];
  bootstrap_ = read_line();
  if (bootstrap_.empty()) throw std::runtime_error("the mock Kafka cluster did not start");
}

KafkaMock::~KafkaMock() {
  close(to_mock_);
  kill(pid_, SIGTERM);
  // A cluster that does not stop within 10 s is killed: a test never hangs here.
  int status = 0;
  if (!eventually([&] { return waitpid(pid_, &status, WNOHANG) != 0; }, std::chrono::seconds(10),
                  std::chrono::milliseconds(10))) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
  }
  close(from_mock_);
}

std::string KafkaMock::read_line() {
  std::string line;
  char c;
  while (read(from_mock_, &c, 1) == 1 && c != '\n') line += c;
  return line;
}

void KafkaMock::command(const std::string& line) {
  const std::string text = line + "\n";
  if (write(to_mock_, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    throw std::runtime_error("the mock Kafka cluster is gone");
  const std::string answer = read_line();
  if (answer != "ok") throw std::runtime_error("mock Kafka: " + line + ": " + answer);
}

}  // namespace synchub::test
