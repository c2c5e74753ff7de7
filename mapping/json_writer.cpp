#include "mapping/json_writer.hpp"

#include <algorithm>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "mapping/datetime.hpp"

namespace synchub::mapping {

void JsonWriter::grow(size_t n) {
  capacity_ = std::max({capacity_ * 2, size_ + n, size_t{4096}});
  auto grown = std::make_unique_for_overwrite<char[]>(capacity_);
  if (size_) std::memcpy(grown.get(), buffer_.get(), size_);
  buffer_ = std::move(grown);
}

namespace {

// The first byte from `i` that JSON must escape (control, '"', '\\'), or `n`.
size_t next_special(const char* text, size_t i, size_t n) {
#if defined(__SSE2__)
  const __m128i last_control = _mm_set1_epi8(0x1f), quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
  for (; i + 16 <= n; i += 16) {
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text + i));
    const __m128i control = _mm_cmpeq_epi8(_mm_max_epu8(b, last_control), last_control);  // unsigned b <= 0x1f
    const int hits =
        _mm_movemask_epi8(_mm_or_si128(control, _mm_or_si128(_mm_cmpeq_epi8(b, quote), _mm_cmpeq_epi8(b, backslash))));
    if (hits) return i + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(hits)));
  }
#endif
  for (; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == '"' || c == '\\') return i;
  }
  return n;
}

}  // namespace

bool is_plain_json_text(std::string_view text) {
  return next_special(text.data(), 0, text.size()) == text.size();
}

void JsonWriter::string(std::string_view text, bool plain) {
  // worst case: every byte written as \u00XX
  char* p = room(plain ? text.size() + 2 : text.size() * 6 + 2);
  *p++ = '"';
  if (plain) {
    copy_bytes(p, text.data(), text.size());
    p += text.size();
  } else {
    static const char* hex = "0123456789abcdef";
    for (size_t run = 0;;) {  // run: start of the bytes not yet copied, copied in bulk
      const size_t i = next_special(text.data(), run, text.size());
      copy_bytes(p, text.data() + run, i - run);
      p += i - run;
      if (i == text.size()) break;
      const unsigned char c = static_cast<unsigned char>(text[i]);
      *p++ = '\\';
      switch (c) {
        case '"': *p++ = '"'; break;
        case '\\': *p++ = '\\'; break;
        case '\n': *p++ = 'n'; break;
        case '\r': *p++ = 'r'; break;
        case '\t': *p++ = 't'; break;
        case '\b': *p++ = 'b'; break;
        case '\f': *p++ = 'f'; break;
        default:
          std::memcpy(p, "u00", 3);
          p[3] = hex[c >> 4];
          p[4] = hex[c & 0xf];
          p += 5;
      }
      run = i + 1;
    }
  }
  *p++ = '"';
  size_ = static_cast<size_t>(p - buffer_.get());
}

void JsonWriter::node(const Document& doc, uint32_t index) {
  const Node& n = doc.at(index);
  switch (n.kind) {
    case JsonKind::Null: put("null"); return;
    case JsonKind::Bool: put(n.boolean ? "true" : "false"); return;
    case JsonKind::Number: put(n.text()); return;
    case JsonKind::String: string(n.text(), n.boolean); return;
    case JsonKind::Object:
    case JsonKind::Array: {
      const bool object = n.kind == JsonKind::Object;
      put(object ? '{' : '[');
      uint32_t child = index + 1;
      for (uint32_t i = 0; i < n.count; ++i) {
        if (i) put(',');
        if (object) {
          string(doc.at(child).key(), false);
          put(':');
        }
        node(doc, child);
        child = doc.at(child).next;
      }
      put(object ? '}' : ']');
    }
  }
}

void JsonWriter::other_value(const Document& doc, const Value& v) {
  switch (v.kind) {
    case ValueKind::Null: put("null"); return;
    case ValueKind::Bool: put(v.boolean ? "true" : "false"); return;
    case ValueKind::Number: {
      if (!v.text.empty()) return put(v.text);
      char* p = room(Decimal::kMaxText);
      size_ += v.number.write(p);
      return;
    }
    case ValueKind::String: string(v.text, v.boolean); return;
    case ValueKind::Date: {
      std::string s;
      format_date(s, v.time, {});
      string(s, false);
      return;
    }
    case ValueKind::DateTime: {
      std::string s;
      format_datetime(s, {v.time, v.offset_minutes}, {});
      string(s, false);
      return;
    }
    case ValueKind::Node: node(doc, v.node); return;
    case ValueKind::List:
      put('[');
      for (uint32_t i = 0; i < v.size; ++i) {
        if (i) put(',');
        value(doc, v.items[i]);
      }
      put(']');
      return;
    case ValueKind::Object:
      put('{');
      for (uint32_t i = 0; i < v.size; ++i) {
        if (i) put(',');
        const Member& m = v.members[i];
        string(m.name, false);
        put(':');
        value(doc, m.value);
      }
      put('}');
      return;
  }
}

namespace {

// One writer per thread for the functions below, reused by their calls (REST
// sources write each row of a page), and given up when a large text grew it.
template <typename Write>
void write_with_thread_writer(std::string& out, Write write) {
  thread_local JsonWriter writer;
  writer.clear();
  write(writer);
  out += writer.text();
  if (writer.capacity() > (1 << 20)) writer = JsonWriter();
}

}  // namespace

void write_json(std::string& out, const Document& doc, const Value& v) {
  write_with_thread_writer(out, [&](JsonWriter& w) { w.value(doc, v); });
}

void write_node(std::string& out, const Document& doc, uint32_t index) {
  write_with_thread_writer(out, [&](JsonWriter& w) { w.node(doc, index); });
}

}  // namespace synchub::mapping
