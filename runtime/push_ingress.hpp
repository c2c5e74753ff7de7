// Webhooks: routes POST /hooks/{connector}/{stream} to the stream's push source, which checks
// the request (signature, body); hands the records to the hub's scheduler thread, which alone
// touches the bus; and lets the server thread wait until they are durable before it answers the
// sender.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "connectors/connector.hpp"
#include "http/http_server.hpp"

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

  // Before the HTTP server starts: a push stream to serve at /hooks/{connector}/{stream}.
  void serve_stream(SourcePoller* source);
  bool serves_streams() const { return !streams_.empty(); }
  static bool is_hook_path(const std::string& path);  // under /hooks/
  // Server thread: a request to a hook path. 404 for a stream it does not serve, 405 for a method
  // other than POST, the push source's refusal (401, 400), 503 when the records could not be
  // made durable in time, 202 when they are, 200 when they were stored before (a replay).
  http::HttpResponse serve(const http::HttpRequest& request);

  // Server thread: queues and waits until the records are durable, or why not.
  [[nodiscard]] Outcome submit(SourcePoller* source, connectors::PushReply request, std::chrono::milliseconds timeout);
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
  std::map<std::string, SourcePoller*> streams_;  // by "connector.stream"; read-only once serving
};

}  // namespace synchub::runtime
