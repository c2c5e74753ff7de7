// A parsed input record: a flat tree of nodes pointing into the parser's
// buffers. Numbers keep their literal text (exact decimals, nothing goes
// through double); strings are views into the input, unescaped once when
// they have escapes. Built on simdjson's stage 1, which also validates
// UTF-8. Reused across records: parsing the next record invalidates the
// previous tree.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace synchub::mapping {

enum class JsonKind : uint8_t { Null, Bool, Number, String, Object, Array };

// A cheap fingerprint of a member name (length, first and last byte): most
// non-matching names are rejected without comparing bytes.
inline uint32_t key_signature(std::string_view key) {
  if (key.empty()) return 0;
  return static_cast<uint32_t>(key.size()) << 16 | static_cast<uint32_t>(static_cast<unsigned char>(key.front())) << 8 |
         static_cast<unsigned char>(key.back());
}

// a == b for two names of equal length and signature (so equal first and last
// byte): member names are short, and a libc memcmp call costs more than the
// two overlapping word compares that settle most of them.
inline bool same_name(const char* a, const char* b, size_t n) {
  auto word = [](const char* p) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
  };
  auto half = [](const char* p) {
    uint32_t w;
    std::memcpy(&w, p, 4);
    return w;
  };
  if (n <= 3) return n < 3 || a[1] == b[1];
  if (n < 8) return half(a) == half(b) && half(a + n - 4) == half(b + n - 4);
  if (n <= 16) return word(a) == word(b) && word(a + n - 8) == word(b + n - 8);
  return std::memcmp(a, b, n) == 0;
}

// a == b, comparing short texts (names, codes) with word loads in place of a memcmp call.
inline bool same_text(std::string_view a, std::string_view b) {
  const size_t n = a.size();
  if (n != b.size()) return false;
  if (n >= 4 && n <= 16) {
    if (n >= 8) return same_name(a.data(), b.data(), n);
    uint32_t x, y, u, v;
    std::memcpy(&x, a.data(), 4);
    std::memcpy(&y, b.data(), 4);
    std::memcpy(&u, a.data() + n - 4, 4);
    std::memcpy(&v, b.data() + n - 4, 4);
    return x == y && u == v;
  }
  return std::memcmp(a.data(), b.data(), n) == 0;
}

struct Node {
  JsonKind kind = JsonKind::Null;
  bool boolean = false;   // Bool: its value; String: written without escapes (a view into the input);
                          // Number: written as a normalized decimal is (no exponent, trailing fractional zero or -0);
                          // Object: names a member twice
  uint32_t count = 0;     // members of an object / elements of an array
  uint32_t next = 0;      // index of the node after this subtree
  uint32_t children = 0;  // object / array: where its entries start in the child index
  // The member name (when the parent is an object) and the string content or
  // number literal, as pointer and size: set one scalar at a time, where a
  // string_view is copied whole through the stack, and its 16-byte reload of
  // two 8-byte stores stalls the CPU (once per value parsed, in stage 2).
  const char* key_data = nullptr;
  const char* text_data = nullptr;
  uint32_t key_size = 0, text_size = 0;

  std::string_view key() const { return {key_data, key_size}; }
  std::string_view text() const { return {text_data, text_size}; }
  void set_key(std::string_view k) {
    key_data = k.data();
    key_size = static_cast<uint32_t>(k.size());
  }
  void set_text(std::string_view t) {
    text_data = t.data();
    text_size = static_cast<uint32_t>(t.size());
  }
};

// One entry of the child index: the children of each object and array side by
// side, so a member lookup scans signatures in a row instead of chasing `next`.
struct Child {
  uint32_t key_sig;
  uint32_t node;
};

class Document {
 public:
  Document();
  ~Document();
  Document(const Document&) = delete;
  Document& operator=(const Document&) = delete;

  // Parses one JSON value. Returns "" or the reason it is not valid JSON.
  // The parser reads up to kPadding bytes past the end of the text: when the
  // caller's buffer has that many after it (`readable_after`), the text is
  // parsed where it is, otherwise it is copied first.
  [[nodiscard]] std::string parse(std::string_view json, size_t readable_after = 0);
  static constexpr size_t kPadding = 64;

