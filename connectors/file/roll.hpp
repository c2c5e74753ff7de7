// A file sink's rolled output for one flow: batches are appended to one hidden open file,
// `.<name>.open`, which is renamed to its final name, `<flow>-<first batch id>.<ext>`, once a
// limit (records, bytes, age) is reached or the hub stops.
//
// Crash safety rests on a journal, `.<flow>.roll`, appended once a batch is in the file (and
// flushed, with fsync) and before the batch is reported written:
//  - after a crash, the open file is cut back to the end of the last batch the journal holds
//    (a batch cut short was never reported written), and writing goes on in it;
//  - a batch pushed again while it is still the open file's last (its flush failed, or the
//    hub was killed before recording it) is cut off and written anew, as the one-file-per-batch
//    sink overwrote it;
//  - the last batch written before a restart may not be recorded by the hub and come again
//    later, after batches of other partitions, in other batches, or once its file is closed:
//    it is kept in the journal as a suspect (its rows' hashes and places), and a row pushed
//    again with the same bytes is reported where it is instead of written twice.
// `.<flow>.roll.lock` is held (flock) while a sink writes the flow: a second writer of the
// same flow in the same outbox is refused rather than let interleave.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace synchub::connectors::file {

struct RollLimits {
  uint64_t max_records = 0;  // 0: no limit
  uint64_t max_bytes = 0;
  std::chrono::milliseconds max_age{0};
};

// Where one batch's rows are in a file. Lines count rows (the header is line 1 of a CSV file).
struct BatchSpan {
  std::string id;
  std::string file;
  uint64_t start = 0, end = 0;  // byte offsets
  uint64_t line = 0;            // of the first row
  std::vector<std::string> row_hashes;
};

class RolledFiles {
 public:
  RolledFiles(std::string outbox, std::string flow, std::string ext, RollLimits limits, bool sync);
  ~RolledFiles();
  RolledFiles(const RolledFiles&) = delete;
  RolledFiles& operator=(const RolledFiles&) = delete;

  // Locks the flow's journal and reads it, cutting a batch left half-written off the open file.
  // Throws when another writer holds the flow or the files disagree with the journal.
  void load();
  bool loaded() const { return lock_fd_ >= 0; }
  // Forgets everything in memory (after a failed write); the next load() reads the journal again.
  void unload();

  bool is_open() const { return open_.has_value(); }
  const std::vector<std::string>& columns() const { return open_->columns; }
  const std::string& file_name() const { return open_->name; }

  // A repeated push of the open file's last batch: cut it off again (it is written anew).
  void take_back(const std::string& batch_id);
  // Whether the open file is to be closed before a batch of `records` rows and `bytes` bytes.
  bool full_before(uint64_t records, uint64_t bytes) const;
  // Where each of `rows` is already, as a row of a suspect batch ("<file>:<line>"), or "".
  std::vector<std::string> written_before(const std::vector<std::string>& rows) const;

  // Starts a new open file holding `head` (a BOM, a CSV header: `head_lines` lines).
  void open(const std::string& batch_id, std::string_view head, uint64_t head_lines, std::vector<std::string> columns);
  // Appends a batch's rows (their bytes joined in `content`); returns the line of the first.
  uint64_t append(const std::string& batch_id, std::string_view content, const std::vector<std::string>& rows);
  // Makes the last append durable and journaled, then closes the file when it is full.
  // "" or why it failed (then unload() and push the batch again).
  [[nodiscard]] std::string finish();
  // Closes the open file, if any: renamed to its final name (a file without a batch is removed).
  void close();

 private:
  void read_journal();
  void suspect_last_batch();
  void recover_open_file();
  void journal(const std::string& line);
  void rewrite_journal();
  std::string path(const std::string& name) const;

  std::string outbox_, flow_, ext_;
  RollLimits limits_;
  bool sync_;
  int lock_fd_ = -1, journal_fd_ = -1;
  struct OpenFile {
    std::string name;
    int64_t created_ms = 0;
    std::vector<std::string> columns;
    uint64_t end = 0, next_line = 1, records = 0;
    std::vector<BatchSpan> batches;
    int fd = -1;
  };
  std::optional<OpenFile> open_;
  bool new_file_ = false;                 // created since the last finish(): the folder is flushed too
  std::optional<BatchSpan> pending_;      // appended, not journaled yet
  std::optional<BatchSpan> closed_last_;  // of the file closed last
  std::string closed_file_;
  std::vector<BatchSpan> suspects_;  // batches written before a restart, perhaps not recorded
};

}  // namespace synchub::connectors::file
