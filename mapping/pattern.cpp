#include "mapping/pattern.hpp"

#include <re2/re2.h>

#include <stdexcept>

namespace synchub::mapping {

struct Pattern::Impl {
  explicit Impl(const std::string& pattern) : re(pattern, RE2::Quiet) {}
  RE2 re;
};

Pattern::Pattern(const std::string& pattern) : impl_(std::make_unique<Impl>(pattern)), text_(pattern) {
  if (!impl_->re.ok()) throw std::invalid_argument("bad pattern '" + pattern + "': " + impl_->re.error());
}
Pattern::~Pattern() = default;
Pattern::Pattern(Pattern&&) noexcept = default;
Pattern& Pattern::operator=(Pattern&&) noexcept = default;

bool Pattern::found_in(std::string_view text) const {
  return RE2::PartialMatch(text, impl_->re);
}

}  // namespace synchub::mapping