  // What check() found: the root's kind and the root object's first member of the name asked.
  struct Member {
    JsonKind root = JsonKind::Null;
    bool found = false;
    JsonKind kind = JsonKind::Null;
    std::string_view text;  // as Node::text; valid until the next parse or check
  };
  // Accepts and refuses exactly what parse() does, with the same reasons, without building the
  // tree (about twice as fast): for records that are only checked, not read. It leaves no
  // tree: the node accessors are not to be used until the next parse().
  [[nodiscard]] std::string check(std::string_view json, std::string_view member_name, Member& out,
                                  size_t readable_after = 0);

  const Node& root() const { return nodes_[0]; }
  uint32_t root_index() const { return 0; }
  const Node& at(uint32_t index) const { return nodes_[index]; }
  // Member `name` of the object at `object`, or npos.
  uint32_t member(uint32_t object, std::string_view name) const { return member(object, name, key_signature(name)); }
  uint32_t member(uint32_t object, std::string_view name, uint32_t signature) const;
  // The same, trying the member's position in the last record first (`hint`,
  // updated when it moved): records of one source list members in one order.
  uint32_t member(uint32_t object, std::string_view name, uint32_t signature, std::atomic<uint32_t>& hint) const {
    const Node& o = nodes_[object];
    const uint32_t h = hint.load(std::memory_order_relaxed);
    if (o.kind == JsonKind::Object && h < o.count && is_named(children_[o.children + h], name, signature))
      return children_[o.children + h].node;
    return member_scan(object, name, signature, hint);
  }
  // Element `i` of the array at `array`, or npos.
  uint32_t element(uint32_t array, uint32_t i) const;
  // The node at a JSON pointer ("/data/0/id") or dotted path ("data.items")
  // below `from`; "" is `from` itself. npos when absent.
  uint32_t find(uint32_t from, std::string_view path) const;
  // A member named twice in one object, which readers take differently (the first, the last):
  // "duplicate key 'NAME'" for the first one the last parse() or check() met, or "". The text
  // is valid JSON all the same: parse() builds its tree (an answer from another system is read).
  [[nodiscard]] std::string duplicate_key() const;
  // The same within the subtree at `index` (one row of a page); after parse() only.
  [[nodiscard]] std::string duplicate_key(uint32_t index) const;
  bool duplicate_keys() const { return has_duplicate_; }  // whether duplicate_key() has one
  // Text of a scalar node: strings unescaped, numbers as written, true/false; "" for null.
  std::string scalar_text(uint32_t index) const;
  // First child of an object or array (children follow through `next`).
  static uint32_t first_child(uint32_t index) { return index + 1; }

  static constexpr uint32_t npos = UINT32_MAX;

 private:
  struct Impl;
  // Whether the child index entry `c` is the member `name` (signature first:
  // lengths over 64K share signatures, so the length is compared too).
  bool is_named(const Child& c, std::string_view name, uint32_t signature) const {
    if (c.key_sig != signature) return false;  // most names are settled here, without loading the node
    const std::string_view key = nodes_[c.node].key();
    return key.size() == name.size() && same_name(key.data(), name.data(), name.size());
  }
  // The position of member `name` among the object's children, or npos.
  uint32_t member_position(uint32_t object, std::string_view name, uint32_t signature) const;
  uint32_t member_scan(uint32_t object, std::string_view name, uint32_t signature, std::atomic<uint32_t>& hint) const;
  template <bool Build>
  [[nodiscard]] std::string run(std::string_view json, size_t readable_after, std::string_view wanted, Member* member);
  std::unique_ptr<Impl> impl_;
  std::vector<Node> nodes_;
  std::vector<Child> children_;
  bool has_duplicate_ = false;
  std::string duplicate_;  // the first name met twice, when has_duplicate_
};

}  // namespace synchub::mapping
