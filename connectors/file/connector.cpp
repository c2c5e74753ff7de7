#include "connectors/file/connector.hpp"

#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <utility>

#include "connectors/file/csv.hpp"
#include "connectors/file/fd.hpp"
#include "mapping/document.hpp"
#include "mapping/json_writer.hpp"
#include "mapping/record.hpp"

namespace fs = std::filesystem;

namespace synchub::connectors::file {

namespace {

using Cursor = FileCursor;

Cursor parse_cursor(const std::string& text) {
  Cursor c;
  if (text.empty()) return c;
  auto j = nlohmann::json::parse(text);
  c.file = j.at("file").get<std::string>();
  c.offset = j.at("offset").get<uint64_t>();
  c.line = j.at("line").get<uint64_t>();
  return c;
}

std::string format_cursor(const Cursor& c) {
  return nlohmann::json{{"file", c.file}, {"offset", c.offset}, {"line", c.line}}.dump();
}

bool is_blank(const std::string& text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

void strip_bom(std::string& text) {
  if (text.rfind("\xEF\xBB\xBF", 0) == 0) text.erase(0, 3);
}

}  // namespace

// ---- source ----------------------------------------------------------------

FileSource::FileSource(const config::StreamConfig& stream)
    : csv_(stream.settings.str(field::kFormat) == "csv"),
      delimiter_(stream.settings.str(field::kDelimiter).at(0)),
      key_(stream.settings.str(field::kKey)),
      inbox_(stream.settings.str_or(field::kInbox, "")),  // a sink's outbox read whole has none
      archive_(stream.settings.has(field::kArchive) ? stream.settings.str(field::kArchive)
                                                    : (fs::path(inbox_) / "archive").string()),
      pattern_(stream.settings.str(field::kPattern)),
      poll_interval_(stream.settings.duration(field::kPollInterval)),
      settle_(stream.settings.duration(field::kSettle)),
      max_record_size_(stream.settings.size(field::kMaxRecordSize)) {
  if (parse_encoding(stream.settings.str(field::kEncoding)) == Encoding::Gb18030)
    from_gb18030_ = std::make_unique<Transcoder>("UTF-8", "GB18030");
}

bool FileSource::decode(std::string& text) {
  if (!from_gb18030_) return true;
  std::string converted;
  if (!from_gb18030_->convert(text, converted)) return false;
  text = std::move(converted);
  return true;
}

std::unique_ptr<FileSource> FileSource::whole_folder(const config::StreamConfig& stream, const std::string& folder) {
  auto source = std::make_unique<FileSource>(stream);
  source->inbox_ = folder;
  source->whole_ = true;
  return source;
}

// The file to read from: the one in progress; reading whole, else the next after it by name;
// otherwise the first (finish the file in progress even if a file sorting before it appeared).
// "" when there is none.
std::string FileSource::pick_file(const std::vector<std::string>& files, const std::string& current) const {
  if (std::binary_search(files.begin(), files.end(), current)) return current;
  if (!whole_) return files.empty() ? "" : files[0];
  auto next = std::upper_bound(files.begin(), files.end(), current);
  return next == files.end() ? "" : *next;
}

std::vector<std::string> FileSource::list_inbox() const {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(inbox_, ec)) {
    std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.') continue;  // hidden: being written
    if (name.ends_with(".tmp") || name.ends_with(".part") || name.ends_with(".partial")) continue;
    if (!entry.is_regular_file(ec)) continue;
    if (::fnmatch(pattern_.c_str(), name.c_str(), 0) != 0) continue;
    names.push_back(std::move(name));
  }
  if (ec && ec != std::errc::no_such_file_or_directory)
    throw std::runtime_error("cannot list inbox " + inbox_ + ": " + ec.message());
  std::sort(names.begin(), names.end());
  return names;
}

void FileSource::archive(const std::string& name) const {
  fs::create_directories(archive_);
  fs::path target = fs::path(archive_) / name;
  // Never overwrite an earlier file of the same name.
  for (int n = 1; fs::exists(target); ++n) target = fs::path(archive_) / (name + "." + std::to_string(n));
  fs::rename(fs::path(inbox_) / name, target);
}

const std::vector<std::string>& FileSource::csv_header(const std::string& name, int fd) {
  auto it = headers_.find(name);
  if (it != headers_.end()) return it->second;
  RecordReader reader(fd, 0, 1, true, max_record_size_);
  RawRecord raw;
  std::vector<std::string> header;
  if (reader.next(raw, true)) {
    strip_bom(raw.text);
    std::string error = decode(raw.text) ? parse_csv_row(raw.text, delimiter_, header) : "invalid GB18030";
    if (!error.empty()) header.clear();
  }
  if (headers_.size() > 16) headers_.clear();
  return headers_[name] = header;
}

void FileSource::convert(const std::string& name, RawRecord& raw, PullResult& out) {
  const std::string position = name + ":" + std::to_string(raw.line);
  auto reject = [&](std::string reason, std::string key = {}) {
    if (raw.full_size > raw.text.size())
      reason += " (input cut to the first " + std::to_string(raw.text.size()) + " bytes)";
    out.rejects.push_back({position, std::move(reason), std::move(raw.text), std::move(key)});
  };
  if (raw.full_size > max_record_size_)
    return reject("record is " + std::to_string(raw.full_size) + " bytes, over max_record_size (" +
                  std::to_string(max_record_size_) + ")");
  // Read whole, a record without the key field (a sink's output) is known by where it is.
  auto check = [&](const std::string& json, std::string& key) {
    std::string error = mapping::check_record(json, key_, key);
    if (whole_ && error.rfind("missing key", 0) == 0) {
      key = position;
      error.clear();
    }
    return error;
  };
  if (!csv_) {
    std::string key;
    std::string error = check(raw.text, key);
    if (!error.empty()) return reject(std::move(error));
    out.records.push_back({std::move(key), std::move(raw.text), position});
    return;
  }
  if (!raw.problem.empty()) return reject(raw.problem);
  if (!decode(raw.text)) return reject("invalid GB18030");
  if (!mapping::is_valid_utf8(raw.text)) return reject("invalid UTF-8");
  const auto& header = headers_[name];
  std::vector<std::string> fields;
  std::string error = parse_csv_row(raw.text, delimiter_, fields);
  if (!error.empty()) return reject("malformed CSV: " + error);
  if (fields.size() != header.size())
    return reject("expected " + std::to_string(header.size()) + " fields (as the header), got " +
                  std::to_string(fields.size()));
  std::string json = "{";
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) json += ',';
    mapping::append_json_string(json, header[i]);
    json += ':';
    mapping::append_json_string(json, fields[i]);
  }
  json += '}';
  std::string key;
  error = check(json, key);
  if (!error.empty()) return reject(std::move(error));
  out.records.push_back({std::move(key), std::move(json), position});
}

