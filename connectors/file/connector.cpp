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
#include "mapping/document.hpp"
#include "mapping/json_writer.hpp"
#include "mapping/record.hpp"

namespace fs = std::filesystem;

namespace synchub::connectors::file {

namespace {

struct Cursor {
  std::string file;
  uint64_t offset = 0;
  uint64_t line = 1;
};

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

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string errno_text(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

// Makes a written batch file visible, whole: with `sync`, flush it, rename it into place and
// flush the directory; without, only the rename. Returns "" or why it failed (the file is
// then removed).
[[nodiscard]] std::string place_file(Fd file, const std::string& temp_path, const std::string& final_path,
                                     const std::string& dir_path, bool sync) {
  std::string error;
  if (sync && ::fsync(file.get()) != 0)
    error = errno_text("cannot flush", temp_path);
  else if (::rename(temp_path.c_str(), final_path.c_str()) != 0)
    error = errno_text("cannot rename to", final_path);
  else if (sync) {
    // The rename is durable only once the folder is flushed: a failure here is a failure of the
    // batch (retried, and written again under the same name), not a success that a power cut
    // could undo. A folder that cannot be flushed at all (EINVAL: its file system does not
    // support it) is as durable as it can be.
    Fd dir(::open(dir_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.get() < 0) return errno_text("cannot open the folder to flush it:", dir_path);
    if (::fsync(dir.get()) != 0 && errno != EINVAL) return errno_text("cannot flush the folder", dir_path);
  }
  if (!error.empty()) ::unlink(temp_path.c_str());
  return error;
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
      max_record_size_(stream.settings.size(field::kMaxRecordSize)) {}

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
  if (std::find(files.begin(), files.end(), current) != files.end()) return current;
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
    std::string error = parse_csv_row(raw.text, delimiter_, header);
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

PullResult FileSource::pull(const std::string& cursor_text, size_t max_records) {
  PullResult result;
  result.next_cursor = cursor_text;
  Cursor cursor = parse_cursor(cursor_text);
  while (true) {
    const std::string name = pick_file(list_inbox(), cursor.file);
    if (name.empty()) return result;
    const std::string path = (fs::path(inbox_) / name).string();
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) throw std::runtime_error(errno_text("cannot open", path));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw std::runtime_error(errno_text("cannot stat", path));
    const auto modified = std::chrono::system_clock::time_point(std::chrono::seconds(st.st_mtim.tv_sec) +
                                                                std::chrono::nanoseconds(st.st_mtim.tv_nsec));
    const bool settled = whole_ || std::chrono::system_clock::now() - modified >= settle_;
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    if (cursor.file != name) cursor = {name, 0, 1};

    if (cursor.offset >= size && whole_) {  // read: on to the next file, if there is one
      const std::string next = pick_file(list_inbox(), name + '\x01');
      if (next.empty()) return result;
      cursor = {next, 0, 1};
      continue;
    }
    if (cursor.offset >= size) {
      // Every record of this file is on the bus (this cursor was committed).
      if (!settled) {
        result.waiting = true;
        return result;
      }
      archive(name);
      headers_.erase(name);
      cursor = {};
      result.next_cursor = "";
      continue;
    }

    if (csv_) {
      csv_header(name, fd.get());
      if (cursor.offset == 0) {  // the header row is not a record
        RecordReader header_reader(fd.get(), 0, 1, true, kRejectInputLimit);
        RawRecord header_row;
        if (!header_reader.next(header_row, settled)) {
          result.waiting = true;
          return result;
        }
        cursor.offset = header_row.end_offset;
        cursor.line = header_reader.line();
      }
    }

    RecordReader reader(fd.get(), cursor.offset, cursor.line, csv_, kRejectInputLimit);
    RawRecord raw;
    size_t count = 0;
    while (count < max_records && reader.next(raw, settled)) {
      if (raw.start_offset == 0) strip_bom(raw.text);
      if (is_blank(raw.text)) continue;
      convert(name, raw, result);
      ++count;
    }
    result.next_cursor = format_cursor({name, reader.offset(), reader.line()});
    // Pull again at once when a batch filled up, or to archive a finished file.
    result.more = count == max_records || (reader.offset() >= size && settled);
    result.waiting = !result.more && (reader.offset() < size || !settled);
    return result;
  }
}

std::string FileSource::accept(const std::string& record_json, SourceRecord& out) const {
  std::string error = mapping::check_record(record_json, key_, out.key);
  if (!error.empty()) return error;
  out.value = record_json;
  out.position = "replay";
  return {};
}

// ---- sink ------------------------------------------------------------------

FileSink::FileSink(const config::StreamConfig& stream)
    : csv_(stream.settings.str(field::kFormat) == "csv"),
      delimiter_(stream.settings.str(field::kDelimiter).at(0)),
      fsync_(stream.settings.boolean(field::kFsync)),
      outbox_(stream.settings.str(field::kOutbox)) {
  if (stream.settings.has(field::kColumns)) columns_ = stream.settings.list(field::kColumns);
  std::error_code ec;
  fs::create_directories(outbox_, ec);
  // Temp files of a batch that never completed (the process died mid-write).
  for (const auto& entry : fs::directory_iterator(outbox_, ec)) {
    std::string name = entry.path().filename().string();
    if (name.starts_with(".") && name.ends_with(".tmp")) fs::remove(entry.path(), ec);
  }
}

std::string FileSink::csv_row(std::string_view record, std::vector<std::string>& columns, std::string& error) const {
  thread_local mapping::Document doc;
  std::string reason = doc.parse(record);
  if (reason.empty() && doc.root().kind != mapping::JsonKind::Object) reason = "expected a JSON object";
  if (!reason.empty()) {
    error = "cannot write record as CSV: " + reason;
    return {};
  }
  std::vector<std::pair<std::string, std::string>> cells;
  uint32_t child = mapping::Document::first_child(doc.root_index());
  for (uint32_t i = 0; i < doc.root().count; ++i, child = doc.at(child).next) {
    const mapping::Node& n = doc.at(child);
    std::string cell;
    switch (n.kind) {
      case mapping::JsonKind::Null: break;
      case mapping::JsonKind::Object:
      case mapping::JsonKind::Array: mapping::write_node(cell, doc, child); break;  // compact JSON
      default: cell = doc.scalar_text(child);                                       // numbers keep their exact digits
    }
    cells.emplace_back(std::string(n.key()), std::move(cell));
  }
  if (columns.empty())
    for (const auto& [k, _] : cells) columns.push_back(k);
  std::string row;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i) row += delimiter_;
    for (const auto& [k, v] : cells)
      if (k == columns[i]) {
        append_csv_field(row, v, delimiter_);
        break;
      }
  }
  row += '\n';
  return row;
}

FileSink::~FileSink() {
  if (flushing_.valid()) flushing_.wait();
}

void FileSink::settle() {
  if (!flushing_.valid()) return;
  const std::string error = flushing_.get();
  if (!error.empty()) throw std::runtime_error(error);
}

std::vector<SinkResult> FileSink::push(const Batch& batch) {
  settle();                                                                // one batch in flight at a time
  std::vector<SinkResult> results = unsent_results(batch.records.size());  // each rejected or written below
  const std::string name = batch.flow + "-" + batch.id + (csv_ ? ".csv" : ".jsonl");
  std::vector<std::string> columns = columns_;
  std::string content;
  if (!csv_) {
    size_t bytes = 0;
    for (const auto& r : batch.records) bytes += r.value.size() + 1;
    content.reserve(bytes);
  }
  std::vector<size_t> written;  // indexes of records in the file
  for (size_t i = 0; i < batch.records.size(); ++i) {
    const SinkRecord& r = batch.records[i];
    if (csv_) {
      std::string error;
      std::string row = csv_row(r.value, columns, error);
      if (!error.empty()) {
        results[i] = SinkResult::failed(Failure::Permanent, error);
        continue;
      }
      content += row;
    } else {
      content.append(r.value);
      content += '\n';
    }
    written.push_back(i);
  }
  if (written.empty()) return results;
  if (csv_) {
    std::string header;
    for (size_t i = 0; i < columns.size(); ++i) {
      if (i) header += delimiter_;
      append_csv_field(header, columns[i], delimiter_);
    }
    content.insert(0, header + "\n");
  }

  // Write-then-rename: the file appears whole or not at all.
  const std::string final_path = (fs::path(outbox_) / name).string();
  const std::string temp_path = (fs::path(outbox_) / ("." + name + ".tmp")).string();
  auto fail_all = [&](const std::string& message) {
    for (size_t i : written) results[i] = SinkResult::failed(Failure::Transient, message);
    ::unlink(temp_path.c_str());
    return results;
  };
  std::error_code ec;
  fs::create_directories(outbox_, ec);
  Fd fd(::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (fd.get() < 0) return fail_all(errno_text("cannot create", temp_path));
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_all(errno_text("cannot write", temp_path));
    done += static_cast<size_t>(n);
  }
  if (fsync_) {
    flushing_ = std::async(std::launch::async, [file = std::move(fd), temp_path, final_path, dir = outbox_]() mutable {
      return place_file(std::move(file), temp_path, final_path, dir, true);
    });
  } else if (std::string error = place_file(std::move(fd), temp_path, final_path, outbox_, false); !error.empty()) {
    return fail_all(error);
  }
  size_t line = csv_ ? 2 : 1;
  for (size_t i : written) {
    const SinkRecord& r = batch.records[i];
    results[i] = SinkResult::landed(r.known_to_target ? Outcome::Updated : Outcome::Created,
                                    name + ":" + std::to_string(line++));
  }
  return results;
}

}  // namespace synchub::connectors::file
