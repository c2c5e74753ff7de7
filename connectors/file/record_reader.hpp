// Reads newline-terminated records from a file at a byte offset with a
// bounded buffer: JSON lines, or CSV rows (newlines inside quotes belong to
// the row). Over-long records are cut to `keep_limit` bytes, never buffered whole.
#pragma once

#include <cstdint>
#include <string>

namespace synchub::connectors::file {

struct RawRecord {
  std::string text;  // without the line terminator (capped at keep_limit)
  uint64_t start_offset = 0;
  uint64_t end_offset = 0;  // just past the terminator
  uint64_t line = 0;        // 1-based line where the record starts
  uint64_t full_size = 0;   // size before capping
  std::string problem;      // why the record is not whole ("" when it is)
};

class RecordReader {
 public:
  // `fd` stays owned by the caller.
  RecordReader(int fd, uint64_t offset, uint64_t line, bool csv_quotes, size_t keep_limit);

  // Next complete record. When the file ends without a final newline the tail
  // is a record only if `tail_is_complete` (the writer is done with the file).
  // Returns false when no complete record is left; throws on I/O errors.
  bool next(RawRecord& out, bool tail_is_complete);

  uint64_t offset() const { return offset_; }
  uint64_t line() const { return line_; }

 private:
  bool fill();  // reads more; false at end of file
  bool end_at_first_line(RawRecord& out, uint64_t newline_offset);

  int fd_;
  uint64_t offset_;  // file offset of the next unread record
  uint64_t line_;
  bool csv_quotes_;
  size_t keep_limit_;
  std::string buffer_;  // file bytes; buffer_[head_] is at file offset offset_
  size_t head_ = 0;     // consumed bytes at the front, dropped at the next fill
  uint64_t file_read_pos_;
  bool at_eof_ = false;
};

}  // namespace synchub::connectors::file
