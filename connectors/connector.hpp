// The connector interface: a connector type turns its config into source and
// sink streams. Connectors report outcomes; the runtime owns retries,
// backoff, the ledger and dead-lettering.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "config/hub_config.hpp"

namespace synchub::connectors {

// ---- sources ---------------------------------------------------------------

struct SourceRecord {
  std::string key;       // entity key: the bus message key
  std::string value;     // the record as a JSON object
  std::string position;  // where it came from, e.g. "orders-001.jsonl:17"
};

// A record the source could not turn into an event: dead-lettered with the reason.
struct SourceReject {
  std::string position;
  std::string reason;
  std::string input;  // raw input as read (capped, see the connector's docs)
  std::string key;    // when it could be read
};

struct PullResult {
  std::vector<SourceRecord> records;
  std::vector<SourceReject> rejects;
  std::string next_cursor;  // committed once `records` are durable on the bus
  bool more = false;        // more is ready now: pull again without waiting
  bool waiting = false;     // input exists that is not ready yet (e.g. a file still being written)
};

// Sources that are pushed to (webhooks): the runtime's HTTP server hands
// them each request; what they return is made durable on the bus before the
// sender gets its 2xx. Called from the server's threads: must be thread-safe.
struct PushRequest {
  std::function<std::string(std::string_view)> header;  // case-insensitive; "" when absent
  std::string_view body;
};
struct PushReply {
  int status = 202;  // an error status (4xx) means: nothing is published
  std::string error;
  std::vector<SourceRecord> records;
  // What identifies the request (its signature, its delivery id): a request
  // whose key was seen before `replay_until_ms` is a replay (or a retry) and
  // is not published again. Empty: no replay check.
  std::vector<std::string> replay_keys;
  int64_t replay_until_ms = 0;
};
class PushSource {
 public:
  virtual ~PushSource() = default;
  virtual PushReply receive(const PushRequest& request) const = 0;
};

// Thrown by pull() when the target asked to wait (a 429 or 503 with Retry-After, or a wait another
// stream of the same connector was told): not a failure of the source; it is polled again then.
struct TargetAsksToWait : std::runtime_error {
  TargetAsksToWait(const std::string& message, std::chrono::milliseconds wait_for)
      : std::runtime_error(message), wait(wait_for) {}
  std::chrono::milliseconds wait;
};

// Thrown (by pull(), or by a connector's calls) when no call can pass until the configuration
// changes: a refused login, an endpoint that does not exist. Not the target's fault nor the
// data's; `run --once` stops on it when it repeats.
struct ConfigurationError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Called from the runtime's scheduler thread only.
class SourceStream {
 public:
  virtual ~SourceStream() = default;
  // Reads what follows `cursor` ("" = from the start), at most `max_records`.
  // Must not lose data when its result is not committed: the next call then
  // gets the same cursor again.
  virtual PullResult pull(const std::string& cursor, size_t max_records) = 0;
  // Whether pull() may be handed a cursor whose records are published but not
  // durable yet (the runtime then reads the next batch while the bus confirms
  // the last). Not for a source whose pull acts on the cursor being committed
  // (the file source archives a finished file).
  virtual bool reads_ahead() const { return false; }
  virtual std::chrono::milliseconds poll_interval() const = 0;
  // Turns a corrected record (JSON, from `synchub dlq replay --input`) into an
  // event the way pull() would; returns the reason when it is still invalid.
  [[nodiscard]] virtual std::string accept(const std::string& record_json, SourceRecord& out) const = 0;
  // Backfill: the cursor that reads again what changed at or after `epoch_ms`;
  // nullopt when the stream's cursor is not a time (then it cannot backfill).
  virtual std::optional<std::string> cursor_at(int64_t /*epoch_ms*/) const { return std::nullopt; }
  // The time a cursor stands at (for a backfill's progress); nullopt when unknown.
  virtual std::optional<int64_t> cursor_time_ms(const std::string& /*cursor*/) const { return std::nullopt; }
  // Reconciliation: whether `record`, as read now, changed after the hub's committed `cursor`
  // (the hub has not read it as it is yet: it is on its way). nullopt when the stream cannot
  // tell (then a record changed at the source since the last poll may show as a difference).
  virtual std::optional<bool> changed_after(const SourceRecord& /*record*/, const std::string& /*cursor*/) const {
    return std::nullopt;
  }
  // Non-null for push sources (served at POST /hooks/<connector>/<stream>).
  virtual const PushSource* push() const { return nullptr; }
};

// ---- sinks -----------------------------------------------------------------

enum class Outcome { Created, Updated, Unchanged, Failed };
// Transient: worth retrying as it is (no answer, busy, rate limited). Permanent: this record
// cannot be written (bad data): it is dead-lettered. Configuration: no record can be written
// until the config or the target is fixed (an endpoint that does not exist, credentials
// refused, a configured code the target does not know): the flow stops and backs off,
// the records stay where they are and nothing is dead-lettered.
enum class Failure { None, Transient, Permanent, Configuration };

const char* outcome_name(Outcome outcome);

struct SinkRecord {
  std::string_view key;
  std::string_view value;      // mapped record, JSON
  std::string_view target_id;  // from the ledger when the target already has it
  bool known_to_target = false;
  // Where an earlier attempt at this same content stopped (SinkResult::resume), with the
  // target id it had then: the write goes on from there instead of starting again.
  std::string_view resume;
};

// What became of one record: it landed (created, updated, unchanged) or it failed, and then
// always with a kind (the runtime retries, dead-letters or stops on it). Built only by landed()
// and failed(), so a failure without a kind cannot be written.
class SinkResult {
 public:
  // `outcome` is not Failed.
  static SinkResult landed(Outcome outcome, std::string target_id = {});
  // `kind` is not None.
  static SinkResult failed(Failure kind, std::string message, std::chrono::milliseconds retry_after = {});

