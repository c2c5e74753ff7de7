// Config errors that say where: file:line:col, the key path, and what was expected.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace synchub::config {

// A position in a config file; line and column are 1-based (0 = unknown).
struct Mark {
  std::string file;
  int line = 0;
  int column = 0;
};

struct Diagnostic {
  Mark mark;
  std::string path;  // key path, e.g. "connectors.crm.streams.orders.format"
  std::string message;

  // "file:line:col: path: message"
  std::string str() const;
};

// Thrown once all errors of a file are collected (validation reports every
// problem, not just the first).
class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<Diagnostic> diagnostics);
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }

 private:
  std::vector<Diagnostic> diagnostics_;
};

// Collects diagnostics while a file is checked.
class Diagnostics {
 public:
  void error(const Mark& mark, std::string path, std::string message);
  bool empty() const { return list_.empty(); }
  const std::vector<Diagnostic>& list() const { return list_; }
  // Throws ConfigError when any error was collected.
  void throw_if_any() const;

 private:
  std::vector<Diagnostic> list_;
};

// "did you mean 'x'?" for a misspelt name, or the list of valid names.
std::string suggest(const std::string& wrong, const std::vector<std::string>& valid);

}  // namespace synchub::config
