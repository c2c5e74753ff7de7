// Values computed while mapping one record. They are small and trivially
// copyable: text, lists and objects live in the record's Arena (reset after
// each record) or point into the input Document.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory_resource>
#include <string>
#include <string_view>

#include "mapping/copy_bytes.hpp"
#include "mapping/decimal.hpp"
#include "mapping/document.hpp"

namespace synchub::mapping {

struct Value;

struct Member;

enum class ValueKind : uint8_t { Null, Bool, Number, String, Date, DateTime, Node, List, Object };

struct Value {
  ValueKind kind = ValueKind::Null;
  bool boolean = false;        // Bool: the value; String: `text` needs no JSON escaping;
                               // Number: `number` is not parsed from `text` yet
  int16_t offset_minutes = 0;  // DateTime: the UTC offset it is shown in
  uint32_t size = 0;           // List / Object: element count; Number read from the input: 1 when its
                               // text is written as a normalized decimal is (see of_number_text)
  std::string_view text;       // String; Number: the literal text when it came from input
  union {                      // by kind (kept small: values are copied a lot)
    Decimal number;            // Number
    int64_t time;              // Date: days since 1970-01-01; DateTime: microseconds since the epoch (UTC)
    uint32_t node;             // Node: index into the Document (object or array)
    const Value* items;        // List
    const Member* members;     // Object
  };

  Value() : number() {}
  static Value null() { return {}; }
  static Value of_bool(bool b) {
    Value v;
    v.kind = ValueKind::Bool;
    v.boolean = b;
    return v;
  }
  static Value of_number(const Decimal& d, std::string_view literal = {}) {
    Value v;
    v.kind = ValueKind::Number;
    v.number = d;
    v.text = literal;
    return v;
  }
  // A number read from the input: parsed (by to_decimal) only when it is used as
  // a number, not when it is copied through. `normalized`: the parser found the
  // text already as `type: number` writes it.
  static Value of_number_text(std::string_view literal, bool normalized = false) {
    Value v;
    v.kind = ValueKind::Number;
    v.boolean = true;
    v.size = normalized;
    v.text = literal;
    return v;
  }
  static Value of_string(std::string_view s, bool plain = false) {
    Value v;
    v.kind = ValueKind::String;
    v.boolean = plain;
    v.text = s;
    return v;
  }
  static Value of_date(int64_t days) {
    Value v;
    v.kind = ValueKind::Date;
    v.time = days;
    return v;
  }
  static Value of_datetime(int64_t micros, int offset_minutes) {
    Value v;
    v.kind = ValueKind::DateTime;
    v.time = micros;
    v.offset_minutes = static_cast<int16_t>(offset_minutes);
    return v;
  }
  static Value of_node(uint32_t index) {
    Value v;
    v.kind = ValueKind::Node;
    v.node = index;
    return v;
  }
  static Value of_list(const Value* items, uint32_t n) {
    Value v;
    v.kind = ValueKind::List;
    v.items = items;
    v.size = n;
    return v;
  }
  static Value of_object(const Member* members, uint32_t n) {
    Value v;
    v.kind = ValueKind::Object;
    v.members = members;
    v.size = n;
    return v;
  }
  bool is_null() const { return kind == ValueKind::Null; }
};

struct Member {
  std::string_view name;
  Value value;
};

const char* kind_name(ValueKind kind);

// Per-record memory: everything is freed at once by reset().
class Arena {
 public:
  Arena() : resource_(buffer_, sizeof buffer_) {}
  void reset() { resource_.release(); }
  std::string_view copy(std::string_view s) {
    if (s.empty()) return {};
    char* p = static_cast<char*>(resource_.allocate(s.size(), 1));
    copy_bytes(p, s.data(), s.size());
    return {p, s.size()};
  }
  // Uninitialised room for n values. Fill it with `new (&a[i]) Value(f())`:
  // the result is then built in place, where assigning it copies a value
  // whose bytes were just stored one field at a time, and that copy stalls.
  template <typename T>
  T* array(size_t n) {
    return n == 0 ? nullptr : static_cast<T*>(resource_.allocate(n * sizeof(T), alignof(T)));
  }

 private:
  alignas(16) char buffer_[64 * 1024];
  std::pmr::monotonic_buffer_resource resource_;
};

}  // namespace synchub::mapping
