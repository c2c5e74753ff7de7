#include "runtime/bus/embedded_bus.hpp"

#include <charconv>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <unordered_map>

#include "runtime/base/clock.hpp"
#include "runtime/base/log.hpp"
#include "runtime/base/sqlite.hpp"
#include "runtime/bus/bus_identity.hpp"
#include "runtime/bus/event_batch.hpp"

namespace synchub::runtime {

namespace {

const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS topics(
  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, partitions INTEGER NOT NULL, created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS partitions(
  topic_id INTEGER NOT NULL, partition INTEGER NOT NULL,
  next_offset INTEGER NOT NULL DEFAULT 0,  -- never goes back, even when retention empties the log
  bytes INTEGER NOT NULL DEFAULT 0,        -- stored size of its batches
  PRIMARY KEY(topic_id, partition));
-- One row per record batch (runtime/event_batch.hpp): the events one publish appended to one
-- partition. pos packs (topic_id, partition, offset of the batch's first event) into the rowid:
-- one B-tree, appends at its right edge. Its events share ts_ms, the time of the publish.
CREATE TABLE IF NOT EXISTS batches(
  pos INTEGER PRIMARY KEY, count INTEGER NOT NULL, ts_ms INTEGER NOT NULL, size INTEGER NOT NULL,
  data BLOB NOT NULL);
-- The log's identity, recorded beside the offsets too (runtime/bus_identity.cpp).
CREATE TABLE IF NOT EXISTS log_identity(id TEXT NOT NULL);
-- Where partitions created from now on start: above every offset handed out before a reset of
-- the offsets, so that no offset (and no outbox file named after one) is ever used twice.
CREATE TABLE IF NOT EXISTS log_floor(next_offset INTEGER NOT NULL);
)sql";

// Consumer groups' committed offsets live in a small database of their own, attached as
// `offsets`, in WAL mode: a flow commits after every batch, and a commit there is an append to
// the WAL, where the log's rollback journal costs four fsyncs (journal twice, file, directory).
const char* kOffsetsSchema = R"sql(
CREATE TABLE IF NOT EXISTS offsets.group_offsets(
  grp TEXT NOT NULL, topic_id INTEGER NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL,
  PRIMARY KEY(grp, topic_id, partition));
CREATE TABLE IF NOT EXISTS offsets.log_identity(id TEXT NOT NULL);
)sql";

// "data/bus.db" -> "data/bus-offsets.db"
std::string offsets_path(const std::string& log_path) {
  std::filesystem::path p(log_path);
  return (p.parent_path() / (p.stem().string() + "-offsets" + p.extension().string())).string();
}

// Event position as one integer: 14 bits topic id, 9 bits partition (at most
// 256), 40 bits offset (10^12 events per partition). Ordered like the tuple.
constexpr int kOffsetBits = 40;
constexpr int kPartitionBits = 9;
constexpr int64_t kMaxTopics = int64_t{1} << 14;
static_assert(kOffsetBits + kPartitionBits == 49, "the retention SQL shifts by 49 and 40");
constexpr int64_t kOffsetMask = (int64_t{1} << kOffsetBits) - 1;

int64_t pos_of(int64_t topic_id, int64_t partition, int64_t offset) {
  return (topic_id << (kOffsetBits + kPartitionBits)) | (partition << kOffsetBits) | offset;
}
int64_t offset_of(int64_t pos) {
  return pos & kOffsetMask;
}

// A batch closes at this many bytes of events, so that a consumer reading a few events of a
// large publish does not decode much more than it reads.
constexpr size_t kBatchBytes = 1 << 20;

// Headers as "<len>:<name><len>:<value>..." (binary-safe, cheap to parse). The headers events
// share are encoded once per list.
std::string encode_headers(const std::vector<Header>& headers) {
  std::string out;
  for (const auto& h : headers) append_header(out, h.name, h.value);
  return out;
}

// FNV-1a: stable across builds and platforms, so a key keeps its partition.
uint32_t key_hash(std::string_view key) {
  uint32_t h = 2166136261u;
  for (unsigned char c : key) h = (h ^ c) * 16777619u;
  return h;
}

struct Topic {
  int64_t id;
  int partitions;
};

class EmbeddedBus;

class EmbeddedConsumer final : public Consumer {
 public:
  EmbeddedConsumer(Database& db, std::string group, std::string topic, Topic info)
      : db_(db),
        group_(std::move(group)),
        topic_(std::move(topic)),
        info_(info),
        loaded_(static_cast<size_t>(info.partitions)),
        at_or_before_(db.prepare("SELECT pos, count FROM batches WHERE pos<=?1 AND pos>=?2 ORDER BY pos DESC LIMIT 1")),
        after_(db.prepare("SELECT pos FROM batches WHERE pos>?1 AND pos<?2 ORDER BY pos LIMIT 1")),
        read_(db.prepare("SELECT count, ts_ms, data FROM batches WHERE pos=?")) {
    rewind();
  }

