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
  struct Outcome {
    std::string error;       // "" when durable
    bool duplicate = false;  // stored by an earlier request: nothing published
  };
  struct Item {
    SourcePoller* source;
    connectors::PushReply request;  // its records and replay keys
    std::promise<Outcome> done;
  };

  // Server thread: queues and waits until the records are durable, or why not.
  Outcome submit(SourcePoller* source, connectors::PushReply request, std::chrono::milliseconds timeout);
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
