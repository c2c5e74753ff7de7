#include "mapping/document.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cstring>

namespace synchub::mapping {

namespace od = simdjson::ondemand;

struct Document::Impl {
  od::parser parser;
  std::string padded;  // the input copied with simdjson's padding
};

namespace {

constexpr int kMaxDepth = 200;

// JSON number grammar: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?
bool is_json_number(std::string_view s) {
  size_t i = 0, n = s.size();
  if (i < n && s[i] == '-') ++i;
  if (i >= n) return false;
  if (s[i] == '0') {
    ++i;
  } else if (s[i] >= '1' && s[i] <= '9') {
    while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
  } else {
    return false;
  }
  if (i < n && s[i] == '.') {
    size_t start = ++i;
    while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == start) return false;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    size_t start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == start) return false;
  }
  return i == n;
}

std::string_view trim_token(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

struct Builder {
  std::vector<Node>& nodes;
  std::string error;

  template <typename V>
  bool value(V&& v, std::string_view key, int depth) {
    if (depth > kMaxDepth) return fail("nesting deeper than 200 levels");
    od::json_type type;
    if (auto e = v.type().get(type)) return fail(simdjson::error_message(e));
    uint32_t index = static_cast<uint32_t>(nodes.size());
    nodes.push_back(Node{});
    nodes[index].key = key;
    nodes[index].key_sig = key_signature(key);
    switch (type) {
      case od::json_type::null: {
        bool is_null = false;
        if (v.is_null().get(is_null) || !is_null) return fail("invalid literal");
        nodes[index].kind = JsonKind::Null;
        break;
      }
      case od::json_type::boolean: {
        bool b;
        if (auto e = v.get_bool().get(b)) return fail(simdjson::error_message(e));
        nodes[index].kind = JsonKind::Bool;
        nodes[index].boolean = b;
        break;
      }
      case od::json_type::number: {
        std::string_view raw = trim_token(v.raw_json_token());
        if (!is_json_number(raw)) return fail("invalid number '" + std::string(raw.substr(0, 40)) + "'");
        nodes[index].kind = JsonKind::Number;
        nodes[index].text = raw;
        break;
      }
      case od::json_type::string: {
        std::string_view s;
        if (auto e = v.get_string().get(s)) return fail(simdjson::error_message(e));
        nodes[index].kind = JsonKind::String;
        nodes[index].text = s;
        break;
      }
      case od::json_type::array: {
        od::array array;
        if (auto e = v.get_array().get(array)) return fail(simdjson::error_message(e));
        uint32_t count = 0;
        for (auto element : array) {
          od::value item;
          if (auto e = element.get(item)) return fail(simdjson::error_message(e));
          if (!value(item, {}, depth + 1)) return false;
          ++count;
        }
        nodes[index].kind = JsonKind::Array;
        nodes[index].count = count;
        break;
      }
      case od::json_type::object: {
        od::object object;
        if (auto e = v.get_object().get(object)) return fail(simdjson::error_message(e));
        uint32_t count = 0;
        for (auto field : object) {
          std::string_view name;
          if (auto e = field.unescaped_key().get(name)) return fail(simdjson::error_message(e));
          od::value item;
          if (auto e = field.value().get(item)) return fail(simdjson::error_message(e));
          if (!value(item, name, depth + 1)) return false;
          ++count;
        }
        nodes[index].kind = JsonKind::Object;
        nodes[index].count = count;
        break;
      }
      default: return fail("unexpected value");
    }
    nodes[index].next = static_cast<uint32_t>(nodes.size());
    return true;
  }

  bool fail(std::string message) {
    if (error.empty()) error = std::move(message);
    return false;
  }
};

}  // namespace

Document::Document() : impl_(std::make_unique<Impl>()) {}
Document::~Document() = default;

std::string Document::parse(std::string_view json) {
  nodes_.clear();
  auto& padded = impl_->padded;
  padded.resize(json.size() + simdjson::SIMDJSON_PADDING);
  std::memcpy(padded.data(), json.data(), json.size());
  std::memset(padded.data() + json.size(), 0, simdjson::SIMDJSON_PADDING);
  od::document doc;
  auto err = impl_->parser.iterate(padded.data(), json.size(), padded.size()).get(doc);
  if (err) return simdjson::error_message(err);
  Builder builder{nodes_, {}};
  // Scalars at the root need the document's own accessors.
  od::json_type type;
  if (auto e = doc.type().get(type)) return simdjson::error_message(e);
  if (type == od::json_type::object || type == od::json_type::array) {
    od::value v;
    if (auto e = doc.get_value().get(v)) return simdjson::error_message(e);
    if (!builder.value(v, {}, 0)) return builder.error;
  } else {
    return "expected a JSON object or array";
  }
  const char* rest = nullptr;
  if (!doc.current_location().get(rest)) return "trailing content after the JSON value";
  return {};
}

uint32_t Document::member(uint32_t object, std::string_view name, uint32_t signature) const {
  const Node& o = nodes_[object];
  if (o.kind != JsonKind::Object) return npos;
  uint32_t child = object + 1;
  for (uint32_t i = 0; i < o.count; ++i) {
    const Node& n = nodes_[child];
    if (n.key_sig == signature && std::memcmp(n.key.data(), name.data(), name.size()) == 0) return child;
    child = n.next;
  }
  return npos;
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

std::string Document::scalar_text(uint32_t index) const {
  const Node& n = nodes_[index];
  switch (n.kind) {
    case JsonKind::String:
    case JsonKind::Number: return std::string(n.text);
    case JsonKind::Bool: return n.boolean ? "true" : "false";
    default: return {};
  }
}

uint32_t Document::element(uint32_t array, uint32_t i) const {
  const Node& a = nodes_[array];
  if (a.kind != JsonKind::Array || i >= a.count) return npos;
  uint32_t child = array + 1;
  while (i-- > 0) child = nodes_[child].next;
  return child;
}

}  // namespace synchub::mapping