  std::vector<Event> poll(size_t max_events) override {
    std::vector<Event> out;
    // Partitions in turn, starting after the one served last, so none starves.
    for (int i = 0; i < info_.partitions && out.size() < max_events; ++i) {
      const auto p = static_cast<size_t>((next_partition_ + i) % info_.partitions);
      while (out.size() < max_events && load(p)) {
        Loaded& batch = loaded_[p];
        for (int64_t offset = position_[p]; offset < batch.base + batch.count && out.size() < max_events; ++offset) {
          const BatchEvent& b = batch.events[static_cast<size_t>(offset - batch.base)];
          Event& e = out.emplace_back();
          e.topic = topic_;
          e.partition = static_cast<int32_t>(p);
          e.offset = offset;
          e.timestamp_ms = batch.ts_ms;
          e.key = b.key;
          e.value = b.value;
          e.headers.reserve(b.shared_headers.size() + b.headers.size());
          e.headers.append(b.shared_headers).append(b.headers);
          position_[p] = offset + 1;
        }
        if (position_[p] >= batch.base + batch.count) batch = Loaded{};  // read: its memory goes
      }
    }
    next_partition_ = (next_partition_ + 1) % info_.partitions;
    return out;
  }

  void commit(const Positions& positions) override {
    Transaction tx(db_);
    auto& upsert = db_.cached(
        "INSERT INTO offsets.group_offsets(grp, topic_id, partition, next_offset) VALUES(?,?,?,?) "
        "ON CONFLICT(grp, topic_id, partition) DO UPDATE SET next_offset=excluded.next_offset");
    for (const auto& [p, offset] : positions)
      upsert.bind(1, group_).bind(2, info_.id).bind(3, int64_t{p}).bind(4, offset).run();
    tx.commit();
  }

  void rewind() override {
    position_.assign(static_cast<size_t>(info_.partitions), 0);
    std::vector<bool> committed_here(static_cast<size_t>(info_.partitions), false);
    auto committed = db_.prepare("SELECT partition, next_offset FROM offsets.group_offsets WHERE grp=? AND topic_id=?");
    committed.bind(1, group_).bind(2, info_.id);
    while (committed.step()) {
      auto p = committed.column_int(0);
      if (p < info_.partitions) {
        position_[static_cast<size_t>(p)] = committed.column_int(1);
        committed_here[static_cast<size_t>(p)] = true;
      }
    }
    // Retention may have deleted what the group had not read yet: start at
    // the oldest event left, and say so.
    auto earliest = db_.prepare("SELECT MIN(pos) FROM batches WHERE pos>=? AND pos<?");
    for (int p = 0; p < info_.partitions; ++p) {
      earliest.bind(1, pos_of(info_.id, p, 0)).bind(2, pos_of(info_.id, p + 1, 0));
      if (earliest.step() && !earliest.column_is_null(0)) {
        int64_t first = offset_of(earliest.column_int(0));
        if (position_[p] < first) {
          // (A group with nothing committed starts at the oldest event, after retention or
          // above a reset's floor: nothing to say.)
          if (committed_here[static_cast<size_t>(p)])
            log_warn("bus", {{"topic", topic_}, {"group", group_}, {"partition", std::to_string(p)}},
                     "events " + std::to_string(position_[p]) + ".." + std::to_string(first - 1) +
                         " were deleted by retention before this group read them");
          position_[p] = first;
        }
      }
      earliest.reset();
    }
  }

