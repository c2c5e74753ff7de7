#include "runtime/source_poller.hpp"

#include <atomic>
#include <cstdio>
#include <random>

#include "runtime/base/clock.hpp"
#include "runtime/base/log.hpp"

namespace synchub::runtime {

SourcePoller::SourcePoller(SourceOptions options, Bus& bus, StateStore& state,
                           std::unique_ptr<connectors::SourceStream> source)
    : options_(std::move(options)), bus_(bus), state_(state), source_(std::move(source)) {
  status_.name = name();
  status_.connector = options_.connector;
  status_.stream = options_.stream;
  status_.push = source_->push() != nullptr;
}

// What makes each event's ce_id unique (CloudEvents 1.0: source + id unique per distinct event):
// a random number per process (other workers, earlier runs) and a counter per event. The id is
// not derived from the record: the same position can hold another version later (a file name
// used again, a REST page read again), and the same content can be a distinct event (A, B, A
// again); a consumer that drops ids it has seen would lose that last A. A record published again
// after a crash (at least once) gets a new id, as CloudEvents allows: consumers deduplicate by
// subject and content, as the flows' ledger does.
static std::string next_event_number() {
  static const std::string run = [] {
    std::random_device entropy;
    char text[24];
    std::snprintf(text, sizeof text, "%08x%08x", entropy(), entropy());
    return std::string(text);
  }();
  static std::atomic<uint64_t> counter{0};
  return run + "-" + std::to_string(counter.fetch_add(1, std::memory_order_relaxed));
}

std::vector<OutgoingEvent> source_events(const SourceOptions& options, std::vector<connectors::SourceRecord>& records) {
  const std::string name = options.connector + "." + options.stream;
  const int64_t now = now_ms();
  // The same for the whole batch: made once, shared by its events. synchub's own attributes are
  // extensions (ce_ + lower-case alphanumerics, Kafka binding) so CloudEvents SDKs keep them.
  auto common = std::make_shared<const std::vector<Header>>(
      std::vector<Header>{{"ce_specversion", "1.0"},
                          {"ce_source", "/synchub/" + options.connector + "/" + options.stream},
                          {"ce_type", "synchub." + options.stream + ".upserted"},
                          {"ce_time", iso_time(now)},
                          {"content-type", "application/json"},
                          {std::string(kOriginHeader), options.hub_name}});
  std::string id_suffix = "@";  // (not "@" + to_string(): a GCC 12 -Wrestrict false positive)
  id_suffix += std::to_string(now);
  id_suffix += '.';
  std::vector<OutgoingEvent> events;
  events.reserve(records.size());
  for (auto& r : records) {
    OutgoingEvent e;
    e.topic = options.topic;
    e.headers.reserve(3);
    const std::string number = next_event_number();
    std::string id;  // name:position@time.run-n, built in one allocation
    id.reserve(name.size() + 1 + r.position.size() + id_suffix.size() + number.size());
    id.append(name).append(1, ':').append(r.position).append(id_suffix).append(number);
    e.headers.push_back({"ce_id", std::move(id)});
    e.headers.push_back({"ce_subject", r.key});
    e.headers.push_back({std::string(kCursorHeader), r.position});
    e.common_headers = common;
    e.key = std::move(r.key);
    e.value = std::move(r.value);
    events.push_back(std::move(e));
  }
  return events;
}

// The request is remembered once its events are durable: a crash in between
// lets a retry publish it again (at least once), never loses it.
bool SourcePoller::publish_pushed(std::vector<connectors::SourceRecord>& records,
                                  const std::vector<std::string>& replay_keys, int64_t replay_until_ms) {
  if (!replay_keys.empty() && state_.push_seen(name(), replay_keys)) return false;
  const auto read = static_cast<int64_t>(records.size());
  bus_.publish(to_events(records));
  if (!replay_keys.empty()) state_.remember_push(name(), replay_keys, replay_until_ms);
  std::lock_guard lock(status_mu_);
  status_.last_success_ms = now_ms();
  status_.records_read += read;
  read_counts_.add(status_.last_success_ms, read);
  return true;
}

// Source-stage dead letters asked to be replayed: the corrected record is
// checked like a read one and published.
bool SourcePoller::replay_dead_letters() {
  auto requests = state_.replay_requests(name(), 100);
  if (requests.empty()) return false;
  FlowBatchCommit commit;
  commit.flow = name();
  std::vector<connectors::SourceRecord> records;
  for (auto& d : requests) {
    connectors::SourceRecord record;
    std::string error = source_->accept(d.input, record);
    if (!error.empty()) {
      d.error = error;
      commit.replay_failed.push_back(d);
      log_warn("source", {{"stream", name()}, {"dead_letter", std::to_string(d.id)}}, "replay still invalid: " + error);
      continue;
    }
    record.position = "replay-" + std::to_string(d.id);
    records.push_back(std::move(record));
    commit.replayed.push_back(d.id);
  }
  bus_.publish(to_events(records));
  state_.commit_flow_batch(commit);
  return true;
}

bool SourcePoller::hold_lease(Clock::time_point now) {
  if (leased_ && now < renew_lease_at_) return true;
  const bool held = state_.acquire_lease(source_lease(name()), options_.worker_id, options_.lease_ttl);
  if (held != leased_)
    log_info("source", {{"stream", name()}, {"worker", options_.worker_id}},
             held ? "this worker polls the stream" : "another worker polls the stream");
  leased_ = held;
  renew_lease_at_ = now + options_.lease_ttl / 3;
  return held;
}

// The cursor after a batch is committed once its events are durable.
void SourcePoller::settle() {
  in_flight_.settle([this](const PublishedBatch& batch) {
    if (!batch.commit) return;
    state_.commit_source(name(), batch.cursor, batch.rejects, options_.worker_id);
    note_cursor(batch.cursor);
  });
}

void SourcePoller::stop() {
  try {
    settle();
  } catch (const std::exception& e) {
    in_flight_.abandon();
    log_warn("source", {{"stream", name()}}, std::string("the last batch was not confirmed: ") + e.what());
  }
  if (!leased_) return;
  try {
    state_.release_lease(source_lease(name()), options_.worker_id);
  } catch (const std::exception& e) {
    log_warn("source", {{"stream", name()}}, std::string("cannot release the lease: ") + e.what());
  }
  leased_ = false;
}

// Publishes what a pull read, dead-letters what it rejected and moves the cursor on; whether
// anything happened (records, rejects, a moved cursor or replayed dead letters).
bool SourcePoller::publish_pulled(connectors::PullResult pulled, bool replayed, Clock::time_point now) {
  const size_t read = pulled.records.size();
  std::shared_ptr<PendingPublish> publish = bus_.start_publish(to_events(pulled.records));
  PublishedBatch batch;
  for (auto& r : pulled.rejects) {
    log_warn("source", {{"stream", name()}, {"key", r.key}, {"position", r.position}, {"outcome", "dead-lettered"}},
             r.reason);
    batch.rejects.push_back(
        {0, name(), DeadLetterStage::Source, r.key, std::move(r.input), r.reason, "", r.position, "pending", 1, 0, 0});
  }
  const bool moved = pulled.next_cursor != cursor_;
  const bool rejected = !batch.rejects.empty();
  batch.commit = moved || rejected;
  batch.cursor = pulled.next_cursor;
  cursor_ = pulled.next_cursor;
  // While the source has more, this batch's delivery overlaps the next publish (and the next
  // pull, when the source reads ahead): the previous batch is finished now, this one at the
  // next poll. Otherwise it is finished here.
  settle();
  in_flight_.start([publish] { publish->wait(); }, std::move(batch));
  if (!pulled.more) settle();
  if (read > 0) log_debug("source", {{"stream", name()}, {"records", std::to_string(read)}}, "published");
  failures_ = 0;
  local_failures_ = 0;
  drained_ = read == 0 && !rejected && !pulled.more && !pulled.waiting && !replayed;
  waiting_ = pulled.waiting;
  next_poll_ = pulled.more ? now : now + source_->poll_interval();
  note_read(static_cast<int64_t>(read), pulled.more);
  return read > 0 || rejected || moved || replayed;
}

bool SourcePoller::poll_once(Clock::time_point now) {
  if (now < next_poll_ || paused_) return false;
  bool pulling = false;  // an error while false is this worker's own (bus, state store)
  try {
    if (!hold_lease(now)) {  // the holder does the work; ask again later
      in_flight_.abandon();  // its cursor is the new holder's to commit
      drained_ = true;
      next_poll_ = now + std::min<std::chrono::milliseconds>(source_->poll_interval(), options_.lease_ttl / 3);
      note_state("idle", false);
      return false;
    }
    const bool replayed = replay_dead_letters();
    if (!cursor_loaded_) {
      cursor_ = state_.cursor(name());
      cursor_loaded_ = true;
      note_cursor(cursor_);
    }
    if (!source_->reads_ahead()) settle();  // pull() is handed committed cursors only
    pulling = true;
    note_state("polling");
    connectors::PullResult pulled = source_->pull(cursor_, options_.batch_size);
    pulling = false;
    return publish_pulled(std::move(pulled), replayed, now);
  } catch (const LeaseLost& e) {  // this worker stalled past the lease and another took the stream over
    in_flight_.abandon();
    cursor_loaded_ = false;
    leased_ = false;
    drained_ = true;
    next_poll_ = now + options_.lease_ttl / 3;
    note_state("idle", false);
    log_warn("source", {{"stream", name()}, {"worker", options_.worker_id}}, e.what());
    return false;
  } catch (const connectors::TargetAsksToWait& e) {  // not a failure: the target set the pace
    in_flight_.abandon();
    cursor_loaded_ = false;
    drained_ = false;
    next_poll_ = now + e.wait;
    note_failure(e.what(), next_poll_, false);  // not read: shown, and failing when it lasts
    log_warn("source", {{"stream", name()}, {"retry_in_ms", std::to_string(e.wait.count())}}, e.what());
    return false;
  } catch (const std::exception& e) {
    in_flight_.abandon();    // waits for its reports; its cursor is not committed
    cursor_loaded_ = false;  // re-read the committed cursor: what failed was not committed
    drained_ = false;
    auto wait = backoff_.next(++failures_);
    next_poll_ = now + wait;
    // A failure on this side (the data folder, the bus) or of the configuration (a refused
    // login): no wait clears it.
    const bool refused = dynamic_cast<const connectors::ConfigurationError*>(&e) != nullptr;
    if (!pulling || refused) {
      ++local_failures_;
      local_error_ = "source " + name() + ": " + e.what();
    }
    note_failure(e.what(), next_poll_, refused);
    log_error("source", {{"stream", name()}, {"retry_in_ms", std::to_string(wait.count())}}, e.what());
    return false;
  }
}

void SourcePoller::set_flows(std::vector<std::string> flows) {
  std::lock_guard lock(status_mu_);
  status_.flows = std::move(flows);
}

void SourcePoller::set_paused(bool paused) {
  if (paused == paused_) return;
  if (paused) stop();  // commits what is in flight, lets another worker take the stream
  paused_ = paused;
  next_poll_ = {};
  log_info("source", {{"stream", name()}}, paused ? "paused" : "resumed");
  note_state(paused ? "paused" : "polling", !paused);  // resumed: polled at once
}

void SourcePoller::note_state(const char* state, bool polled_here) {
  std::lock_guard lock(status_mu_);
  status_.polled_here = polled_here;
  // A poll after failures stays "failing" or "backing_off" until it succeeds.
  const int failures = status_.consecutive_failures;
  if (std::string_view(state) != "polling" || failures == 0)
    status_.state = state;
  else if (status_.state != "failing" && status_.state != "backing_off")
    status_.state = failures >= SourceStatus::kFailingAfter ? "failing" : "backing_off";
}

void SourcePoller::note_read(int64_t records, bool more) {
  const int64_t now = now_ms();
  std::lock_guard lock(status_mu_);
  status_.state = more ? "polling" : "idle";
  status_.polled_here = true;
  status_.last_success_ms = now;
  status_.consecutive_failures = 0;
  status_.next_poll_ms = 0;
  status_.records_read += records;
  read_counts_.add(now, records);
}

void SourcePoller::note_failure(const std::string& error, Clock::time_point next, bool hopeless) {
  const int64_t now = now_ms();
  std::lock_guard lock(status_mu_);
  ++status_.consecutive_failures;
  ++status_.errors;
  error_counts_.add(now, 1);
  status_.last_error = error;
  status_.last_error_ms = now;
  status_.state = hopeless || status_.consecutive_failures >= SourceStatus::kFailingAfter ? "failing" : "backing_off";
  status_.next_poll_ms = now + std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now()).count();
}

void SourcePoller::note_cursor(const std::string& cursor) {
  const int64_t at = cursor.empty() ? 0 : source_->cursor_time_ms(cursor).value_or(0);
  std::lock_guard lock(status_mu_);
  status_.cursor = cursor;
  status_.cursor_time_ms = at;
}

SourceStatus SourcePoller::status() const {
  const int64_t now = now_ms();
  std::lock_guard lock(status_mu_);
  SourceStatus s = status_;
  s.read_5m = read_counts_.last(5, now);
  s.read_1h = read_counts_.last(60, now);
  s.read_24h = read_counts_.last(MinuteCounts::kMinutes, now);
  s.read_per_minute = read_counts_.per_minute(60, now);
  s.errors_per_minute = error_counts_.per_minute(60, now);
  return s;
}

}  // namespace synchub::runtime