  Outcome outcome() const { return outcome_; }
  Failure failure() const { return failure_; }
  bool ok() const { return outcome_ != Outcome::Failed; }

  std::string target_id;
  std::string error;
  std::chrono::milliseconds retry_after{0};  // the target asked to wait (e.g. Retry-After)
  // False for a record not sent at all because the target had asked to wait: not an attempt
  // (it does not count toward retry.max_attempts).
  bool attempted = true;
  // A failed multi-step write that got part of the way (saved, submitted): where a retry of
  // the same content goes on (opaque to the runtime, e.g. "then:1"), with `target_id` set.
  // The runtime keeps it durably until the record's outcome is final.
  std::string resume;

 private:
  SinkResult(Outcome outcome, Failure failure) : outcome_(outcome), failure_(failure) {}
  Outcome outcome_;
  Failure failure_;
};

// One result per record of a batch, each a transient "not sent" until the sink fills its slot in:
// a slot left unfilled is retried, never dead-lettered or counted as written.
std::vector<SinkResult> unsent_results(size_t count);

struct Batch {
  std::string flow;
  // Deterministic for the same records after a restart, so a sink can make a
  // repeated push overwrite instead of duplicate (e.g. a file name).
  std::string id;
  std::vector<SinkRecord> records;
};

class SinkStream {
 public:
  virtual ~SinkStream() = default;
  // One result per record, in order.
  [[nodiscard]] virtual std::vector<SinkResult> push(const Batch& batch) = 0;
  // A sink may finish a push in the background (the file sink flushes to disk while the hub
  // reads on): in_flight() is then true after push(), and its results hold only once
  // settle() has returned. settle() waits for that work; it throws when the work failed, and
  // the batch is to be pushed again.
  virtual bool in_flight() const { return false; }
  virtual void settle() {}
};

// ---- connector -------------------------------------------------------------

struct Context {
  std::string hub_name;
};

class Connector {
 public:
  virtual ~Connector() = default;
  // Called only for streams whose roles (from the spec) allow it.
  virtual std::unique_ptr<SourceStream> open_source(const config::StreamConfig& stream) = 0;
  virtual std::unique_ptr<SinkStream> open_sink(const config::StreamConfig& stream) = 0;
  // Reconciliation: a stream that reads everything `stream` holds now, from cursor "" until a
  // pull brings nothing new, moving no file and no cursor of the hub's. By default the source
  // itself (its pulls act on nothing); null when the stream cannot be read so (a push source).
  virtual std::unique_ptr<SourceStream> open_reader(const config::StreamConfig& stream);
};

}  // namespace synchub::connectors
