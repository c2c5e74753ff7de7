// The file sink: one file per batch, or batches rolled into files by size, count or age.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>

#include "connectors/file/connector.hpp"
#include "connectors/file/csv.hpp"
#include "connectors/file/fd.hpp"
#include "mapping/document.hpp"
#include "mapping/json_writer.hpp"
#include "mapping/record.hpp"

namespace fs = std::filesystem;

namespace synchub::connectors::file {

namespace {

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

void fail_written(std::vector<SinkResult>& results, const std::vector<size_t>& written, const std::string& message) {
  for (size_t i : written) results[i] = SinkResult::failed(Failure::Transient, message);
}

}  // namespace

FileSink::FileSink(const config::StreamConfig& stream)
    : csv_(stream.settings.str(field::kFormat) == "csv"),
      delimiter_(stream.settings.str(field::kDelimiter).at(0)),
      fsync_(stream.settings.boolean(field::kFsync)),
      outbox_(stream.settings.str(field::kOutbox)),
      encoding_(parse_encoding(stream.settings.str(field::kEncoding))),
      inert_formulas_(stream.settings.boolean(field::kInertFormulas)) {
  if (stream.settings.has(field::kColumns)) columns_ = stream.settings.list(field::kColumns);
  if (stream.settings.has(field::kRollMaxRecords) || stream.settings.has(field::kRollMaxBytes) ||
      stream.settings.has(field::kRollMaxAge)) {
    RollLimits limits;
    if (stream.settings.has(field::kRollMaxRecords))
      limits.max_records = static_cast<uint64_t>(stream.settings.integer(field::kRollMaxRecords));
    if (stream.settings.has(field::kRollMaxBytes)) limits.max_bytes = stream.settings.size(field::kRollMaxBytes);
    if (stream.settings.has(field::kRollMaxAge)) limits.max_age = stream.settings.duration(field::kRollMaxAge);
    roll_ = limits;
  }
  if (encoding_ == Encoding::Gb18030) to_gb18030_ = std::make_unique<Transcoder>("GB18030", "UTF-8");
  std::error_code ec;
  fs::create_directories(outbox_, ec);
  // Temp files of a batch that never completed (the process died mid-write).
  for (const auto& entry : fs::directory_iterator(outbox_, ec)) {
    std::string name = entry.path().filename().string();
    if (name.starts_with(".") && name.ends_with(".tmp")) fs::remove(entry.path(), ec);
  }
}

FileSink::~FileSink() {
  try {
    settle();
    close_rolled_files();
  } catch (const std::exception&) {
    // Left open: the next start recovers the file from its journal and goes on writing it.
  }
}

// Every flow's open file in the outbox that no other writer holds, the flows this sink did not
// write in this run included (recovered after a crash, then idle).
void FileSink::close_rolled_files() {
  if (!roll_) return;
  for (auto& [flow, files] : rolled_)
    if (files->loaded()) files->close();
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(outbox_, ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(".") || !name.ends_with(".roll") || name.size() <= 6) continue;
    const std::string flow = name.substr(1, name.size() - 6);
    if (rolled_.count(flow)) continue;
    RolledFiles files(outbox_, flow, csv_ ? "csv" : "jsonl", *roll_, fsync_);
    try {
      files.load();
    } catch (const std::exception&) {
      continue;  // another writer holds it, or it cannot be read: left for its next start
    }
    files.close();
  }
}

void FileSink::settle() {
  if (!flushing_.valid()) return;
  RolledFiles* rolled = std::exchange(flushing_rolled_, nullptr);
  const std::string error = flushing_.get();
  if (error.empty()) return;
  if (rolled) rolled->unload();  // read again from its journal at the next push
  throw std::runtime_error(error);
}

bool FileSink::encode(std::string& text, std::string& error) {
  if (!mapping::is_valid_utf8(text)) {
    error = "cannot write record: it holds invalid UTF-8";
    return false;
  }
  if (encoding_ != Encoding::Gb18030) return true;
  std::string converted;
  if (!to_gb18030_->convert(text, converted)) {
    error = "cannot write record as GB18030: a character cannot be converted";
    return false;
  }
  text = std::move(converted);
  return true;
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
      case mapping::JsonKind::String:
        cell = doc.scalar_text(child);
        if (inert_formulas_ && needs_inert_prefix(cell)) cell.insert(0, 1, '\'');  // text only: numbers stay
        break;
      default: cell = doc.scalar_text(child);  // numbers keep their exact digits
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

FileSink::Rows FileSink::rows_of(const Batch& batch, std::vector<std::string> columns,
                                 std::vector<SinkResult>& results) {
  Rows rows;
  rows.columns = std::move(columns);
  for (size_t i = 0; i < batch.records.size(); ++i) {
    std::string error;
    std::string text;
    if (csv_) {
      text = csv_row(batch.records[i].value, rows.columns, error);
    } else {
      text.reserve(batch.records[i].value.size() + 1);
      text.append(batch.records[i].value);
      text += '\n';
    }
    if (!error.empty() || !encode(text, error)) {
      results[i] = SinkResult::failed(Failure::Permanent, error);
      continue;
    }
    rows.bytes += text.size();
    rows.written.push_back(i);
    rows.text.push_back(std::move(text));
  }
  return rows;
}

std::string FileSink::head(const std::vector<std::string>& columns) {
  std::string out = encoding_ == Encoding::Utf8Bom ? std::string(kUtf8Bom) : "";
  if (!csv_) return out;
  std::string header;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i) header += delimiter_;
    const bool inert = inert_formulas_ && needs_inert_prefix(columns[i]);
    append_csv_field(header, inert ? "'" + columns[i] : columns[i], delimiter_);
  }
  header += '\n';
  std::string error;
  if (!encode(header, error)) throw std::runtime_error("cannot write the CSV header: " + error);
  return out + header;
}

