#include "runtime/embedded_bus.hpp"

#include <charconv>
#include <filesystem>
#include <stdexcept>
#include <unordered_map>

#include "runtime/log.hpp"
#include "runtime/sqlite.hpp"

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

namespace {

const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS topics(
  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, partitions INTEGER NOT NULL, created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS partitions(
  topic_id INTEGER NOT NULL, partition INTEGER NOT NULL,
  next_offset INTEGER NOT NULL DEFAULT 0,  -- never goes back, even when retention empties the log
  bytes INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(topic_id, partition));
-- pos packs (topic_id, partition, offset) into the rowid: one B-tree, appends at its right edge.
CREATE TABLE IF NOT EXISTS events(
  pos INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL, headers BLOB NOT NULL,
  size INTEGER NOT NULL);
)sql";

// Consumer groups' committed offsets live in a small database of their own, attached as
// `offsets`, in WAL mode: a flow commits after every batch, and a commit there is one fsync of
// the WAL, where the log's rollback journal costs four (journal twice, file, directory).
const char* kOffsetsSchema = R"sql(
CREATE TABLE IF NOT EXISTS offsets.group_offsets(
  grp TEXT NOT NULL, topic_id INTEGER NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL,
  PRIMARY KEY(grp, topic_id, partition));
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

// Headers as "<len>:<name><len>:<value>..." (binary-safe, cheap to parse). A batch's shared
// headers are encoded once: `common` remembers the last list and its encoding.
struct EncodedCommon {
  const std::vector<Header>* list = nullptr;
  std::string text;
};
void encode_headers(const OutgoingEvent& e, EncodedCommon& common, std::string& out) {
  out.clear();
  if (e.common_headers) {
    if (common.list != e.common_headers.get()) {
      common.list = e.common_headers.get();
      common.text.clear();
      for (const auto& h : *common.list) append_header(common.text, h.name, h.value);
    }
    out = common.text;
  }
  for (const auto& h : e.headers) append_header(out, h.name, h.value);
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
        read_(db.prepare(
            "SELECT pos, ts_ms, key, value, headers FROM events WHERE pos>=? AND pos<? ORDER BY pos LIMIT ?")) {
    rewind();
  }

  std::vector<Event> poll(size_t max_events) override {
    std::vector<Event> out;
    // Partitions in turn, starting after the one served last, so none starves.
    for (int i = 0; i < info_.partitions && out.size() < max_events; ++i) {
      int32_t p = (next_partition_ + i) % info_.partitions;
      read_.bind(1, pos_of(info_.id, p, position_[p]))
          .bind(2, pos_of(info_.id, p + 1, 0))
          .bind(3, static_cast<int64_t>(max_events - out.size()));
      while (read_.step()) {
        Event e;
        e.topic = topic_;
        e.partition = p;
        e.offset = offset_of(read_.column_int(0));
        e.timestamp_ms = read_.column_int(1);
        e.key = read_.column_text(2);
        e.value = read_.column_text(3);
        e.headers = read_.column_view(4);
        position_[p] = e.offset + 1;
        out.push_back(std::move(e));
      }
      read_.reset();
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
    auto committed = db_.prepare("SELECT partition, next_offset FROM offsets.group_offsets WHERE grp=? AND topic_id=?");
    committed.bind(1, group_).bind(2, info_.id);
    while (committed.step()) {
      auto p = committed.column_int(0);
      if (p < info_.partitions) position_[static_cast<size_t>(p)] = committed.column_int(1);
    }
    // Retention may have deleted what the group had not read yet: start at
    // the oldest event left, and say so.
    auto earliest = db_.prepare("SELECT MIN(pos) FROM events WHERE pos>=? AND pos<?");
    for (int p = 0; p < info_.partitions; ++p) {
      earliest.bind(1, pos_of(info_.id, p, 0)).bind(2, pos_of(info_.id, p + 1, 0));
      if (earliest.step() && !earliest.column_is_null(0)) {
        int64_t first = offset_of(earliest.column_int(0));
        if (position_[p] < first) {
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
        "SELECT p.partition, p.next_offset - COALESCE(g.next_offset, 0) FROM partitions p "
        "LEFT JOIN offsets.group_offsets g ON g.grp=? AND g.topic_id=p.topic_id AND g.partition=p.partition "
        "WHERE p.topic_id=?");
    q.bind(1, group_).bind(2, info_.id);
    while (q.step()) total += std::max<int64_t>(0, q.column_int(1));
    return total;
  }

  int64_t oldest_pending_ms() override {
    // One index seek per partition: the event at the group's committed offset.
    auto q = db_.prepare(
        "SELECT MIN(e.ts_ms) FROM partitions p "
        "LEFT JOIN offsets.group_offsets g ON g.grp=?1 AND g.topic_id=p.topic_id AND g.partition=p.partition "
        "JOIN events e ON e.pos = (SELECT pos FROM events WHERE pos >= (p.topic_id << 49) + (p.partition << 40) + "
        "COALESCE(g.next_offset, 0) AND pos < (p.topic_id << 49) + ((p.partition + 1) << 40) ORDER BY pos LIMIT 1) "
        "WHERE p.topic_id=?2");
    q.bind(1, group_).bind(2, info_.id);
    return q.step() && !q.column_is_null(0) ? q.column_int(0) : 0;
  }

 private:
  Database& db_;
  std::string group_, topic_;
  Topic info_;
  Statement read_;
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
    db_.exec(options.fsync ? "PRAGMA offsets.synchronous=FULL" : "PRAGMA offsets.synchronous=NORMAL");
    db_.exec(kOffsetsSchema);
    move_offsets_out_of_the_log();
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
    Transaction tx(db_);
    auto& insert = db_.cached("INSERT INTO events(pos, ts_ms, key, value, headers, size) VALUES(?,?,?,?,?,?)");
    struct Next {
      int64_t offset;
      int64_t bytes;
    };
    std::map<std::pair<int64_t, int32_t>, Next> touched;
    auto& read_next = db_.cached("SELECT next_offset FROM partitions WHERE topic_id=? AND partition=?");
    const int64_t now = now_ms();
    EncodedCommon common;
    std::string headers;  // bound SQLITE_STATIC: reused once its row is inserted
    for (const auto& e : events) {
      Topic topic = ensure_topic(e.topic);
      int32_t partition = static_cast<int32_t>(key_hash(e.key) % static_cast<uint32_t>(topic.partitions));
      auto [it, fresh] = touched.try_emplace({topic.id, partition}, Next{0, 0});
      if (fresh) {
        read_next.bind(1, topic.id).bind(2, int64_t{partition});
        it->second.offset = read_next.step() ? read_next.column_int(0) : 0;
        read_next.reset();
      }
      encode_headers(e, common, headers);
      int64_t size = static_cast<int64_t>(e.key.size() + e.value.size() + headers.size());
      insert.bind(1, pos_of(topic.id, partition, it->second.offset++)).bind(2, now);
      insert.bind_blob_static(3, e.key).bind_blob_static(4, e.value).bind_blob_static(5, headers).bind(6, size).run();
      it->second.bytes += size;
    }
    auto& update = db_.cached("UPDATE partitions SET next_offset=?, bytes=bytes+? WHERE topic_id=? AND partition=?");
    for (const auto& [tp, next] : touched)
      update.bind(1, next.offset).bind(2, next.bytes).bind(3, tp.first).bind(4, int64_t{tp.second}).run();
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

  int64_t enforce_retention() override {
    Transaction tx(db_);
    int64_t deleted = 0;
    auto by_age = db_.prepare("DELETE FROM events WHERE ts_ms < ?");
    by_age.bind(1, now_ms() - options_.retention_age.count()).run();
    deleted += db_.changes();
    // Recount sizes where age retention removed events, then trim by size.
    if (deleted > 0)
      db_.exec(
          "UPDATE partitions SET bytes=(SELECT COALESCE(SUM(size),0) FROM events e "
          "WHERE e.pos>=(topic_id<<49)|(partition<<40) AND e.pos<(topic_id<<49)|((partition+1)<<40))");
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
      auto oldest = db_.prepare("SELECT pos, size FROM events WHERE pos>=? AND pos<? ORDER BY pos");
      oldest.bind(1, pos_of(t.topic_id, t.partition, 0)).bind(2, pos_of(t.topic_id, t.partition + 1, 0));
      int64_t freed = 0, cut = -1;
      while (freed < t.excess && oldest.step()) {
        cut = oldest.column_int(0);
        freed += oldest.column_int(1);
      }
      oldest.reset();
      if (cut < 0) continue;
      db_.prepare("DELETE FROM events WHERE pos>=? AND pos<=?")
          .bind(1, pos_of(t.topic_id, t.partition, 0))
          .bind(2, cut)
          .run();
      deleted += db_.changes();
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
      auto add = db_.prepare("INSERT OR IGNORE INTO partitions(topic_id, partition) VALUES(?,?)");
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
    tx.commit();
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
