// `file` connector: folders of JSON-lines or CSV files.
//  - source: files in `inbox` picked up in name order; a record's cursor is
//    file + byte offset; a file is archived once all its records are on the
//    bus (its end-of-file cursor committed). Hidden and *.tmp/*.part files
//    are never read; a last line without a newline is read only once the file
//    has been unchanged for `settle`.
//  - sink: each batch is written to a hidden temp file, flushed, then renamed
//    to <flow>-<batch id>.<ext>: readers never see half a file, and a batch
//    repeated after a crash overwrites its earlier copy instead of adding one.
//    With `roll`, batches are appended to one hidden open file until a limit
//    is reached, then it is renamed into place (roll.hpp: how a crash and a
//    repeated batch are handled there).
//  - CSV files are written in UTF-8, UTF-8 with a BOM (for Excel) or GB18030,
//    and read back in the same; a text cell a spreadsheet would run as a
//    formula is made inert with a leading apostrophe (encoding.hpp: the rule).
#pragma once

#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "connectors/connector.hpp"
#include "connectors/file/encoding.hpp"
#include "connectors/file/record_reader.hpp"
#include "connectors/file/roll.hpp"

namespace synchub::connectors::file {

// Field names shared by the spec and the code that reads them.
namespace field {
inline constexpr const char* kFormat = "format";
inline constexpr const char* kKey = "key";
inline constexpr const char* kInbox = "inbox";
inline constexpr const char* kArchive = "archive";
inline constexpr const char* kPattern = "pattern";
inline constexpr const char* kOutbox = "outbox";
inline constexpr const char* kColumns = "columns";
inline constexpr const char* kDelimiter = "delimiter";
inline constexpr const char* kPollInterval = "poll_interval";
inline constexpr const char* kSettle = "settle";
inline constexpr const char* kMaxRecordSize = "max_record_size";
inline constexpr const char* kFsync = "fsync";
inline constexpr const char* kEncoding = "encoding";
inline constexpr const char* kInertFormulas = "inert_formulas";
inline constexpr const char* kRoll = "roll";
inline constexpr const char* kRollMaxRecords = "roll.max_records";
inline constexpr const char* kRollMaxBytes = "roll.max_bytes";
inline constexpr const char* kRollMaxAge = "roll.max_age";
}  // namespace field

// Dead letters keep a rejected record's input up to this size.
inline constexpr size_t kRejectInputLimit = 16u << 20;

// Where a file source stands: a file, a byte offset in it and the line there.
struct FileCursor {
  std::string file;
  uint64_t offset = 0;
  uint64_t line = 1;
};

class FileSource final : public SourceStream {
 public:
  explicit FileSource(const config::StreamConfig& stream);
  // Reading a folder whole (reconciliation): every file in name order, the last line read as
  // it is, nothing archived; a record without the key field is known by its file:line.
  static std::unique_ptr<FileSource> whole_folder(const config::StreamConfig& stream, const std::string& folder);
  PullResult pull(const std::string& cursor, size_t max_records) override;
  std::chrono::milliseconds poll_interval() const override { return poll_interval_; }
  std::string accept(const std::string& record_json, SourceRecord& out) const override;

 private:
  std::vector<std::string> list_inbox() const;
  void archive(const std::string& name) const;
  const std::vector<std::string>& csv_header(const std::string& name, int fd);
  void convert(const std::string& name, RawRecord& raw, PullResult& out);

  std::string pick_file(const std::vector<std::string>& files, const std::string& current) const;
  bool read_file(const std::string& name, int fd, bool settled, FileCursor& cursor, size_t budget, size_t& count,
                 PullResult& result);
  // GB18030 input to UTF-8 (nothing to do for UTF-8); false when it is not valid GB18030.
  [[nodiscard]] bool decode(std::string& text);

  bool csv_;
  char delimiter_;
  std::string key_;
  std::string inbox_, archive_, pattern_;
  bool whole_ = false;
  std::chrono::milliseconds poll_interval_, settle_;
  uint64_t max_record_size_;
  std::map<std::string, std::vector<std::string>> headers_;  // by file name
  std::unique_ptr<Transcoder> from_gb18030_;                 // encoding: gb18030
  std::vector<std::string> listing_;                         // sorted names, kept between pulls
  bool relist_ = true;                                       // list again at the next pull
};

class FileSink final : public SinkStream {
 public:
  explicit FileSink(const config::StreamConfig& stream);
  // Waits for the batch in flight, then closes the flows' open rolled files (a clean stop).
  ~FileSink() override;
  std::vector<SinkResult> push(const Batch& batch) override;
  bool in_flight() const override { return flushing_.valid(); }
  void settle() override;

 private:
  // A batch's records as they go in the file: the rows of those that can be written.
  struct Rows {
    std::vector<std::string> columns;  // CSV
    std::vector<size_t> written;       // indexes of records in the file
    std::vector<std::string> text;     // their rows, encoded, each with its line end
    uint64_t bytes = 0;
  };
  Rows rows_of(const Batch& batch, std::vector<std::string> columns, std::vector<SinkResult>& results);
  std::string csv_row(std::string_view record, std::vector<std::string>& columns, std::string& error) const;
  [[nodiscard]] bool encode(std::string& text, std::string& error);
  std::string head(const std::vector<std::string>& columns);  // BOM and CSV header
  std::vector<SinkResult> push_file(const Batch& batch);
  std::vector<SinkResult> push_rolled(const Batch& batch);
  RolledFiles& rolled(const std::string& flow);
  void close_rolled_files();

  // With fsync, a batch's file is flushed, renamed into place (or its journal line written) and
  // its directory flushed on a thread of its own, so that the hub reads the next batch while
  // the disk writes: "" or why it failed.
  std::future<std::string> flushing_;
  RolledFiles* flushing_rolled_ = nullptr;  // the flow whose rolled file is being flushed
  bool csv_;
  char delimiter_;
  bool fsync_;
  std::string outbox_;
  std::vector<std::string> columns_;
  Encoding encoding_;
  bool inert_formulas_;
  std::optional<RollLimits> roll_;
  std::unique_ptr<Transcoder> to_gb18030_;
  std::map<std::string, std::unique_ptr<RolledFiles>> rolled_;  // by flow
};

class FileConnector final : public Connector {
 public:
  std::unique_ptr<SourceStream> open_source(const config::StreamConfig& stream) override {
    return std::make_unique<FileSource>(stream);
  }
  std::unique_ptr<SinkStream> open_sink(const config::StreamConfig& stream) override {
    return std::make_unique<FileSink>(stream);
  }
  // The outbox (a sink's files) or else the inbox, read whole.
  std::unique_ptr<SourceStream> open_reader(const config::StreamConfig& stream) override {
    return FileSource::whole_folder(stream,
                                    stream.settings.str_or(field::kOutbox, stream.settings.str_or(field::kInbox, "")));
  }
};

}  // namespace synchub::connectors::file
