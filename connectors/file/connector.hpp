// `file` connector: folders of JSON-lines or CSV files.
//  - source: files in `inbox` picked up in name order; a record's cursor is
//    file + byte offset; a file is archived once all its records are on the
//    bus (its end-of-file cursor committed). Hidden and *.tmp/*.part files
//    are never read; a last line without a newline is read only once the file
//    has been unchanged for `settle`.
//  - sink: each batch is written to a hidden temp file, flushed, then renamed
//    to <flow>-<batch id>.<ext>: readers never see half a file, and a batch
//    repeated after a crash overwrites its earlier copy instead of adding one.
#pragma once

#include <chrono>
#include <future>
#include <map>
#include <string>
#include <vector>

#include "connectors/connector.hpp"
#include "connectors/file/record_reader.hpp"

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
}  // namespace field

// Dead letters keep a rejected record's input up to this size.
inline constexpr size_t kRejectInputLimit = 16u << 20;

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

  bool csv_;
  char delimiter_;
  std::string key_;
  std::string inbox_, archive_, pattern_;
  bool whole_ = false;
  std::chrono::milliseconds poll_interval_, settle_;
  uint64_t max_record_size_;
  std::map<std::string, std::vector<std::string>> headers_;  // by file name
};

class FileSink final : public SinkStream {
 public:
  explicit FileSink(const config::StreamConfig& stream);
  ~FileSink() override;
  std::vector<SinkResult> push(const Batch& batch) override;
  bool in_flight() const override { return flushing_.valid(); }
  void settle() override;

 private:
  std::string csv_row(std::string_view record, std::vector<std::string>& columns, std::string& error) const;

  // With fsync, a batch's file is flushed, renamed into place and its directory flushed on a
  // thread of its own, so that the hub reads the next batch while the disk writes: "" or why
  // it failed.
  std::future<std::string> flushing_;
  bool csv_;
  char delimiter_;
  bool fsync_;
  std::string outbox_;
  std::vector<std::string> columns_;
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
