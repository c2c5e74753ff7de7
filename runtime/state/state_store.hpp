// The state store: source cursors, the per-flow delivery ledger, the
// cross-reference table, dead letters, run history and lineage. SQLite (one machine)
// and PostgreSQL (shared by workers) implement it behind this interface.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace synchub::runtime {

struct LedgerEntry {
  std::string key;
  std::string target_id;
  std::string content_hash;
  std::string mapping_version;
  int64_t updated_ms = 0;
};

// The same entity in two systems: (system_a, id_a) is (system_b, id_b).
struct XrefEntry {
  std::string entity, system_a, id_a, system_b, id_b;
};

enum class DeadLetterStage { Source, Mapping, Sink };
const char* stage_name(DeadLetterStage stage);
DeadLetterStage parse_stage(const std::string& name);

// A flow's records that failed for good, one entry per flow and key while it is open (pending or
// replaying): a later failure of the same key folds into it (the entry holds the newest input; each
// failure stays in its history), and a later version of the key landing in the target resolves it.
// Source-stage rejects (often without a key) are one entry each.
struct DeadLetter {
  int64_t id = 0;
  std::string flow;  // the flow; for source-stage entries the stream ("crm.orders")
  DeadLetterStage stage = DeadLetterStage::Sink;
  std::string key;
  std::string input;  // the newest input (a corrected one after an edit and replay)
  std::string error;
  std::string mapping_version;
  std::string origin;              // where it came from: topic/partition/offset or file:line
  std::string status = "pending";  // pending | replaying | replayed | resolved | discarded
  int attempts = 1;                // failures recorded (folded ones and failed replays included)
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  std::string reason;  // the error normalized (dead_letter_reason): what entries are grouped by
  // A resolved entry: the origin of the later version that landed, and its mapping version.
  std::string resolved_by, resolved_version;
};

// One item of an entry's history, oldest first: each failure with its input, each edit of the
// input (who, before and after), each replay asked for (who) and each that failed again, a discard.
struct DeadLetterEvent {
  int64_t id = 0;
  std::string kind;  // failed | edited | replay_requested | replay_failed | discarded
  int64_t time_ms = 0;
  std::string input;         // the input that failed; after an edit, the corrected one
  std::string input_before;  // an edit's input before
  std::string error, mapping_version, origin;
  std::string actor;  // who edited, replayed or discarded (the admin API's caller, cli:USER), "" for the hub
};

// The error text with what varies from record to record taken out, so that one cause is one group:
// quoted text becomes "…", numbers become # (an HTTP status stays), whitespace is collapsed and the
// text is cut at 160 characters. `value "C9" has no xref` -> `value "…" has no xref`.
std::string dead_letter_reason(std::string_view error);

struct DeadLetterFilter {
  std::string flow;    // "" = any
  std::string status;  // "" = any
  std::string key;     // "" = any; the exact key
  int64_t since_ms = 0;
  int64_t after_id = 0;  // paging
  int limit = 100;
  std::string key_search;    // "" = any; part of the key (case-insensitive for ASCII letters)
  std::string reason;        // "" = any; a normalized reason (DeadLetter::reason)
  std::vector<int64_t> ids;  // empty = any
};

// Entries with one reason: how many, and the newest one's error as an example.
struct DeadLetterGroup {
  std::string reason;
  int64_t count = 0;
  std::string example_error;
  int64_t newest_id = 0;
  int64_t newest_ms = 0;
};

// A flow's record that landed in the target (written or unchanged): open dead letters of its key
// are resolved by it. `before_dead_letter` orders it among the commit's new dead letters (a key that
// fails, then lands, then fails again in one batch ends with one pending entry: the last failure).
struct LandedKey {
  std::string key;
  std::string origin;  // of the version that landed
  std::string mapping_version;
  size_t before_dead_letter = 0;  // index into FlowBatchCommit::dead_letters
};

struct RunRecord {
  int64_t id = 0;
  std::string flow;
  int64_t started_ms = 0, finished_ms = 0;
  int64_t read = 0, created = 0, updated = 0, unchanged = 0, skipped = 0, failed = 0, dead_lettered = 0;
  std::string error;
};

// Adds the counts of `run` to `total` (run history sums, totals since start).
inline void add_counts(RunRecord& total, const RunRecord& run) {
  total.read += run.read;
  total.created += run.created;
  total.updated += run.updated;
  total.unchanged += run.unchanged;
  total.skipped += run.skipped;
  total.failed += run.failed;
  total.dead_lettered += run.dead_lettered;
}

