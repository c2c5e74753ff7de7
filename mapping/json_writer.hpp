// Writes values as compact JSON straight into a buffer (no DOM).
#pragma once

#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "mapping/copy_bytes.hpp"
#include "mapping/document.hpp"
#include "mapping/value.hpp"

namespace synchub::mapping {

// Compact JSON into a buffer of its own, reused from record to record: each
// piece is copied by inline pointer arithmetic (std::string's appends are
// calls that check capacity each time).
class JsonWriter {
 public:
  void value(const Document& doc, const Value& v) {
    // most values are strings or numbers as written in the input: no call
    if (v.kind == ValueKind::String) return string(v.text, v.boolean);
    if (v.kind == ValueKind::Number && !v.text.empty()) return put(v.text);
    other_value(doc, v);
  }
  void node(const Document& doc, uint32_t index);
  // A JSON string; `plain`: nothing in `text` needs escaping.
  void string(std::string_view text, bool plain);
  std::string_view text() const { return {buffer_.get(), size_}; }
  void clear() { size_ = 0; }
  size_t capacity() const { return capacity_; }

  // Text that is JSON already: punctuation, member names written in advance.
  void put(char c) {
    *room(1) = c;
    ++size_;
  }
  void put(std::string_view s) {
    copy_bytes(room(s.size()), s.data(), s.size());
    size_ += s.size();
  }

 private:
  void other_value(const Document& doc, const Value& v);  // any kind: the general case of value()
  char* room(size_t n) {
    if (capacity_ - size_ < n) grow(n);
    return buffer_.get() + size_;
  }
  void grow(size_t n);

  std::unique_ptr<char[]> buffer_;
  size_t size_ = 0, capacity_ = 0;
};

// True when JSON writes `text` as it is: no control character, '"' or '\\'
// (strings known to be plain when a mapping is loaded are written without a scan).
bool is_plain_json_text(std::string_view text);

// Appends the JSON of `v` (of node `index`) to `out`.
void write_json(std::string& out, const Document& doc, const Value& v);
void write_node(std::string& out, const Document& doc, uint32_t index);

}  // namespace synchub::mapping