  int64_t lag() override {
    int64_t total = 0;
    auto q = db_.prepare(
        // A group with nothing committed has the partition's events left to read (its first
        // batch on; after a reset of the offsets a new partition starts above zero).
        "SELECT p.partition, p.next_offset - COALESCE(g.next_offset, (SELECT MIN(b.pos) & 1099511627775 FROM "
        "batches b WHERE b.pos >= ((p.topic_id << 49) | (p.partition << 40)) AND b.pos < ((p.topic_id << 49) | "
        "((p.partition + 1) << 40))), p.next_offset) FROM partitions p "
        "LEFT JOIN offsets.group_offsets g ON g.grp=? AND g.topic_id=p.topic_id AND g.partition=p.partition "
        "WHERE p.topic_id=?");
    q.bind(1, group_).bind(2, info_.id);
    while (q.step()) total += std::max<int64_t>(0, q.column_int(1));
    return total;
  }

  int64_t oldest_pending_ms() override {
    // Per partition, the batch holding the group's committed offset, or the next one.
    std::vector<int64_t> committed(static_cast<size_t>(info_.partitions), 0);
    auto q = db_.prepare("SELECT partition, next_offset FROM offsets.group_offsets WHERE grp=? AND topic_id=?");
    q.bind(1, group_).bind(2, info_.id);
    while (q.step())
      if (q.column_int(0) < info_.partitions) committed[static_cast<size_t>(q.column_int(0))] = q.column_int(1);
    int64_t oldest = 0;
    for (int p = 0; p < info_.partitions; ++p) {
      const int64_t ts = batch_time(p, committed[static_cast<size_t>(p)]);
      if (ts > 0 && (oldest == 0 || ts < oldest)) oldest = ts;
    }
    return oldest;
  }

 private:
  // A batch read from the log, decoded.
  struct Loaded {
    int64_t base = 0, count = 0, ts_ms = 0;
    std::string buffer;
    std::vector<BatchEvent> events;  // view `buffer`
  };

  // Has loaded_[p] hold the batch with the partition's next event; false when there is none.
  bool load(size_t p) {
    Loaded& batch = loaded_[p];
    const int64_t offset = position_[p];
    if (batch.count > 0 && offset >= batch.base && offset < batch.base + batch.count) return true;
    const std::optional<int64_t> pos = find(static_cast<int64_t>(p), offset);
    if (!pos) return false;
    auto where = [&] {  // for errors only
      return "embedded bus: " + topic_ + "/" + std::to_string(p) + " at offset " + std::to_string(offset_of(*pos));
    };
    read_.bind(1, *pos);
    if (!read_.step()) throw std::runtime_error(where() + ": batch vanished while read");
    batch.base = offset_of(*pos);
    batch.count = read_.column_int(0);
    batch.ts_ms = read_.column_int(1);
    try {
      batch.events = decode_batch(read_.column_view(2), batch.buffer);
    } catch (const std::exception& e) {
      read_.reset();
      batch = Loaded{};
      throw std::runtime_error(where() + ": " + e.what());
    }
    read_.reset();
    if (static_cast<int64_t>(batch.events.size()) != batch.count) {
      batch = Loaded{};
      throw std::runtime_error(where() + ": corrupt event batch: wrong event count");
    }
    // Retention deleted events the group had not read: go on from the oldest left.
    if (offset < batch.base) position_[p] = batch.base;
    return true;
  }

