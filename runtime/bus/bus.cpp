// What every bus shares: event headers' encoding, positions after a batch, and the
// publish that is durable when it returns (a bus without asynchronous publishing).
#include "runtime/bus/bus.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace synchub::runtime {

Positions positions_after(const std::vector<Event>& events) {
  Positions positions;
  for (const auto& e : events) {
    auto& p = positions[e.partition];
    p = std::max(p, e.offset + 1);
  }
  return positions;
}

namespace {

struct Published final : PendingPublish {
  void wait() override {}
};

}  // namespace

void append_header(std::string& encoded, std::string_view name, std::string_view value) {
  char digits[24];
  for (std::string_view part : {name, value}) {
    const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, part.size());
    encoded.append(digits, end).append(1, ':').append(part);
  }
}

std::optional<std::string> find_header(std::string_view encoded, std::string_view name) {
  auto take = [&]() {
    const size_t colon = encoded.find(':');
    if (colon == std::string_view::npos) throw std::runtime_error("corrupt event headers");
    size_t size = 0;
    const auto [end, ec] = std::from_chars(encoded.data(), encoded.data() + colon, size);
    if (ec != std::errc() || end != encoded.data() + colon || size > encoded.size() - colon - 1)
      throw std::runtime_error("corrupt event headers");
    std::string_view part = encoded.substr(colon + 1, size);
    encoded.remove_prefix(colon + 1 + size);
    return part;
  };
  while (!encoded.empty()) {
    const std::string_view n = take(), v = take();
    if (n == name) return std::string(v);
  }
  return std::nullopt;
}

std::unique_ptr<PendingPublish> Bus::start_publish(std::vector<OutgoingEvent>&& events) {
  publish(events);
  return std::make_unique<Published>();
}

std::vector<Event> Bus::uncommitted(const std::string& group, const std::string& topic, size_t max_events) {
  auto consumer = subscribe(group, topic);
  std::vector<Event> events;
  while (events.size() < max_events) {
    auto more = consumer->poll(std::min<size_t>(1000, max_events - events.size()));
    if (more.empty()) break;
    for (auto& e : more) events.push_back(std::move(e));
  }
  return events;
}

}  // namespace synchub::runtime