// One reconciliation run as kept: its numbers, and its whole report (JSON) when asked for.
struct ReconciliationRun {
  int64_t id = 0;
  std::string name;
  int64_t started_ms = 0, finished_ms = 0;
  int64_t differences = 0, in_flight = 0;
  bool failed = false;
  std::string report;  // JSON; empty in listings
};

// A record whose write got part of the way (saved in the target, some follow-up steps done)
// before it failed: a retry of the same content goes on from `resume` with `target_id`.
struct WriteProgress {
  std::string key;
  std::string content_hash;  // of the mapped record the progress belongs to
  std::string target_id;
  std::string resume;  // the sink's own marker (connectors::SinkResult::resume)
};

// What happened to a record in a flow (`synchub trace`).
enum class LineageKind {
  Written,       // the sink landed it: outcome created or updated, with the target id
  Unchanged,     // the ledger had this content already: not sent
  Skipped,       // the mapping's filter left it out
  Failed,        // an attempt failed transiently (or waited for a cross-reference): retried
  DeadLettered,  // failed for good: in the dead-letter queue
  Replayed,      // a dead letter replayed that now landed (or was unchanged, or skipped)
  ReplayFailed,  // a dead letter replayed that failed again
};
const char* lineage_kind_name(LineageKind kind);
LineageKind parse_lineage_kind(const std::string& name);

// One row of a flow's lineage history, written in the commit of the batch it belongs to
// (FlowBatchCommit::lineage): the history is exactly what the ledger and the dead letters say.
struct LineageEvent {
  int64_t id = 0;  // ascending in the order they were written
  int64_t time_ms = 0;
  std::string flow;        // read back; a commit's rows are its flow's
  std::string key;         // the source record's key (its event's key)
  std::string target_key;  // the key the mapping gave it (the ledger's), when not `key`
  LineageKind kind = LineageKind::Written;
  std::string origin;           // its event: topic/pN-offset, or replay-N for a dead letter replayed
  int64_t event_ms = 0;         // when its event was published; 0 when unknown (replays)
  std::string position;         // where the source read it: file:line, page#index (the event's cursor)
  std::string mapping_version;  // "" when it was not mapped
  std::string outcome;          // created, updated, unchanged, skipped; "" otherwise
  std::string target_id;        // what the target calls it (a file sink: file:line)
  std::string error;
  int attempt = 1;  // of the batch, for Failed and what follows a retry
};

// A record of `flow` (source key `key`) names a document of `upstream_flow` by `upstream_ref`:
// that flow's key for it or the target id it was written under (a flow's `lineage:` fields).
struct LineageLink {
  std::string flow, key, upstream_flow, upstream_ref;
  int64_t updated_ms = 0;
};

// What a flow's batch changes in the state, committed atomically.
struct FlowBatchCommit {
  std::string flow;
  std::vector<LedgerEntry> ledger;
  std::vector<DeadLetter> dead_letters;    // new failures (folded into the key's open entry)
  std::vector<int64_t> replayed;           // dead letters that now landed
  std::vector<DeadLetter> replay_failed;   // replayed entries that failed again (id set)
  std::vector<XrefEntry> xrefs;            // ids the sink assigned (the flow's `xref:`)
  std::vector<WriteProgress> progress;     // writes left part-way (replace a key's earlier progress)
  std::vector<std::string> progress_done;  // keys whose write has now landed
  std::vector<LineageEvent> lineage;       // what happened to each record, retries included
  std::vector<LineageLink> lineage_links;  // documents of other flows its records name
  std::vector<LandedKey> landed;           // keys that landed: their open dead letters resolve
};

// The lease that lets one worker at a time poll a source stream.
inline std::string source_lease(const std::string& stream) {
  return "source:" + stream;
}

struct LeaseLost : std::runtime_error {
  explicit LeaseLost(const std::string& stream)
      : std::runtime_error("the lease on " + stream + " passed to another worker: the cursor was not moved") {}
};

class StateStore {
 public:
  virtual ~StateStore() = default;

  // Cursors of source streams ("connector.stream"); "" when none yet.
  virtual std::string cursor(const std::string& stream) = 0;
  // Atomically: the new cursor and the records the source rejected. With a
  // `lease_owner`, only while no other worker has taken the stream's lease
  // (source_lease(stream)) from it; otherwise it throws LeaseLost and changes
  // nothing: a worker that lost the stream cannot move its cursor.
  virtual void commit_source(const std::string& stream, const std::string& cursor,
                             const std::vector<DeadLetter>& rejects, const std::string& lease_owner = "") = 0;