  // Where the batch holding `offset` is, or else the first after it.
  std::optional<int64_t> find(int64_t partition, int64_t offset) {
    std::optional<int64_t> pos;
    at_or_before_.bind(1, pos_of(info_.id, partition, offset)).bind(2, pos_of(info_.id, partition, 0));
    if (at_or_before_.step() && offset_of(at_or_before_.column_int(0)) + at_or_before_.column_int(1) > offset)
      pos = at_or_before_.column_int(0);
    at_or_before_.reset();
    if (pos) return pos;
    after_.bind(1, pos_of(info_.id, partition, offset)).bind(2, pos_of(info_.id, partition + 1, 0));
    if (after_.step()) pos = after_.column_int(0);
    after_.reset();
    return pos;
  }

  // When the event at `offset` (or the first after it) was appended; 0 when there is none.
  int64_t batch_time(int64_t partition, int64_t offset) {
    const std::optional<int64_t> pos = find(partition, offset);
    if (!pos) return 0;
    auto q = db_.prepare("SELECT ts_ms FROM batches WHERE pos=?");
    q.bind(1, *pos);
    return q.step() ? q.column_int(0) : 0;
  }

  Database& db_;
  std::string group_, topic_;
  Topic info_;
  std::vector<Loaded> loaded_;  // per partition: the batch being read
  Statement at_or_before_, after_, read_;
  std::vector<int64_t> position_;
  int next_partition_ = 0;
};

class EmbeddedBus final : public Bus {
 public:
  explicit EmbeddedBus(const EmbeddedBusOptions& options)
      : options_(options), db_(options.path, options.fsync, Journal::Rollback) {
    // Events are ~1 KB: in 4 KB pages a sixth of the file was slack and every page a syscall.
    db_.set_page_size(32768);
    db_.exec(kSchema);
    db_.prepare("ATTACH DATABASE ? AS offsets").bind(1, offsets_path(options.path)).run();
    db_.exec("PRAGMA offsets.journal_mode=WAL");
    // NORMAL, even with fsync: a WAL commit then skips its flush, and a power loss can only take
    // back the last commits. That redelivers events whose results the ledger (flushed) holds:
    // they are skipped as unchanged, as after a crash between ledger and offset commit.
    db_.exec("PRAGMA offsets.synchronous=NORMAL");
    db_.exec(kOffsetsSchema);
    move_offsets_out_of_the_log();
    move_events_into_batches();
    if (options.reset_offsets) reset_offsets(db_);
    check_log_identity(db_, options.path, offsets_path(options.path));
  }

  void publish(const std::vector<OutgoingEvent>& events) override {
    if (events.empty()) return;
    try {
      append(events);
    } catch (...) {
      topics_.clear();  // a topic created in the rolled-back transaction is gone
      throw;
    }
  }

