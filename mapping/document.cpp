#include "mapping/document.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "mapping/copy_bytes.hpp"

namespace synchub::mapping {

// simdjson's stage 1 (runtime-dispatched SIMD: finds the structural
// characters, validates UTF-8, rejects unclosed strings and control
// characters) and our own stage 2 over its index: strings without escapes
// stay views into the input, numbers keep their text.
struct Document::Impl {
  std::unique_ptr<simdjson::internal::dom_parser_implementation> parser;
  std::string padded;   // the input copied with kPadding bytes after it
  std::string escaped;  // unescaped copies of strings that had escapes
  std::vector<Child> pending;
};

namespace {

constexpr int kMaxDepth = 200;

// JSON number grammar: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?. `normalized`:
// also written as a normalized decimal is (no exponent, no trailing
// fractional zero, not -0), so `type: number` can keep the text as it is.
bool is_json_number(std::string_view s, bool& normalized) {
  size_t i = 0, n = s.size();
  if (i < n && s[i] == '-') ++i;
  if (i >= n) return false;
  bool zero = false;  // the integer part is 0
  if (s[i] == '0') {
    zero = true;
    ++i;
  } else if (s[i] >= '1' && s[i] <= '9') {
    while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
  } else {
    return false;
  }
  normalized = !(zero && s[0] == '-');
  if (i < n && s[i] == '.') {
    size_t start = ++i;
    while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == start) return false;
    normalized = s[i - 1] != '0';  // "-0.5" is normalized, "-0.0" and "1.50" are not
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    normalized = false;
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    size_t start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == start) return false;
  }
  return i == n;
}

// Whether two members of one object (`members`, `n` of them, their names in
// `nodes`) share a name; `name` is then the later one's. Called once per object
// of two members or more: small objects keep a 64-bit set of signature hashes
// and compare names only when a hash repeats; large ones sort their names.
bool repeated_name(const Child* members, uint32_t n, const Node* nodes, std::string_view& name) {
  constexpr uint32_t kSmall = 32;
  if (n <= kSmall) {
    uint64_t seen = 0;
    for (uint32_t k = 0; k < n; ++k) {
      const uint64_t bit = uint64_t{1} << ((members[k].key_sig * 0x9E3779B97F4A7C15ULL) >> 58);
      if (seen & bit) {
        const std::string_view key = nodes[members[k].node].key();
        for (uint32_t j = 0; j < k; ++j)
          if (members[j].key_sig == members[k].key_sig && same_text(nodes[members[j].node].key(), key)) {
            name = key;
            return true;
          }
      }
      seen |= bit;
    }
    return false;
  }
  std::vector<std::string_view> names(n);
  for (uint32_t k = 0; k < n; ++k) names[k] = nodes[members[k].node].key();
  std::sort(names.begin(), names.end());
  const auto twice = std::adjacent_find(names.begin(), names.end());
  if (twice == names.end()) return false;
  name = *twice;
  return true;
}

std::string duplicate_reason(std::string_view name) {
  constexpr size_t kShown = 60;
  return "duplicate key '" + std::string(name.substr(0, kShown)) + (name.size() > kShown ? "...'" : "'");
}

// The first '"' or '\\' from `p`. Stage 1 saw every string closed, so one
// comes before the input's end; the padding makes 16-byte reads past it safe.
inline const char* quote_or_backslash(const char* p) {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
  for (;; p += 16) {
    const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const int hits = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(block, quote), _mm_cmpeq_epi8(block, backslash)));
    if (hits) return p + __builtin_ctz(static_cast<unsigned>(hits));
  }
#else
  while (*p != '"' && *p != '\\') ++p;
  return p;
#endif
}

// Stage 2: walks stage 1's structural index (one entry per bracket, colon,
// comma and the first byte of each string or scalar) into Nodes, written
// through raw pointers into arrays sized for the record (a record has at most
// one node per structural character). With Build false it only checks (and
// looks out for one member of the root object): the same code path, so both
// accept the same texts with the same reasons.
template <bool Build>
struct Builder {
  const char* json;
  const uint32_t* index;  // index[count] is the input length (stage 1's sentinel)
  uint32_t count;
  const simdjson::internal::dom_parser_implementation& parser;
  Node* nodes;              // room for `count` nodes
  Child* children;          // the child index, room for `count`
  Child* pending;           // children of the open containers, innermost last; room for `count`
  char* escaped;            // room for every string's unescaped copy
  std::string_view wanted;  // without Build: the root object's member to report
  Document::Member* member = nullptr;
  uint32_t at = 0;
  uint32_t node_count = 0, child_count = 0, pending_count = 0;
  std::string error;
  bool has_duplicate = false;
  std::string_view duplicate;  // the first member name met twice in one object

