#include "config/diagnostics.hpp"

#include <algorithm>

namespace synchub::config {

std::string Diagnostic::str() const {
  std::string out = mark.file;
  if (mark.line > 0) {
    out += ':';
    out += std::to_string(mark.line);
    out += ':';
    out += std::to_string(mark.column);
  }
  out += ": ";
  if (!path.empty()) out += path + ": ";
  out += message;
  return out;
}

static std::string join_messages(const std::vector<Diagnostic>& diagnostics) {
  std::string out;
  for (const auto& d : diagnostics) {
    if (!out.empty()) out += "\n";
    out += d.str();
  }
  return out;
}

ConfigError::ConfigError(std::vector<Diagnostic> diagnostics)
    : std::runtime_error(join_messages(diagnostics)), diagnostics_(std::move(diagnostics)) {}

void Diagnostics::error(const Mark& mark, std::string path, std::string message) {
  list_.push_back({mark, std::move(path), std::move(message)});
}

void Diagnostics::throw_if_any() const {
  if (!list_.empty()) throw ConfigError(list_);
}

// Edits to turn a into b, a swap of neighbours counting as one (typos).
static size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

std::string suggest(const std::string& wrong, const std::vector<std::string>& valid) {
  if (valid.empty()) return "none is defined";
  const std::string* best = nullptr;
  size_t best_distance = 0;
  for (const auto& name : valid) {
    size_t d = edit_distance(wrong, name);
    if (!best || d < best_distance) {
      best = &name;
      best_distance = d;
    }
  }
  // Close enough to be a typo: at most a third of the word wrong.
  if (best && best_distance <= std::max<size_t>(1, best->size() / 3)) return "did you mean '" + *best + "'?";
  std::vector<std::string> sorted = valid;
  std::sort(sorted.begin(), sorted.end());
  std::string list;
  for (const auto& name : sorted) list += (list.empty() ? "" : ", ") + name;
  return "expected one of: " + list;
}

}  // namespace synchub::config
