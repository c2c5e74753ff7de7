// librdkafka's mock cluster in its own process (examples/simulators/kafka_mock.cpp):
// started by the constructor, killed by the destructor; commands go to its
// stdin (broker down/up, injected request errors, topics).
#pragma once

#include <sys/types.h>

#include <string>

namespace synchub::test {

class KafkaMock {
 public:
  explicit KafkaMock(int brokers = 3);
  ~KafkaMock();
  KafkaMock(const KafkaMock&) = delete;
  KafkaMock& operator=(const KafkaMock&) = delete;

  const std::string& bootstrap_servers() const { return bootstrap_; }
  // Sends one command ("down 2", "errors 0 6 5", "topic t 3 3"); throws unless it answers "ok".
  void command(const std::string& line);

 private:
  std::string read_line();
  pid_t pid_ = -1;
  int to_mock_ = -1, from_mock_ = -1;
  std::string bootstrap_;
};

}  // namespace synchub::test
