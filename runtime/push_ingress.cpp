#include "runtime/push_ingress.hpp"

namespace synchub::runtime {

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
