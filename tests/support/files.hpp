// The core test helpers, free of the synchub binary and of servers: temp
// folders, files, and waiting for a condition.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace synchub::test {

namespace fs = std::filesystem;

// A fresh folder removed when the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const fs::path& path() const { return path_; }
  std::string str(const std::string& child = "") const {
    return child.empty() ? path_.string() : (path_ / child).string();
  }

 private:
  fs::path path_;
};

void write_file(const fs::path& path, const std::string& content);
std::string read_file(const fs::path& path);
// The last `bytes` of a file (a log's end, for a failure message); "" when it cannot be read.
std::string tail_of(const fs::path& path, size_t bytes);
std::vector<std::string> read_lines(const fs::path& path);
// Every line of every regular, non-hidden file in `dir` (sorted by file name).
std::vector<std::string> lines_in_dir(const fs::path& dir);

// Polls `condition` every `every` until it holds (true) or `timeout` passes (false).
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds every = std::chrono::milliseconds(50));

}  // namespace synchub::test