std::vector<SinkResult> FileSink::push(const Batch& batch) {
  settle();  // one batch in flight at a time
  return roll_ ? push_rolled(batch) : push_file(batch);
}

std::vector<SinkResult> FileSink::push_file(const Batch& batch) {
  std::vector<SinkResult> results = unsent_results(batch.records.size());  // each rejected or written below
  const std::string name = batch.flow + "-" + batch.id + (csv_ ? ".csv" : ".jsonl");
  Rows rows = rows_of(batch, columns_, results);
  if (rows.written.empty()) return results;
  std::string content = head(rows.columns);
  content.reserve(content.size() + rows.bytes);
  for (const auto& row : rows.text) content += row;

  // Write-then-rename: the file appears whole or not at all.
  const std::string final_path = (fs::path(outbox_) / name).string();
  const std::string temp_path = (fs::path(outbox_) / ("." + name + ".tmp")).string();
  auto fail_all = [&](const std::string& message) {
    fail_written(results, rows.written, message);
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
  for (size_t i : rows.written) {
    const SinkRecord& r = batch.records[i];
    results[i] = SinkResult::landed(r.known_to_target ? Outcome::Updated : Outcome::Created,
                                    name + ":" + std::to_string(line++));
  }
  return results;
}

RolledFiles& FileSink::rolled(const std::string& flow) {
  auto& files = rolled_[flow];
  if (!files) files = std::make_unique<RolledFiles>(outbox_, flow, csv_ ? "csv" : "jsonl", *roll_, fsync_);
  return *files;
}

// Appends the batch to the flow's open file (a new one when there is none or it is full). A
// batch pushed again is cut off the open file first when it is its last; rows of a batch
// written before a restart are found where they are (roll.hpp).
std::vector<SinkResult> FileSink::push_rolled(const Batch& batch) {
  std::vector<SinkResult> results = unsent_results(batch.records.size());
  RolledFiles& files = rolled(batch.flow);
  std::vector<size_t> written(batch.records.size());  // until the rows say which
  for (size_t i = 0; i < written.size(); ++i) written[i] = i;
  try {
    files.load();
    files.take_back(batch.id);
    Rows rows = rows_of(batch, files.is_open() ? files.columns() : columns_, results);
    written = rows.written;
    if (written.empty()) return results;
    if (files.full_before(rows.written.size(), rows.bytes)) {
      files.close();
      if (columns_.empty() && csv_) rows = rows_of(batch, {}, results);  // a new file: its first record's fields
    }
    auto landed = [&](size_t k, const std::string& target_id) {
      const SinkRecord& r = batch.records[rows.written[k]];
      results[rows.written[k]] = SinkResult::landed(r.known_to_target ? Outcome::Updated : Outcome::Created, target_id);
    };
    // Rows a suspect batch holds (written before a restart, not recorded by the hub) are there.
    const std::vector<std::string> where = files.written_before(rows.text);
    std::vector<std::string> rest;
    std::vector<size_t> rest_of;  // index in rows of each row of `rest`
    for (size_t k = 0; k < rows.text.size(); ++k) {
      if (!where[k].empty()) {
        landed(k, where[k]);
        continue;
      }
      rest.push_back(rows.text[k]);
      rest_of.push_back(k);
    }
    if (rest.empty()) return results;
    if (!files.is_open()) files.open(batch.id, head(rows.columns), csv_ ? 1 : 0, rows.columns);
    std::string content;
    content.reserve(rows.bytes);
    for (const auto& row : rest) content += row;
    const uint64_t line = files.append(batch.id, content, rest);
    const std::string name = files.file_name();
    if (fsync_) {
      flushing_ = std::async(std::launch::async, [&files] { return files.finish(); });
      flushing_rolled_ = &files;
    } else if (std::string error = files.finish(); !error.empty()) {
      throw std::runtime_error(error);
    }
    for (size_t j = 0; j < rest.size(); ++j) landed(rest_of[j], name + ":" + std::to_string(line + j));
  } catch (const std::exception& e) {
    files.unload();
    fail_written(results, written, e.what());
  }
  return results;
}

}  // namespace synchub::connectors::file
