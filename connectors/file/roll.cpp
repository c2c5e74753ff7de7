#include "connectors/file/roll.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <unordered_map>

#include "mapping/record.hpp"

namespace fs = std::filesystem;

namespace synchub::connectors::file {

namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path) {
  throw std::runtime_error(what + " " + path + ": " + std::strerror(errno));
}

void write_all(int fd, std::string_view data, uint64_t offset, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("cannot write", path);
    done += static_cast<size_t>(n);
  }
}

void flush(int fd, const std::string& path) {
  if (::fsync(fd) != 0) fail("cannot flush", path);
}

// A rename or a new file is durable once its folder is flushed (EINVAL: the file system cannot).
void flush_folder(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail("cannot open the folder to flush it:", dir);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  errno = err;
  if (rc != 0 && err != EINVAL) fail("cannot flush the folder", dir);
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// Row hashes are short: they tell a repeated batch's rows from others, not files apart.
std::string row_hash(std::string_view row) {
  return mapping::content_hash(row).substr(0, 16);
}

nlohmann::json span_json(const BatchSpan& s) {
  return {{"batch", s.id}, {"file", s.file}, {"start", s.start},
          {"end", s.end},  {"line", s.line}, {"rows", s.row_hashes}};
}

BatchSpan span_from(const nlohmann::json& j) {
  return {j.at("batch").get<std::string>(), j.at("file").get<std::string>(),
          j.at("start").get<uint64_t>(),    j.at("end").get<uint64_t>(),
          j.at("line").get<uint64_t>(),     j.at("rows").get<std::vector<std::string>>()};
}

// Suspects kept: one more at each restart that left one; they matter only until the hub has
// delivered again what it had not recorded, soon after the restart.
constexpr size_t kMaxSuspects = 8;

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

RolledFiles::RolledFiles(std::string outbox, std::string flow, std::string ext, RollLimits limits, bool sync)
    : outbox_(std::move(outbox)), flow_(std::move(flow)), ext_(std::move(ext)), limits_(limits), sync_(sync) {}

RolledFiles::~RolledFiles() {
  unload();
}

std::string RolledFiles::path(const std::string& name) const {
  return (fs::path(outbox_) / name).string();
}

void RolledFiles::unload() {
  if (open_) close_fd(open_->fd);
  open_.reset();
  pending_.reset();
  closed_last_.reset();
  closed_file_.clear();
  suspects_.clear();
  new_file_ = false;
  close_fd(journal_fd_);
  close_fd(lock_fd_);  // releases the flock
}

void RolledFiles::load() {
  if (loaded()) return;
  std::error_code ec;
  fs::create_directories(outbox_, ec);
  const std::string lock_path = path("." + flow_ + ".roll.lock");
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) fail("cannot create", lock_path);
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    close_fd(lock_fd_);
    if (err == EWOULDBLOCK)
      throw std::runtime_error("another writer holds flow " + flow_ + "'s files in " + outbox_ + " (" + lock_path +
                               " is locked)");
    errno = err;
    fail("cannot lock", lock_path);
  }
  try {
    read_journal();
    recover_open_file();
    suspect_last_batch();
  } catch (...) {
    unload();
    throw;
  }
}

