// A regular expression (RE2: linear time, no catastrophic backtracking) for
// code outside the mapping engine that matches text against a configured
// pattern, e.g. a connector's error rules. RE2 stays out of the header.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace synchub::mapping {

class Pattern {
 public:
  // Throws std::invalid_argument with RE2's reason when `pattern` does not compile.
  explicit Pattern(const std::string& pattern);
  ~Pattern();
  Pattern(Pattern&&) noexcept;
  Pattern& operator=(Pattern&&) noexcept;
  // True when the pattern matches anywhere in `text`.
  bool found_in(std::string_view text) const;
  const std::string& text() const { return text_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string text_;
};

}  // namespace synchub::mapping