  void append(const std::vector<OutgoingEvent>& events) {
    // Events by partition, in publish order; headers encoded, those events share once.
    std::map<std::pair<int64_t, int32_t>, std::vector<BatchEvent>> parts;
    std::vector<std::string> own(events.size());
    std::unordered_map<const std::vector<Header>*, std::string> shared;
    Transaction tx(db_);
    for (size_t i = 0; i < events.size(); ++i) {
      const OutgoingEvent& e = events[i];
      Topic topic = ensure_topic(e.topic);
      int32_t partition = static_cast<int32_t>(key_hash(e.key) % static_cast<uint32_t>(topic.partitions));
      std::string_view common;
      if (e.common_headers) {
        auto [it, fresh] = shared.try_emplace(e.common_headers.get());
        if (fresh) it->second = encode_headers(*e.common_headers);
        common = it->second;
      }
      own[i] = encode_headers(e.headers);
      parts[{topic.id, partition}].push_back({e.key, e.value, common, own[i]});
    }
    auto& read_next = db_.cached("SELECT next_offset FROM partitions WHERE topic_id=? AND partition=?");
    auto& insert = db_.cached("INSERT INTO batches(pos, count, ts_ms, size, data) VALUES(?,?,?,?,?)");
    auto& update = db_.cached("UPDATE partitions SET next_offset=?, bytes=bytes+? WHERE topic_id=? AND partition=?");
    const int64_t now = now_ms();
    for (const auto& [tp, part] : parts) {
      read_next.bind(1, tp.first).bind(2, int64_t{tp.second});
      int64_t next = read_next.step() ? read_next.column_int(0) : 0;
      read_next.reset();
      int64_t stored = 0;
      for (size_t begin = 0; begin < part.size();) {
        size_t end = begin, bytes = 0;
        for (; end < part.size() && (end == begin || bytes < kBatchBytes); ++end) {
          const BatchEvent& e = part[end];
          bytes += e.key.size() + e.value.size() + e.shared_headers.size() + e.headers.size();
        }
        const std::string data = encode_batch(std::span(part).subspan(begin, end - begin), options_.compression);
        const auto count = static_cast<int64_t>(end - begin);
        const auto size = static_cast<int64_t>(data.size());
        insert.bind(1, pos_of(tp.first, tp.second, next)).bind(2, count).bind(3, now).bind(4, size);
        insert.bind_blob_static(5, data).run();
        next += count;
        stored += size;
        begin = end;
      }
      update.bind(1, next).bind(2, stored).bind(3, tp.first).bind(4, int64_t{tp.second}).run();
    }
    tx.commit();
  }

  std::unique_ptr<Consumer> subscribe(const std::string& group, const std::string& topic) override {
    Topic info;
    {
      Transaction tx(db_);
      info = ensure_topic(topic);
      tx.commit();
    }
    return std::make_unique<EmbeddedConsumer>(db_, group, topic, info);
  }

  // Whole batches go, as Kafka deletes whole segments.
  int64_t enforce_retention() override {
    Transaction tx(db_);
    int64_t deleted = 0;
    const int64_t cutoff = now_ms() - options_.retention_age.count();
    auto old = db_.prepare("SELECT COALESCE(SUM(count), 0) FROM batches WHERE ts_ms < ?");
    old.bind(1, cutoff);
    if (old.step()) deleted = old.column_int(0);
    old.reset();
    if (deleted > 0) {
      db_.prepare("DELETE FROM batches WHERE ts_ms < ?").bind(1, cutoff).run();
      recount_bytes();
    }
    // Then trim by size, oldest batches first.
    auto parts = db_.prepare(
        "SELECT p.topic_id, p.partition, p.bytes, t.partitions FROM partitions p JOIN topics t ON t.id=p.topic_id");
    struct Trim {
      int64_t topic_id, partition, excess;
    };
    std::vector<Trim> trims;
    while (parts.step()) {
      int64_t limit = static_cast<int64_t>(options_.retention_bytes) / std::max<int64_t>(1, parts.column_int(3));
      if (parts.column_int(2) > limit)
        trims.push_back({parts.column_int(0), parts.column_int(1), parts.column_int(2) - limit});
    }
    for (const auto& t : trims) {
      auto oldest = db_.prepare("SELECT pos, size, count FROM batches WHERE pos>=? AND pos<? ORDER BY pos");
      oldest.bind(1, pos_of(t.topic_id, t.partition, 0)).bind(2, pos_of(t.topic_id, t.partition + 1, 0));
      int64_t freed = 0, cut = -1;
      while (freed < t.excess && oldest.step()) {
        cut = oldest.column_int(0);
        freed += oldest.column_int(1);
        deleted += oldest.column_int(2);
      }
      oldest.reset();
      if (cut < 0) continue;
      db_.prepare("DELETE FROM batches WHERE pos>=? AND pos<=?")
          .bind(1, pos_of(t.topic_id, t.partition, 0))
          .bind(2, cut)
          .run();
      db_.prepare("UPDATE partitions SET bytes=bytes-? WHERE topic_id=? AND partition=?")
          .bind(1, freed)
          .bind(2, t.topic_id)
          .bind(3, t.partition)
          .run();
    }
    tx.commit();
    return deleted;
  }

