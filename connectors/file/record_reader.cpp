#include "connectors/file/record_reader.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace synchub::connectors::file {

static constexpr size_t kChunk = 1 << 20;

RecordReader::RecordReader(int fd, uint64_t offset, uint64_t line, bool csv_quotes, size_t keep_limit)
    : fd_(fd), offset_(offset), line_(line), csv_quotes_(csv_quotes), keep_limit_(keep_limit), file_read_pos_(offset) {}

bool RecordReader::fill() {
  if (at_eof_) return false;
  if (head_ > 0) {  // compact once per chunk, not once per record
    buffer_.erase(0, head_);
    head_ = 0;
  }
  size_t old = buffer_.size();
  buffer_.resize(old + kChunk);
  ssize_t n;
  do {
    n = ::pread(fd_, buffer_.data() + old, kChunk, static_cast<off_t>(file_read_pos_));
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    buffer_.resize(old);
    throw std::runtime_error(std::string("read failed: ") + std::strerror(errno));
  }
  buffer_.resize(old + static_cast<size_t>(n));
  file_read_pos_ += static_cast<uint64_t>(n);
  if (n == 0) at_eof_ = true;
  return n > 0;
}

// Appends up to `len` bytes from buffer[head] to the record, within keep_limit;
// the caller moves head past them.
static void take(const std::string& buffer, size_t head, size_t len, std::string& text, size_t keep_limit) {
  size_t room = keep_limit > text.size() ? keep_limit - text.size() : 0;
  text.append(buffer, head, std::min(len, room));
}

// A quote that is never closed would make the rest of the file one row: the row is its first line
// only (refused with the reason), and reading goes on at the line after it.
bool RecordReader::end_at_first_line(RawRecord& out, uint64_t newline_offset) {
  if (newline_offset >= offset_) {
    const size_t len = static_cast<size_t>(newline_offset - offset_);
    take(buffer_, head_, len, out.text, keep_limit_);
    out.full_size += len;
  } else if (out.text.size() > newline_offset - out.start_offset) {
    out.text.resize(static_cast<size_t>(newline_offset - out.start_offset));
  }
  const bool cr = !out.text.empty() && out.text.back() == '\r';
  if (cr) out.text.pop_back();
  out.full_size = newline_offset - out.start_offset - (cr ? 1 : 0);  // the line, without its terminator
  out.problem = "unterminated quote: a quoted field opened on line " + std::to_string(out.line) +
                " is never closed; the row is read as that line alone";
  buffer_.clear();
  head_ = 0;
  offset_ = file_read_pos_ = newline_offset + 1;
  at_eof_ = false;
  line_ = out.line + 1;
  out.end_offset = offset_;
  return true;
}

bool RecordReader::next(RawRecord& out, bool tail_is_complete) {
  out.text.clear();
  out.start_offset = offset_;
  out.line = line_;
  out.full_size = 0;
  out.problem.clear();
  uint64_t newlines = 0;
  bool in_quotes = false;
  uint64_t quoted_newline = UINT64_MAX;  // file offset of the record's first newline inside quotes
  size_t scan = head_;                   // next byte of buffer_ to look at
  while (true) {
    // Find the terminating newline in what is buffered.
    size_t end = std::string::npos;
    if (!csv_quotes_) {
      const void* hit =
          scan < buffer_.size() ? std::memchr(buffer_.data() + scan, '\n', buffer_.size() - scan) : nullptr;
      if (hit) end = static_cast<size_t>(static_cast<const char*>(hit) - buffer_.data());
      scan = buffer_.size();
    } else {
      for (; scan < buffer_.size(); ++scan) {
        char c = buffer_[scan];
        if (c == '"')
          in_quotes = !in_quotes;  // "" inside quotes toggles twice: fine
        else if (c == '\n') {
          if (!in_quotes) {
            end = scan;
            break;
          }
          if (quoted_newline == UINT64_MAX) quoted_newline = offset_ + (scan - head_);
          ++newlines;
        }
      }
    }
    if (end != std::string::npos) {
      size_t len = end - head_;
      if (len > 0 && buffer_[end - 1] == '\r') --len;
      out.full_size += len;
      take(buffer_, head_, len, out.text, keep_limit_);
      offset_ += end + 1 - head_;
      head_ = end + 1;
      line_ += newlines + 1;
      out.end_offset = offset_;
      return true;
    }
    // No terminator yet: keep at most keep_limit bytes of an over-long record.
    if (buffer_.size() - head_ > keep_limit_ + kChunk) {
      size_t drop = buffer_.size() - head_ - kChunk;  // keep a tail: it may hold '\r' before '\n'
      take(buffer_, head_, drop, out.text, keep_limit_);
      out.full_size += drop;
      head_ += drop;
      offset_ += drop;
    }
    size_t scanned = scan - head_;
    if (fill()) {  // compaction moved the bytes: keep the scan position relative
      scan = head_ + scanned;
      continue;
    }
    if (buffer_.size() == head_ || !tail_is_complete) {
      // Nothing complete is left: rewind to the record start for the next call.
      if (out.start_offset != offset_) {
        buffer_.clear();
        head_ = 0;
        offset_ = file_read_pos_ = out.start_offset;
        line_ = out.line;
        at_eof_ = false;
      }
      out.text.clear();
      return false;
    }
    if (in_quotes && quoted_newline != UINT64_MAX) return end_at_first_line(out, quoted_newline);
    size_t len = buffer_.size() - head_;
    out.full_size += len;
    take(buffer_, head_, len, out.text, keep_limit_);
    head_ = buffer_.size();
    offset_ += len;
    line_ += newlines + 1;
    out.end_offset = offset_;
    return true;
  }
}

}  // namespace synchub::connectors::file
