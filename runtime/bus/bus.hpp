// The event bus, shaped after Kafka: topics split into partitions by key
// (per-key order), offsets, consumer groups that commit after processing.
// Two implementations: the embedded SQLite log (one machine) and Kafka (runtime/kafka_bus).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace synchub::runtime {

struct Header {
  std::string name;
  std::string value;
};

// synchub's CloudEvents extension attributes on a source's events (Kafka binding: ce_ + lower-case
// alphanumerics, kept by CloudEvents SDKs): the hub that read the record and where it read it.
// Events published by earlier versions carry the plain headers instead; readers accept both.
inline constexpr std::string_view kOriginHeader = "ce_synchuborigin";
inline constexpr std::string_view kCursorHeader = "ce_synchubcursor";
inline constexpr std::string_view kLegacyOriginHeader = "synchub_origin";
inline constexpr std::string_view kLegacyCursorHeader = "synchub_cursor";

struct OutgoingEvent {
  std::string topic;
  std::string key;
  std::string value;
  std::vector<Header> headers;
  // Headers every event of a batch carries (CloudEvents source, type, time...), shared rather
  // than copied into each event; they go out before `headers`.
  std::shared_ptr<const std::vector<Header>> common_headers;
};

// Headers in one string, "<size>:<name><size>:<value>..." (the embedded log stores them so):
// an event's are read only when asked for, which flows seldom do.
void append_header(std::string& encoded, std::string_view name, std::string_view value);
std::optional<std::string> find_header(std::string_view encoded, std::string_view name);  // throws when corrupt

struct Event {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp_ms = 0;
  std::string key;
  std::string value;
  std::string headers;  // encoded: see append_header

  std::optional<std::string> header(std::string_view name) const { return find_header(headers, name); }
};

// Next offset to read, by partition.
using Positions = std::map<int32_t, int64_t>;

// One consumer of one topic in a consumer group. Not thread-safe.
class Consumer {
 public:
  virtual ~Consumer() = default;
  // Up to `max_events` after the current position; does not block.
  virtual std::vector<Event> poll(size_t max_events) = 0;
  // Commits, for each partition, that everything before `positions` is done.
  virtual void commit(const Positions& positions) = 0;
  // Back to the committed positions (after a batch that must be redone).
  virtual void rewind() = 0;
  // Events not yet committed, over all partitions.
  virtual int64_t lag() = 0;
  // Called instead of poll() while the flow is paused or backing off:
  // Kafka pauses its partitions and keeps its group membership alive
  // (max.poll.interval.ms); the next poll() resumes them.
  virtual void idle() {}
  // When the oldest event not yet committed was appended (epoch ms); 0 when none is.
  virtual int64_t oldest_pending_ms() = 0;
};

// A publish under way: wait() returns once its events are durable and throws
// when they are not. Destroying it unwaited waits for the outcome, unreported.
class PendingPublish {
 public:
  virtual ~PendingPublish() = default;
  virtual void wait() = 0;
};

class Bus {
 public:
  virtual ~Bus() = default;
  // Appends the events; when it returns they are durable. Throws on failure
  // (then none or some may be stored: callers publish at least once).
  virtual void publish(const std::vector<OutgoingEvent>& events) = 0;
  // Starts a publish and returns while it is under way where the bus can (Kafka),
  // so that a source reads its next batch meanwhile; by default, publish() itself.
  // Takes the events: a bus may send them from where they are until they are delivered.
  virtual std::unique_ptr<PendingPublish> start_publish(std::vector<OutgoingEvent>&& events);
  virtual std::unique_ptr<Consumer> subscribe(const std::string& group, const std::string& topic) = 0;
  // The events of `topic` that `group` has not committed yet (reconciliation: what a flow has
  // still to write), up to `max_events`, read without joining the group or moving its
  // positions. By default through a consumer of the group that never commits (the embedded
  // log has no membership); Kafka reads by assignment.
  virtual std::vector<Event> uncommitted(const std::string& group, const std::string& topic, size_t max_events);
  // Deletes events past the retention limits; returns how many went.
  virtual int64_t enforce_retention() = 0;
  // The bus's own Prometheus families for /metrics (Kafka: client statistics); thread-safe.
  virtual std::string metrics_text() { return ""; }
};

// Positions after the given events (last offset + 1 per partition).
Positions positions_after(const std::vector<Event>& events);

}  // namespace synchub::runtime