  // Ledger entries for `keys`, in order (nullopt = never delivered).
  virtual std::vector<std::optional<LedgerEntry>> ledger(const std::string& flow,
                                                         const std::vector<std::string_view>& keys) = 0;
  virtual void commit_flow_batch(const FlowBatchCommit& batch) = 0;
  // The flow's writes left part-way (few: only records between a partial write and its retry).
  virtual std::vector<WriteProgress> write_progress(const std::string& flow) = 0;

  // Cross-reference: the same entity's id in two systems.
  virtual void put_xref(const std::string& entity, const std::string& system_a, const std::string& id_a,
                        const std::string& system_b, const std::string& id_b) = 0;
  virtual std::optional<std::string> find_xref(const std::string& entity, const std::string& from_system,
                                               const std::string& from_id, const std::string& to_system) = 0;

  // Dead letters.
  virtual std::vector<DeadLetter> dead_letters(const DeadLetterFilter& filter) = 0;
  virtual std::optional<DeadLetter> dead_letter(int64_t id) = 0;
  virtual std::vector<DeadLetterEvent> dead_letter_history(int64_t id) = 0;  // oldest first
  // The entries `filter` selects (limit and after_id ignored), grouped by reason, most first.
  virtual std::vector<DeadLetterGroup> dead_letter_reasons(const DeadLetterFilter& filter) = 0;
  // Marks an open entry for replay by its flow (it replays the entry's input: the newest), optionally
  // with a corrected input, recorded in its history as an edit by `actor` with the input before;
  // the request itself is recorded too (who asked, when).
  virtual bool request_replay(int64_t id, const std::optional<std::string>& corrected_input,
                              const std::string& actor = "") = 0;
  virtual std::vector<DeadLetter> replay_requests(const std::string& flow, int limit) = 0;
  virtual void mark_replayed(int64_t id) = 0;
  virtual bool discard(int64_t id, const std::string& actor = "") = 0;
  // Entries (one per flow and key while open) with `status`; "" = any.
  virtual int64_t count_dead_letters(const std::string& flow, const std::string& status) = 0;

  // Run history.
  virtual void record_run(const RunRecord& run) = 0;
  virtual std::vector<RunRecord> runs(const std::string& flow, int limit) = 0;

  // Lineage (`synchub trace`). The rows of records whose key or target key is `key`, in the
  // order they were written: the newest `limit`.
  virtual std::vector<LineageEvent> lineage(const std::string& key, int limit) = 0;
  // Records that name a document of `upstream_flow` by one of `refs` (its key, its target ids).
  virtual std::vector<LineageLink> lineage_links_to(const std::string& upstream_flow,
                                                    const std::vector<std::string>& refs, int limit) = 0;
  // The documents the records keyed `key` name (in any flow).
  virtual std::vector<LineageLink> lineage_links_from(const std::string& key) = 0;
  // Forgets rows and links older than `before_ms` (the state's lineage_retention); returns how
  // many went.
  virtual int64_t prune_lineage(int64_t before_ms) = 0;

  // Reconciliation runs (`synchub reconcile`, scheduled runs): kept, newest first.
  virtual int64_t record_reconciliation(const ReconciliationRun& run) = 0;  // returns its id
  // Without their reports; `name` "" = every reconciliation.
  virtual std::vector<ReconciliationRun> reconciliation_runs(const std::string& name, int limit) = 0;
  virtual std::optional<ReconciliationRun> reconciliation_run(int64_t id) = 0;  // with its report

  // Leases: one holder at a time per name (a source stream polled by one of
  // several workers). True when `owner` now holds it until `ttl` from now:
  // taken, renewed, or taken over because the holder let it expire.
  virtual bool acquire_lease(const std::string& name, const std::string& owner, std::chrono::milliseconds ttl) = 0;
  virtual void release_lease(const std::string& name, const std::string& owner) = 0;

  // Webhook replay cache: the requests a push stream stored, each by its keys
  // (signature, delivery id), kept until the end of their time window.
  // True when one of `keys` is remembered and has not expired.
  virtual bool push_seen(const std::string& stream, const std::vector<std::string>& keys) = 0;
  // Remembers `keys` until `until_ms`, and forgets the stream's expired ones.
  virtual void remember_push(const std::string& stream, const std::vector<std::string>& keys, int64_t until_ms) = 0;
};

std::unique_ptr<StateStore> open_sqlite_state(const std::string& path, bool fsync);
// `url`: a libpq connection string (postgresql://user:password@host:port/db).
std::unique_ptr<StateStore> open_postgres_state(const std::string& url);

}  // namespace synchub::runtime