// Replays the journal; a last line cut short by a crash is dropped (its batch was never reported).
void RolledFiles::read_journal() {
  const std::string journal_path = path("." + flow_ + ".roll");
  journal_fd_ = ::open(journal_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (journal_fd_ < 0) fail("cannot open", journal_path);
  std::string text;
  char buffer[65536];
  for (ssize_t n; (n = ::read(journal_fd_, buffer, sizeof buffer)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("cannot read", journal_path);
    text.append(buffer, static_cast<size_t>(n));
  }
  const size_t whole = text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1;
  if (whole < text.size() && ::ftruncate(journal_fd_, static_cast<off_t>(whole)) != 0)
    fail("cannot truncate", journal_path);
  for (size_t at = 0; at < whole;) {
    const size_t eol = text.find('\n', at);
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(text.substr(at, eol - at));
      if (j.contains("open")) {
        open_ = OpenFile{j.at("open").get<std::string>(), j.at("created_ms").get<int64_t>(),
                         j.at("columns").get<std::vector<std::string>>(), j.at("end").get<uint64_t>(),
                         j.at("line").get<uint64_t>()};
      } else if (j.contains("batch") && open_) {
        BatchSpan s = span_from(j);
        open_->end = s.end;
        open_->records += s.row_hashes.size();
        open_->next_line = s.line + s.row_hashes.size();
        open_->batches.push_back(std::move(s));
      } else if (j.contains("truncate") && open_ && !open_->batches.empty() &&
                 open_->batches.back().id == j.at("truncate").get<std::string>()) {
        const BatchSpan& s = open_->batches.back();
        open_->end = s.start;
        open_->next_line = s.line;
        open_->records -= s.row_hashes.size();
        std::erase_if(suspects_, [&](const BatchSpan& suspect) { return suspect.id == s.id; });  // written anew
        open_->batches.pop_back();
      } else if (j.contains("closed")) {
        open_.reset();
        closed_file_ = j.at("closed").get<std::string>();
        if (j.contains("last")) closed_last_ = span_from(j.at("last"));
        suspects_.clear();
        for (const auto& suspect : j.at("suspects")) suspects_.push_back(span_from(suspect));
      } else if (j.contains("suspect")) {
        suspects_.push_back(span_from(j.at("suspect")));
      }
    } catch (const nlohmann::json::exception& e) {
      throw std::runtime_error("cannot read " + journal_path + " at byte " + std::to_string(at) + ": " + e.what());
    }
    at = eol + 1;
  }
  if (::lseek(journal_fd_, 0, SEEK_END) < 0) fail("cannot seek", journal_path);
}

// The open file as the journal says it: cut back to its last journaled batch. Renamed already (a
// crash came between the rename and the journal's rewrite): closed.
void RolledFiles::recover_open_file() {
  if (!open_) return;
  const std::string open_path = path("." + open_->name + ".open");
  open_->fd = ::open(open_path.c_str(), O_RDWR | O_CLOEXEC);
  if (open_->fd < 0 && errno == ENOENT && fs::exists(path(open_->name))) {
    if (!open_->batches.empty()) closed_last_ = open_->batches.back();
    closed_file_ = open_->name;
    open_.reset();
    rewrite_journal();
    return;
  }
  if (open_->fd < 0 && errno == ENOENT && open_->batches.empty()) {  // created, then lost before a batch
    open_.reset();
    return;
  }
  if (open_->fd < 0) fail("cannot open the file the journal names", open_path);
  struct stat st {};
  if (::fstat(open_->fd, &st) != 0) fail("cannot stat", open_path);
  if (static_cast<uint64_t>(st.st_size) < open_->end)
    throw std::runtime_error(open_path + " holds " + std::to_string(st.st_size) + " bytes, its journal says " +
                             std::to_string(open_->end) + ": written batches are missing");
  if (static_cast<uint64_t>(st.st_size) > open_->end && ::ftruncate(open_->fd, static_cast<off_t>(open_->end)) != 0)
    fail("cannot cut back", open_path);
}

// The last batch written before this load may not be recorded by the hub: kept as a suspect
// (journaled, so that it stays one through further restarts).
void RolledFiles::suspect_last_batch() {
  const BatchSpan* last = open_ && !open_->batches.empty() ? &open_->batches.back()
                          : closed_last_                   ? &*closed_last_
                                                           : nullptr;
  if (!last) return;
  for (const auto& s : suspects_)
    if (s.id == last->id) return;
  suspects_.push_back(*last);
  if (suspects_.size() > kMaxSuspects) suspects_.erase(suspects_.begin());
  journal(nlohmann::json{{"suspect", span_json(*last)}}.dump());
  if (sync_) flush(journal_fd_, path("." + flow_ + ".roll"));
}

void RolledFiles::journal(const std::string& line) {
  const std::string text = line + "\n";
  size_t done = 0;
  while (done < text.size()) {  // O_APPEND is not set: the fd is at the end (read, lseek, writes)
    const ssize_t n = ::write(journal_fd_, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("cannot write", path("." + flow_ + ".roll"));
    done += static_cast<size_t>(n);
  }
}

// The journal after a close: only what a repeated batch needs, replaced whole (rename).
void RolledFiles::rewrite_journal() {
  nlohmann::json j{{"closed", closed_file_}, {"suspects", nlohmann::json::array()}};
  if (closed_last_) j["last"] = span_json(*closed_last_);
  for (const auto& s : suspects_) j["suspects"].push_back(span_json(s));
  const std::string journal_path = path("." + flow_ + ".roll");
  const std::string temp_path = journal_path + ".tmp";
  int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("cannot create", temp_path);
  try {
    write_all(fd, j.dump() + "\n", 0, temp_path);
    if (sync_) flush(fd, temp_path);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  if (::rename(temp_path.c_str(), journal_path.c_str()) != 0) fail("cannot rename to", journal_path);
  if (sync_) flush_folder(outbox_);
  close_fd(journal_fd_);
  journal_fd_ = ::open(journal_path.c_str(), O_WRONLY | O_CLOEXEC);
  if (journal_fd_ < 0 || ::lseek(journal_fd_, 0, SEEK_END) < 0) fail("cannot open", journal_path);
}

void RolledFiles::take_back(const std::string& batch_id) {
  if (!open_ || open_->batches.empty() || open_->batches.back().id != batch_id) return;
  journal(nlohmann::json{{"truncate", batch_id}}.dump());
  if (sync_) flush(journal_fd_, path("." + flow_ + ".roll"));  // before the bytes go: a crash must not see fewer
  const BatchSpan& s = open_->batches.back();
  if (::ftruncate(open_->fd, static_cast<off_t>(s.start)) != 0) fail("cannot cut back", path(open_->name));
  std::erase_if(suspects_, [&](const BatchSpan& suspect) { return suspect.id == batch_id; });  // written anew
  open_->end = s.start;
  open_->next_line = s.line;
  open_->records -= s.row_hashes.size();
  open_->batches.pop_back();
}

bool RolledFiles::full_before(uint64_t records, uint64_t bytes) const {
  if (!open_ || open_->records == 0) return false;
  if (limits_.max_records && open_->records + records > limits_.max_records) return true;
  if (limits_.max_bytes && open_->end + bytes > limits_.max_bytes) return true;
  return limits_.max_age.count() > 0 && wall_ms() - open_->created_ms >= limits_.max_age.count();
}

std::vector<std::string> RolledFiles::written_before(const std::vector<std::string>& rows) const {
  std::vector<std::string> where(rows.size());
  if (suspects_.empty()) return where;
  std::unordered_map<std::string_view, std::string> known;
  for (const auto& s : suspects_)
    for (size_t i = 0; i < s.row_hashes.size(); ++i) known[s.row_hashes[i]] = s.file + ":" + std::to_string(s.line + i);
  for (size_t i = 0; i < rows.size(); ++i)
    if (auto it = known.find(row_hash(rows[i])); it != known.end()) where[i] = it->second;
  return where;
}

void RolledFiles::open(const std::string& batch_id, std::string_view head, uint64_t head_lines,
                       std::vector<std::string> columns) {
  std::string name = flow_ + "-" + batch_id + "." + ext_;
  // A batch written partly into the file closed last starts a second file of the same id.
  for (int n = 2; fs::exists(path(name)); ++n) name = flow_ + "-" + batch_id + "-" + std::to_string(n) + "." + ext_;
  const std::string open_path = path("." + name + ".open");
  const int fd = ::open(open_path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("cannot create", open_path);
  open_ = OpenFile{name, wall_ms(), std::move(columns), head.size(), head_lines + 1, 0, {}, fd};
  new_file_ = true;
  write_all(fd, head, 0, open_path);
  journal(nlohmann::json{{"open", name},
                         {"created_ms", open_->created_ms},
                         {"columns", open_->columns},
                         {"end", open_->end},
                         {"line", open_->next_line}}
              .dump());
}

uint64_t RolledFiles::append(const std::string& batch_id, std::string_view content,
                             const std::vector<std::string>& rows) {
  BatchSpan s{batch_id, open_->name, open_->end, open_->end + content.size(), open_->next_line, {}};
  s.row_hashes.reserve(rows.size());
  for (const auto& row : rows) s.row_hashes.push_back(row_hash(row));
  write_all(open_->fd, content, open_->end, path("." + open_->name + ".open"));
  open_->end = s.end;
  open_->next_line += rows.size();
  open_->records += rows.size();
  pending_ = std::move(s);
  return pending_->line;
}

std::string RolledFiles::finish() {
  try {
    if (sync_) flush(open_->fd, path("." + open_->name + ".open"));
    if (sync_ && new_file_) flush_folder(outbox_);
    journal(span_json(*pending_).dump());
    if (sync_) flush(journal_fd_, path("." + flow_ + ".roll"));
    new_file_ = false;
    open_->batches.push_back(std::move(*pending_));
    pending_.reset();
    if ((limits_.max_records && open_->records >= limits_.max_records) ||
        (limits_.max_bytes && open_->end >= limits_.max_bytes))
      close();
    return {};
  } catch (const std::exception& e) {
    return e.what();
  }
}

void RolledFiles::close() {
  if (!open_) return;
  const std::string open_path = path("." + open_->name + ".open");
  if (open_->batches.empty()) {  // only a header: nothing to hand over
    if (::unlink(open_path.c_str()) != 0 && errno != ENOENT) fail("cannot remove", open_path);
  } else {
    if (sync_) flush(open_->fd, open_path);
    if (::rename(open_path.c_str(), path(open_->name).c_str()) != 0) fail("cannot rename to", path(open_->name));
    closed_last_ = open_->batches.back();
    closed_file_ = open_->name;
  }
  close_fd(open_->fd);
  open_.reset();
  rewrite_journal();  // flushes the folder, and with it the rename
}

}  // namespace synchub::connectors::file
