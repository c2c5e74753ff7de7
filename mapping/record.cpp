#include "mapping/record.hpp"

#include <simdjson.h>
#include <xxhash.h>

#include <cstring>

#include "mapping/document.hpp"

namespace synchub::mapping {

namespace {

// The key's value found (or not) in a record: "" and the key, or why it is no key.
std::string key_of(bool found, JsonKind kind, std::string_view text, std::string_view key_path, std::string& key_out) {
  if (!found || kind == JsonKind::Null) return "missing key '" + std::string(key_path) + "'";
  const bool integer = kind == JsonKind::Number && text.find_first_of(".eE") == std::string_view::npos;
  if (kind != JsonKind::String && !integer) return "key '" + std::string(key_path) + "' must be a string or an integer";
  if (text.empty()) return "empty key '" + std::string(key_path) + "'";
  key_out.assign(text);
  return {};
}

std::string parse_error(const std::string& reason) {
  if (reason == "expected a JSON object or array") return "expected a JSON object";
  if (reason == "invalid UTF-8") return reason;
  return "malformed JSON: " + reason;
}

}  // namespace

std::string check_record(std::string_view json, std::string_view key_path, std::string& key_out) {
  thread_local Document doc;  // reused: its buffers grow to the largest record once
  if (!key_path.empty() && key_path.find('.') == std::string_view::npos && !key_path.starts_with('/')) {
    // A member of the record itself: checked without building the tree.
    Document::Member key;
    if (std::string reason = doc.check(json, key_path, key); !reason.empty()) return parse_error(reason);
    if (key.root != JsonKind::Object) return "expected a JSON object";
    if (doc.duplicate_keys()) return doc.duplicate_key();
    return key_of(key.found, key.kind, key.text, key_path, key_out);
  }
  if (std::string reason = doc.parse(json); !reason.empty()) return parse_error(reason);
  return record_key(doc, doc.root_index(), key_path, key_out);
}

std::string record_key(const Document& doc, uint32_t row, std::string_view key_path, std::string& key_out) {
  if (doc.at(row).kind != JsonKind::Object) return "expected a JSON object";
  // Readers would disagree on such a record (the mapping and the ledger read the first, others the last).
  if (std::string duplicate = doc.duplicate_key(row); !duplicate.empty()) return duplicate;
  const uint32_t key = doc.find(row, key_path);
  if (key == Document::npos) return key_of(false, JsonKind::Null, {}, key_path, key_out);
  return key_of(true, doc.at(key).kind, doc.at(key).text(), key_path, key_out);
}

std::string content_hash(std::string_view data) {
  XXH128_hash_t h = XXH3_128bits(data.data(), data.size());
  static const char* digits = "0123456789abcdef";
  std::string out(32, '0');
  for (int i = 0; i < 16; ++i) {
    out[15 - i] = digits[(h.high64 >> (4 * i)) & 0xf];
    out[31 - i] = digits[(h.low64 >> (4 * i)) & 0xf];
  }
  return out;
}

bool is_valid_utf8(std::string_view text) {
  return simdjson::validate_utf8(text.data(), text.size());
}

void append_json_string(std::string& out, std::string_view text) {
  static const char* hex = "0123456789abcdef";
  out += '"';
  size_t run = 0;  // start of the bytes not yet copied: copied in bulk
  for (size_t i = 0; i < text.size(); ++i) {
    // Skip 8 bytes at a time while none needs escaping (control, '"', '\\').
    while (i + 8 <= text.size()) {
      uint64_t w;
      std::memcpy(&w, text.data() + i, 8);
      constexpr uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
      uint64_t quote = w ^ (ones * '"'), backslash = w ^ (ones * '\\');
      uint64_t special = ((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash);
      if (special & highs) break;
      i += 8;
    }
    if (i >= text.size()) break;
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        out += "\\u00";
        out += hex[c >> 4];
        out += hex[c & 0xf];
    }
  }
  out.append(text.data() + run, text.size() - run);
  out += '"';
}

}  // namespace synchub::mapping
