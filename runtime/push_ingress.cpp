#include "runtime/push_ingress.hpp"

#include "mapping/record.hpp"
#include "runtime/base/log.hpp"
#include "runtime/source_poller.hpp"

namespace synchub::runtime {

namespace {

const std::string kHookPrefix = "/hooks/";
// How long a sender waits for its records to become durable before it is answered 503. They may
// still be stored after that: a retry with the same signature or delivery id is then answered 200
// (stored before); one signed anew is published again.
constexpr auto kDurableWait = std::chrono::seconds(10);

http::HttpResponse error_reply(int status, const std::string& code, const std::string& message) {
  std::string body = "{\"error\":";
  mapping::append_json_string(body, code);
  body += ",\"message\":";
  mapping::append_json_string(body, message);
  return http::HttpResponse::json(status, body + "}");
}

}  // namespace

void PushIngress::serve_stream(SourcePoller* source) {
  streams_[source->name()] = source;
}

bool PushIngress::is_hook_path(const std::string& path) {
  return path.rfind(kHookPrefix, 0) == 0;
}

http::HttpResponse PushIngress::serve(const http::HttpRequest& request) {
  const std::string rest = request.path.substr(kHookPrefix.size());
  const size_t slash = rest.find('/');
  const std::string name = slash == std::string::npos ? rest : rest.substr(0, slash) + "." + rest.substr(slash + 1);
  const auto found = streams_.find(name);
  if (found == streams_.end()) return error_reply(404, "not_found", "no webhook stream " + name);
  if (request.method != "POST") {
    http::HttpResponse r = error_reply(405, "method_not_allowed", "use POST");
    r.headers.emplace_back("Allow", "POST");
    return r;
  }
  SourcePoller* target = found->second;
  connectors::PushRequest push{[&](std::string_view h) { return request.header(h); }, request.body};
  connectors::PushReply reply = target->push_source()->receive(push);
  if (reply.status >= 400) {
    log_warn("webhook", {{"stream", name}, {"status", std::to_string(reply.status)}}, reply.error);
    return error_reply(reply.status, reply.status == 401 ? "unauthorized" : "bad_request", reply.error);
  }
  const size_t count = reply.records.size();
  const Outcome outcome = submit(target, std::move(reply), kDurableWait);
  if (!outcome.error.empty()) return error_reply(503, "unavailable", outcome.error);
  // A replay, or a sender's retry after a lost answer: a success, since what it sent is stored.
  if (outcome.duplicate) {
    log_warn("webhook", {{"stream", name}}, "request received before: not published again");
    return http::HttpResponse::json(200, R"({"accepted":0,"duplicate":true,"message":"already received and stored"})");
  }
  return http::HttpResponse::json(202, "{\"accepted\":" + std::to_string(count) + "}");
}

PushIngress::Outcome PushIngress::submit(SourcePoller* source, connectors::PushReply request,
                                         std::chrono::milliseconds timeout) {
  auto item = std::make_shared<Item>();
  item->source = source;
  item->request = std::move(request);
  auto done = item->done.get_future();
  {
    std::lock_guard lock(mu_);
    if (closed_) return {"shutting down"};
    queue_.push_back(item);
  }
  cv_.notify_one();
  if (done.wait_for(timeout) != std::future_status::ready) return {"not stored in time"};
  return done.get();
}

std::vector<std::shared_ptr<PushIngress::Item>> PushIngress::take() {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<Item>> out(queue_.begin(), queue_.end());
  queue_.clear();
  return out;
}

void PushIngress::wait(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return !queue_.empty() || closed_; });
}

void PushIngress::close() {
  std::deque<std::shared_ptr<Item>> left;
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    left.swap(queue_);
  }
  for (auto& item : left) item->done.set_value({"shutting down"});
  cv_.notify_all();
}

}  // namespace synchub::runtime
