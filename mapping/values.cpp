// Helpers on mapping values: conversions, comparisons, text for messages.
#include <xxhash.h>

#include <algorithm>

#include "config/diagnostics.hpp"
#include "mapping/datetime.hpp"
#include "mapping/expression.hpp"
#include "mapping/record.hpp"

namespace synchub::mapping {

bool Table::insert(std::string_view key, const Value& value) {
  if (find(key)) return false;
  Entry e{static_cast<uint32_t>(key.size()), {}, nullptr, value};
  if (key.size() <= kShortKey)
    std::copy(key.begin(), key.end(), e.short_key);
  else
    e.long_key = keys_.emplace_back(key).data();
  entries_.push_back(e);
  if (entries_.size() * 2 > slots_.size()) {
    slots_.assign(std::max<size_t>(16, slots_.size() * 2), Slot{});
    for (size_t i = 0; i < entries_.size(); ++i) place(i);
  } else {
    place(entries_.size() - 1);
  }
  return true;
}

void Table::place(size_t entry) {
  const std::string_view key = entries_[entry].key();
  const uint64_t hash = XXH3_64bits(key.data(), key.size());
  const size_t mask = slots_.size() - 1;
  size_t i = hash & mask;
  while (slots_[i].entry != 0) i = (i + 1) & mask;
  slots_[i] = {static_cast<uint32_t>(hash >> 32), static_cast<uint32_t>(entry + 1)};
}

const Value* Table::find(std::string_view key) const {
  if (slots_.empty()) return nullptr;
  const uint64_t hash = XXH3_64bits(key.data(), key.size());
  const uint32_t tag = static_cast<uint32_t>(hash >> 32);
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.entry == 0) return nullptr;
    if (s.tag != tag) continue;
    const Entry& e = entries_[s.entry - 1];
    if (same_text(e.key(), key)) return &e.value;
  }
}

const char* kind_name(ValueKind kind) {
  switch (kind) {
    case ValueKind::Null: return "null";
    case ValueKind::Bool: return "bool";
    case ValueKind::Number: return "number";
    case ValueKind::String: return "string";
    case ValueKind::Date: return "date";
    case ValueKind::DateTime: return "datetime";
    case ValueKind::Node: return "object";
    case ValueKind::List: return "array";
    case ValueKind::Object: return "object";
  }
  return "value";
}

std::string describe(const Document& doc, const Value& v) {
  std::string out;
  switch (v.kind) {
    case ValueKind::Null: return "null";
    case ValueKind::Bool: return v.boolean ? "true" : "false";
    case ValueKind::Number: return v.text.empty() ? v.number.str() : std::string(v.text);
    case ValueKind::String: {
      append_json_string(out, v.text.size() > 60 ? v.text.substr(0, 60) : v.text);
      if (v.text.size() > 60) out.insert(out.size() - 1, "...");
      return out;
    }
    case ValueKind::Date: format_date(out, v.time, {}); return out;
    case ValueKind::DateTime: format_datetime(out, {v.time, v.offset_minutes}, {}); return out;
    case ValueKind::Node: return doc.at(v.node).kind == JsonKind::Array ? "an array" : "an object";
    case ValueKind::List: return "an array";
    case ValueKind::Object: return "an object";
  }
  return out;
}

bool truthy(const Document& doc, const Value& v, const char* what) {
  if (v.kind == ValueKind::Bool) return v.boolean;
  if (v.kind == ValueKind::Null) return false;
  throw MappingError(std::string(what) + ": expected true or false, got " + describe(doc, v));
}

std::string_view trim_spaces(std::string_view t) {
  while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  return t;
}

std::optional<Decimal> to_decimal(const Value& v) {
  if (v.kind == ValueKind::Number) {
    if (!v.boolean) return v.number;
    auto d = Decimal::parse(v.text);  // valid JSON number text: only too many digits fail
    if (!d) throw MappingError("number " + std::string(v.text.substr(0, 60)) + " has more than 38 digits");
    return d;
  }
  if (v.kind == ValueKind::String) return Decimal::parse(trim_spaces(v.text));
  return std::nullopt;
}

std::string_view to_text(EvalContext& ctx, const Value& v) {
  std::string s;
  switch (v.kind) {
    case ValueKind::String: return v.text;
    case ValueKind::Null: return {};
    case ValueKind::Bool: return v.boolean ? "true" : "false";
    case ValueKind::Number:
      if (!v.text.empty()) return v.text;
      v.number.append_to(s);
      break;
    case ValueKind::Date: format_date(s, v.time, {}); break;
    case ValueKind::DateTime: format_datetime(s, {v.time, v.offset_minutes}, {}); break;
    default: throw MappingError("expected text, got " + describe(ctx.doc, v));
  }
  return ctx.arena.copy(s);
}

int compare_values(const Document& doc, const Value& a, const Value& b, bool& comparable) {
  comparable = true;
  if (a.kind == ValueKind::Number && b.kind == ValueKind::Number) return to_decimal(a)->compare(*to_decimal(b));
  if (number_against_text(a, b)) {  // as arithmetic reads them: "56.53" is 56.53, exactly
    const auto x = to_decimal(a), y = to_decimal(b);
    comparable = x && y;
    return comparable ? x->compare(*y) : 0;
  }
  if (a.kind != b.kind) {
    comparable = false;
    return 0;
  }
  switch (a.kind) {
    case ValueKind::Null: return 0;
    case ValueKind::Bool: return static_cast<int>(a.boolean) - static_cast<int>(b.boolean);
    case ValueKind::String: return a.text.compare(b.text) < 0 ? -1 : a.text.compare(b.text) > 0;
    case ValueKind::Date:
    case ValueKind::DateTime: return a.time < b.time ? -1 : a.time > b.time;
    default: comparable = false; return 0;
  }
  (void)doc;
}

}  // namespace synchub::mapping