  // The next structural character. At the end it is the byte after the text
  // (index[count] is the text's length), which run() makes sure is no JSON
  // punctuation: so the end needs no check of its own.
  char peek() const { return json[index[at]]; }

  // A string read: its text and how it went. Plain: it had no escapes, so it
  // has nothing to escape when written (stage 1 refuses control characters in
  // strings). 16 bytes, returned in registers: a view written through a
  // pointer and read back whole stalls the CPU (two 8-byte stores, one
  // 16-byte load), and that was the costliest spot of this loop.
  enum Read : uint32_t { Failed, Escaped, Plain };
  struct Text {
    const char* data;
    uint32_t size;
    Read read;
    std::string_view view() const { return {data, size}; }
  };
  // The string whose opening quote is at `pos`.
  Text string(uint32_t pos) {
    const char* begin = json + pos + 1;
    const char* stop = quote_or_backslash(begin);
    if (*stop == '"') return {begin, static_cast<uint32_t>(stop - begin), Plain};
    return unescape(begin);
  }

  // A string with escapes: unescaped into `escaped`.
  [[gnu::noinline]] Text unescape(const char* begin) {
    auto* end = parser.parse_string(reinterpret_cast<const uint8_t*>(begin), reinterpret_cast<uint8_t*>(escaped));
    if (!end) {
      fail("invalid escape in a string");
      return {nullptr, 0, Failed};
    }
    const Text out{escaped, static_cast<uint32_t>(reinterpret_cast<char*>(end) - escaped), Escaped};
    escaped = reinterpret_cast<char*>(end);
    return out;
  }

  // A number or literal: its text runs to the next structural character.
  std::string_view token(uint32_t pos) const {
    std::string_view s(json + pos, index[at] - pos);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t'))
      s.remove_suffix(1);
    return s;
  }

  // The string value whose opening quote is at `pos` into `node`.
  bool string_value(uint32_t pos, Node& node) {
    const Text t = string(pos);
    node.kind = JsonKind::String;
    node.text_data = t.data;
    node.text_size = t.size;
    node.boolean = t.read == Plain;
    return t.read != Failed;
  }

  // A string, number or literal starting at `pos` (structural `at` - 1): kind, text, boolean.
  bool scalar(uint32_t pos, Node& node) {
    switch (json[pos]) {
      case '"': return string_value(pos, node);
      case 't':
      case 'f':
      case 'n': {
        std::string_view t = token(pos);
        if (t == "true" || t == "false") {
          node.kind = JsonKind::Bool;
          node.boolean = t[0] == 't';
        } else if (t != "null") {
          return fail("invalid literal '" + std::string(t.substr(0, 40)) + "'");
        } else {
          node.kind = JsonKind::Null;
        }
        return true;
      }
      default: {
        std::string_view t = token(pos);
        node.kind = JsonKind::Number;
        node.set_text(t);
        bool normalized = false;
        if (!is_json_number(t, normalized)) return fail("invalid value '" + std::string(t.substr(0, 40)) + "'");
        node.boolean = normalized;
        return true;
      }
    }
  }