// Reads `name` from `cursor` on, at most `budget` records; false when it stops for want of
// input that is not there yet (a header row being written).
bool FileSource::read_file(const std::string& name, int fd, bool settled, Cursor& cursor, size_t budget, size_t& count,
                           PullResult& result) {
  if (csv_) {
    csv_header(name, fd);
    if (cursor.offset == 0) {  // the header row is not a record
      RecordReader header_reader(fd, 0, 1, true, kRejectInputLimit);
      RawRecord header_row;
      if (!header_reader.next(header_row, settled)) return false;
      cursor.offset = header_row.end_offset;
      cursor.line = header_reader.line();
    }
  }
  RecordReader reader(fd, cursor.offset, cursor.line, csv_, kRejectInputLimit);
  RawRecord raw;
  while (count < budget && reader.next(raw, settled)) {
    if (raw.start_offset == 0) strip_bom(raw.text);
    if (is_blank(raw.text)) continue;
    convert(name, raw, result);
    ++count;
  }
  cursor.offset = reader.offset();
  cursor.line = reader.line();
  return true;
}

// The folder is listed once and the listing kept while pulls follow each other at once (`more`):
// listing it at every pull made reading N files take N listings of N names.
PullResult FileSource::pull(const std::string& cursor_text, size_t max_records) {
  PullResult result;
  result.next_cursor = cursor_text;
  Cursor cursor = parse_cursor(cursor_text);
  bool fresh = relist_ || listing_.empty();  // the listing is of this pull
  if (fresh) listing_ = list_inbox();
  auto relist = [&] {
    if (fresh) return false;
    listing_ = list_inbox();
    return fresh = true;
  };
  size_t count = 0;
  while (true) {
    const std::string name = pick_file(listing_, cursor.file);
    if (name.empty() && relist()) continue;  // files may have come since the listing
    if (name.empty()) break;
    const std::string path = (fs::path(inbox_) / name).string();
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0 && errno == ENOENT && relist()) continue;  // gone since the listing
    if (fd.get() < 0) throw std::runtime_error(errno_text("cannot open", path));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw std::runtime_error(errno_text("cannot stat", path));
    const auto modified = std::chrono::system_clock::time_point(std::chrono::seconds(st.st_mtim.tv_sec) +
                                                                std::chrono::nanoseconds(st.st_mtim.tv_nsec));
    const bool settled = whole_ || std::chrono::system_clock::now() - modified >= settle_;
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    if (cursor.file != name) cursor = {name, 0, 1};

    if (cursor.offset >= size && whole_) {  // read: on to the next file, if there is one
      const std::string next = pick_file(listing_, name + '\x01');
      if (next.empty() && relist()) continue;
      if (next.empty()) break;
      cursor = {next, 0, 1};
      continue;
    }
    if (cursor.offset >= size) {
      // Every record of this file is on the bus (this cursor was committed).
      if (!settled) {
        result.waiting = true;
        break;
      }
      archive(name);
      headers_.erase(name);
      listing_.erase(std::lower_bound(listing_.begin(), listing_.end(), name));
      cursor = {};
      result.next_cursor = "";
      continue;
    }
    if (!read_file(name, fd.get(), settled, cursor, max_records, count, result)) {
      result.waiting = true;
      break;
    }
    result.next_cursor = format_cursor(cursor);
    const bool at_end = cursor.offset >= size && settled;
    // Reading whole, a pull reads on into the next file; otherwise a finished file is archived
    // at the next pull, once this cursor is committed.
    if (whole_ && at_end && count < max_records) continue;
    // Pull again at once when a batch filled up, or to archive a finished file.
    result.more = count == max_records || at_end;
    result.waiting = !result.more && (cursor.offset < size || !settled);
    break;
  }
  relist_ = !result.more;
  return result;
}

std::string FileSource::accept(const std::string& record_json, SourceRecord& out) const {
  std::string error = mapping::check_record(record_json, key_, out.key);
  if (!error.empty()) return error;
  out.value = record_json;
  out.position = "replay";
  return {};
}

}  // namespace synchub::connectors::file
