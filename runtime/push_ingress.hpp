// Hands records pushed to the HTTP server (webhooks) to the hub's scheduler
// thread, which alone touches the bus, and lets the server thread wait until
// they are durable before it answers the sender.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <vector>

#include "connectors/connector.hpp"

namespace synchub::runtime {

class SourcePoller;

class PushIngress {
 public:
  struct Item {
    SourcePoller* source;
    std::vector<connectors::SourceRecord> records;
    std::promise<std::string> done;  // "" when durable, else the error
  };

  // Server thread: queues and waits; returns "" when durable, else why not.
  std::string submit(SourcePoller* source, std::vector<connectors::SourceRecord> records,
                     std::chrono::milliseconds timeout);
  // Scheduler thread: everything queued so far.
  std::vector<std::shared_ptr<Item>> take();
  // Scheduler thread: sleeps up to `timeout`, less when something is pushed.
  void wait(std::chrono::milliseconds timeout);
  void close();  // no more submissions (shutdown)

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Item>> queue_;
  bool closed_ = false;
};

}  // namespace synchub::runtime