  // The object or array whose bracket is at `pos`, its node at `self` (kind
  // set), at nesting `depth`. Scalars are read in the loop; only nested
  // containers recurse.
  bool container(uint32_t self, uint32_t pos, int depth) {
    const bool object = json[pos] == '{';
    const char closing = object ? '}' : ']';
    const uint32_t mark = pending_count;
    if (peek() == closing) {
      ++at;
    } else {
      for (;;) {
        std::string_view name;  // stays empty in an array
        if (object) {
          if (peek() != '"') return fail("expected a member name in an object");
          const Text key = string(index[at++]);
          if (key.read == Failed) return false;
          name = key.view();
          if (peek() != ':') return fail("expected ':' after a member name");
          ++at;
        }
        if (depth + 1 > kMaxDepth) return fail("nesting deeper than 200 levels");
        if (at >= count) return fail("unexpected end of input");
        const uint32_t child = node_count;
        Node scratch;
        Node& node = Build ? nodes[node_count++] : scratch;
        node.set_key(name);  // every field is set: the arrays are reused without clearing
        node.boolean = false;
        node.count = 0;
        node.children = 0;
        node.text_size = 0;
        if constexpr (Build) {
          pending[pending_count++] = {key_signature(name), child};
        } else if (object) {  // the names only, for the duplicate check: `nodes` is free room here
          nodes[pending_count].set_key(name);
          pending[pending_count] = {key_signature(name), pending_count};
          ++pending_count;
        }
        const uint32_t value_pos = index[at++];
        const char c = json[value_pos];
        if (c == '"') {  // the common case, read here
          if (!string_value(value_pos, node)) return false;
        } else if (c == '{' || c == '[') {
          node.kind = c == '{' ? JsonKind::Object : JsonKind::Array;
          if (!container(child, value_pos, depth + 1)) return false;
        } else if (!scalar(value_pos, node)) {
          return false;
        }
        if constexpr (Build) {
          nodes[child].next = node_count;
        } else if (depth == 0 && object && !member->found && !wanted.empty() &&
                   name == wanted) {  // the first, as member()
          member->found = true;
          member->kind = node.kind;
          member->text = node.text();
        }
        const char after = peek();
        ++at;
        if (after == closing) break;
        if (after != ',') return fail(object ? "expected ',' or '}' in an object" : "expected ',' or ']' in an array");
      }
    }
    if (object && pending_count - mark >= 2) {
      std::string_view name;
      if (repeated_name(pending + mark, pending_count - mark, nodes, name)) {
        if (!has_duplicate) duplicate = name;
        has_duplicate = true;
        if constexpr (Build) nodes[self].boolean = true;
      }
    }
    if constexpr (!Build) pending_count = mark;
    if constexpr (Build) {
      // complete: its children move from `pending` to the child index
      Node& node = nodes[self];
      node.count = pending_count - mark;
      node.children = child_count;
      copy_bytes(reinterpret_cast<char*>(children + child_count), reinterpret_cast<const char*>(pending + mark),
                 node.count * sizeof(Child));
      child_count += node.count;
      pending_count = mark;
    }
    return true;
  }

  // The root: an object or array (checked by the caller) at structural 0.
  bool root() {
    const uint32_t pos = index[at++];
    Node scratch;
    Node& node = Build ? nodes[node_count++] : scratch;
    node = Node{};
    node.kind = json[pos] == '{' ? JsonKind::Object : JsonKind::Array;
    if constexpr (!Build) member->root = node.kind;
    if (!container(0, pos, 0)) return false;
    if constexpr (Build) nodes[0].next = node_count;
    return true;
  }

  [[gnu::cold, gnu::noinline]] bool fail(std::string message) {
    if (error.empty()) error = std::move(message);
    return false;
  }
};

}  // namespace

Document::Document() : impl_(std::make_unique<Impl>()) {}
Document::~Document() = default;

// Stage 1, then stage 2 by `Builder<Build>`.
template <bool Build>
std::string Document::run(std::string_view json, size_t readable_after, std::string_view wanted, Member* member) {
  static_assert(kPadding >= simdjson::SIMDJSON_PADDING);
  has_duplicate_ = false;
  auto& impl = *impl_;
  if (!impl.parser || impl.parser->capacity() < json.size()) {
    const size_t capacity = std::max<size_t>(json.size(), 64 * 1024);
    auto err = impl.parser ? impl.parser->set_capacity(capacity)
                           : simdjson::get_active_implementation()->create_dom_parser_implementation(
                                 capacity, kMaxDepth + 2, impl.parser);
    if (err) return simdjson::error_message(err);
  }
  const char* text = json.data();
  // Parsed in place when the padding is there and the byte after the text,
  // which stage 2 reads as its end, is a space, newline or NUL (JSON lines).
  const auto ends_cleanly = [&] {
    const char after = text[json.size()];
    return after == '\n' || after == '\r' || after == ' ' || after == '\t' || after == '\0';
  };
  if (readable_after < kPadding || !ends_cleanly()) {
    auto& padded = impl.padded;
    padded.resize(json.size() + kPadding);
    std::memcpy(padded.data(), json.data(), json.size());
    std::memset(padded.data() + json.size(), 0, kPadding);
    text = padded.data();
  }
  if (auto err =
          impl.parser->stage1(reinterpret_cast<const uint8_t*>(text), json.size(), simdjson::stage1_mode::regular))
    return err == simdjson::UTF8_ERROR ? "invalid UTF-8" : simdjson::error_message(err);
  impl.escaped.resize(json.size() + kPadding);
  const uint32_t count = impl.parser->n_structural_indexes;
  if (nodes_.size() < count + 1) {  // sizes only grow: reused by the next records
    nodes_.resize(count + 1);
    children_.resize(count + 1);
    impl.pending.resize(count + 1);
  }
  Builder<Build> builder{text,
                         impl.parser->structural_indexes.get(),
                         count,
                         *impl.parser,
                         nodes_.data(),
                         children_.data(),
                         impl.pending.data(),
                         impl.escaped.data(),
                         wanted,
                         member};
  const char first = text[builder.index[0]];
  if (first != '{' && first != '[') return "expected a JSON object or array";
  if (!builder.root()) return builder.error;
  if (builder.at != count) return "trailing content after the JSON value";
  if (builder.has_duplicate) {
    has_duplicate_ = true;
    duplicate_.assign(builder.duplicate);
  }
  return {};
}