 private:
  // Must run inside a transaction.
  Topic ensure_topic(const std::string& name) {
    auto cached = topics_.find(name);
    if (cached != topics_.end()) return cached->second;
    auto find = db_.prepare("SELECT id, partitions FROM topics WHERE name=?");
    find.bind(1, name);
    Topic topic{};
    if (find.step()) {
      topic = {find.column_int(0), static_cast<int>(find.column_int(1))};
    } else {
      find.reset();
      db_.prepare("INSERT INTO topics(name, partitions, created_ms) VALUES(?,?,?)")
          .bind(1, name)
          .bind(2, int64_t{options_.partitions})
          .bind(3, now_ms())
          .run();
      topic = {db_.last_insert_id(), options_.partitions};
      if (topic.id >= kMaxTopics) throw std::runtime_error("embedded bus: more than 16383 topics");
      auto add = db_.prepare(
          "INSERT OR IGNORE INTO partitions(topic_id, partition, next_offset) "
          "VALUES(?,?,(SELECT COALESCE(MAX(next_offset),0) FROM log_floor))");
      for (int p = 0; p < topic.partitions; ++p) add.bind(1, topic.id).bind(2, int64_t{p}).run();
    }
    topics_[name] = topic;
    return topic;
  }

  // A log written before the offsets had their own database keeps them in its group_offsets.
  void move_offsets_out_of_the_log() {
    auto q = db_.prepare("SELECT 1 FROM main.sqlite_master WHERE type='table' AND name='group_offsets'");
    if (!q.step()) return;
    q.reset();
    Transaction tx(db_);
    db_.exec(
        "INSERT OR REPLACE INTO offsets.group_offsets(grp, topic_id, partition, next_offset) "
        "SELECT grp, topic_id, partition, next_offset FROM main.group_offsets");
    db_.exec("DROP TABLE main.group_offsets");
    // Counted in this very log: they carry its identity (when it has one yet).
    db_.exec("DELETE FROM offsets.log_identity");
    db_.exec("INSERT INTO offsets.log_identity(id) SELECT id FROM main.log_identity");
    tx.commit();
  }

  // A log written before record batches has a row per event: each becomes a batch of one.
  void move_events_into_batches() {
    auto q = db_.prepare("SELECT 1 FROM main.sqlite_master WHERE type='table' AND name='events'");
    if (!q.step()) return;
    q.reset();
    Transaction tx(db_);
    auto rows = db_.prepare("SELECT pos, ts_ms, key, value, headers FROM main.events ORDER BY pos");
    auto insert = db_.prepare("INSERT INTO batches(pos, count, ts_ms, size, data) VALUES(?,1,?,?,?)");
    while (rows.step()) {
      const BatchEvent event{rows.column_view(2), rows.column_view(3), {}, rows.column_view(4)};
      const std::string data = encode_batch(std::span(&event, 1), options_.compression);
      insert.bind(1, rows.column_int(0)).bind(2, rows.column_int(1)).bind(3, static_cast<int64_t>(data.size()));
      insert.bind_blob_static(4, data).run();
    }
    rows.reset();
    db_.exec("DROP TABLE main.events");
    recount_bytes();
    tx.commit();
  }

  // Each partition's stored size, from its batches (after deleting some).
  void recount_bytes() {
    db_.exec(
        "UPDATE partitions SET bytes=(SELECT COALESCE(SUM(size),0) FROM batches b "
        "WHERE b.pos>=(topic_id<<49)|(partition<<40) AND b.pos<(topic_id<<49)|((partition+1)<<40))");
  }

  EmbeddedBusOptions options_;
  Database db_;
  std::unordered_map<std::string, Topic> topics_;
};

}  // namespace

std::unique_ptr<Bus> open_embedded_bus(const EmbeddedBusOptions& options) {
  return std::make_unique<EmbeddedBus>(options);
}

}  // namespace synchub::runtime