std::string Document::parse(std::string_view json, size_t readable_after) {
  return run<true>(json, readable_after, {}, nullptr);
}

std::string Document::check(std::string_view json, std::string_view member_name, Member& out, size_t readable_after) {
  out = Member{};
  return run<false>(json, readable_after, member_name, &out);
}

uint32_t Document::member_position(uint32_t object, std::string_view name, uint32_t signature) const {
  const Node& o = nodes_[object];
  if (o.kind != JsonKind::Object) return npos;
  for (uint32_t i = 0; i < o.count; ++i)
    if (is_named(children_[o.children + i], name, signature)) return i;
  return npos;
}

uint32_t Document::member(uint32_t object, std::string_view name, uint32_t signature) const {
  const uint32_t i = member_position(object, name, signature);
  return i == npos ? npos : children_[nodes_[object].children + i].node;
}

uint32_t Document::member_scan(uint32_t object, std::string_view name, uint32_t signature,
                               std::atomic<uint32_t>& hint) const {
  const uint32_t i = member_position(object, name, signature);
  if (i == npos) return npos;
  hint.store(i, std::memory_order_relaxed);
  return children_[nodes_[object].children + i].node;
}

uint32_t Document::find(uint32_t from, std::string_view path) const {
  if (path.empty() || path == "/") return from;
  uint32_t at = from;
  const bool pointer = path[0] == '/';
  size_t pos = pointer ? 1 : 0;
  while (pos <= path.size()) {
    size_t end = path.find(pointer ? '/' : '.', pos);
    std::string_view part = path.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    const Node& node = nodes_[at];
    if (node.kind == JsonKind::Object) {
      at = member(at, part);
    } else if (node.kind == JsonKind::Array && !part.empty() && part.size() < 10 &&
               std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      at = element(at, static_cast<uint32_t>(std::stoul(std::string(part))));
    } else {
      return npos;
    }
    if (at == npos || end == std::string_view::npos) return at;
    pos = end + 1;
  }
  return at;
}

std::string Document::duplicate_key() const {
  return has_duplicate_ ? duplicate_reason(duplicate_) : std::string();
}

std::string Document::duplicate_key(uint32_t index) const {
  if (!has_duplicate_) return {};
  for (uint32_t i = index; i < nodes_[index].next; ++i) {
    const Node& n = nodes_[i];
    std::string_view name;
    if (n.kind == JsonKind::Object && n.boolean &&
        repeated_name(children_.data() + n.children, n.count, nodes_.data(), name))
      return duplicate_reason(name);
  }
  return {};
}

std::string Document::scalar_text(uint32_t index) const {
  const Node& n = nodes_[index];
  switch (n.kind) {
    case JsonKind::String:
    case JsonKind::Number: return std::string(n.text());
    case JsonKind::Bool: return n.boolean ? "true" : "false";
    default: return {};
  }
}

uint32_t Document::element(uint32_t array, uint32_t i) const {
  const Node& a = nodes_[array];
  if (a.kind != JsonKind::Array || i >= a.count) return npos;
  return children_[a.children + i].node;
}

}  // namespace synchub::mapping
