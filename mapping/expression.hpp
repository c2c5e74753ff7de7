// The mapping expression language: small, safe (no loops, no I/O, linear-time
// regular expressions), compiled once per mapping file and evaluated per record.
//
//   literals   12  -3.50  "text"  'text'  true  false  null  [a, b]
//   paths      customer.id  lines[0].sku  lines[*].amount  a["odd key"]
//              $this (current record)  $parent  $root  $out (fields mapped so far)
//   operators  + - * / %  == != < <= > >=  and or not  c ? a : b  a ?? b
//   functions  see functions.cpp (if, concat, round, sum, format_date, ...)
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "mapping/value.hpp"

namespace synchub::mapping {

// A record could not be mapped; the message names the path and the value.
struct MappingError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The mapping refused the record with a reason of its own (`fail(...)`, a `checks:` rule): the
// message is the whole error, not prefixed with the field that raised it.
struct RecordRefused : MappingError {
  using MappingError::MappingError;
};

// A cross-reference not found (yet): the master data it needs may still be
// on its way, so a flow retries the record instead of dead-lettering it at once.
struct MissingReference : MappingError {
  using MappingError::MappingError;
};

// A mistake in an expression, found when the mapping is loaded.
struct ExpressionError : std::runtime_error {
  ExpressionError(int column, const std::string& message) : std::runtime_error(message), column(column) {}
  int column;  // 1-based, inside the expression text
};

// Value tables (`map:`, `lookup(table, v)`): text keys to JSON values. An
// open-addressing index over the entries: a lookup is one hash of the key and
// usually one comparison (tables are read once per field per record).
class Table {
 public:
  std::string name;
  std::deque<std::string> storage;  // text the values point into (stable addresses)
  // Items and members of values that are lists or objects ({FNumber: tai}), for the same reason.
  std::deque<std::vector<Value>> lists;
  std::deque<std::vector<Member>> objects;

  // False when `key` is in the table already.
  bool insert(std::string_view key, const Value& value);
  const Value* find(std::string_view key) const;
  size_t size() const { return entries_.size(); }

 private:
  // A key of up to kShortKey bytes (most codes and ids) is kept in its entry:
  // a lookup then reads the slot and the entry, not a third place for the key.
  static constexpr size_t kShortKey = 20;
  struct Entry {
    uint32_t key_size;
    char short_key[kShortKey];
    const char* long_key;  // into keys_, for longer keys
    Value value;
    std::string_view key() const { return {key_size <= kShortKey ? short_key : long_key, key_size}; }
  };
  struct Slot {
    uint32_t tag = 0;    // upper hash bits
    uint32_t entry = 0;  // index into entries_ + 1; 0: empty
  };
  void place(size_t entry);       // into slots_
  std::deque<std::string> keys_;  // keys longer than kShortKey
  std::vector<Entry> entries_;
  std::vector<Slot> slots_;  // a power of two, at most half full
};

// Cross references kept by the state store (customer C001 in crm = KH0001 in erp).
class XrefResolver {
 public:
  virtual ~XrefResolver() = default;
  virtual std::optional<std::string> find(const std::string& entity, const std::string& from_system,
                                          const std::string& to_system, const std::string& id) = 0;
};

// Where paths are read: the current record and its ancestors (`each`), and
// the output fields mapped so far at this level.
struct Scope {
  Value record;
  const Scope* parent = nullptr;
  const Member* out = nullptr;
  uint32_t out_size = 0;
};

struct EvalContext {
  // `fixed_now`: the time now() gives (tests); otherwise the clock's, read once per context.
  EvalContext(const Document& doc, Arena& arena, const Scope* scope = nullptr, XrefResolver* xref = nullptr,
              std::optional<int64_t> fixed_now = std::nullopt)
      : doc(doc),
        arena(arena),
        scope(scope),
        xref(xref),
        now_micros_(fixed_now.value_or(0)),
        now_read_(fixed_now.has_value()) {}
  const Document& doc;
  Arena& arena;
  const Scope* scope = nullptr;
  XrefResolver* xref = nullptr;
  // The record's "now" (microseconds since the epoch), read from the clock
  // at its first use (most records never ask): every now() and today() of a record agree.
  int64_t now() {
    if (!now_read_) {
      now_micros_ = clock_micros();
      now_read_ = true;
    }
    return now_micros_;
  }

 private:
  static int64_t clock_micros();
  int64_t now_micros_ = 0;
  bool now_read_ = false;
};

class Expr {
 public:
  explicit Expr(int column) : column_(column) {}
  virtual ~Expr() = default;
  virtual Value eval(EvalContext& ctx) const = 0;
  // The value for arithmetic: true with `number` set when it is a number
  // (input number text parsed); otherwise false with the value in `other`
  // (null, text, ...) for the caller's general path. Operators and rounding
  // pass numbers to each other this way, without a Value per step.
  virtual bool eval_number(EvalContext& ctx, Decimal& number, Value& other) const;
  // The path text when this is a plain path (for error messages), else "".
  virtual std::string path_text() const { return {}; }
  int column() const { return column_; }

 private:
  int column_;
};
using ExprPtr = std::unique_ptr<Expr>;

struct CompileEnv {
  const std::map<std::string, std::shared_ptr<Table>, std::less<>>* tables = nullptr;
};

// Parses and checks `text` (function names and arities, table names, regular
// expressions, date patterns); throws ExpressionError with the column.
ExprPtr compile_expression(std::string_view text, const CompileEnv& env);

// Resolves a value at a path in the record (used by `from:`).
ExprPtr compile_path(std::string_view text, const CompileEnv& env);

// Walks the elements of an array value: an input array or a computed list.
class Elements {
 public:
  Elements(const Document& doc, const Value& v) : doc_(doc), v_(v) {
    if (v.kind == ValueKind::List) {
      size_ = v.size;
      array_ = true;
    } else if (v.kind == ValueKind::Node && doc.at(v.node).kind == JsonKind::Array) {
      size_ = doc.at(v.node).count;
      child_ = Document::first_child(v.node);
      array_ = true;
    }
  }
  bool is_array() const { return array_; }
  uint32_t size() const { return size_; }
  inline Value next();  // the next element; call size() times

 private:
  const Document& doc_;
  const Value& v_;
  uint32_t size_ = 0, at_ = 0, child_ = 0;
  bool array_ = false;
};

// A constant; a string's or number literal's text is copied from `storage`.
ExprPtr make_constant(const Value& v, std::string storage);
// A list / an object of expressions (YAML `value:` lists and maps).
ExprPtr make_list(std::vector<ExprPtr> items);
ExprPtr make_object(std::vector<std::pair<std::string, ExprPtr>> members);

// Helpers shared by the evaluator and the field plan.
// The value of node `index`: scalars as values (strings and numbers as views
// into the document), objects and arrays as references to the node.
inline Value node_value(const Document& doc, uint32_t index) {
  const Node& n = doc.at(index);
  switch (n.kind) {
    case JsonKind::Null: return Value::null();
    case JsonKind::Bool: return Value::of_bool(n.boolean);
    case JsonKind::String: return Value::of_string(n.text(), n.boolean);
    case JsonKind::Number: return Value::of_number_text(n.text(), n.boolean);
    case JsonKind::Object:
    case JsonKind::Array: return Value::of_node(index);
  }
  return Value::null();
}

Value Elements::next() {
  if (v_.kind == ValueKind::List) return v_.items[at_++];
  const uint32_t index = child_;
  child_ = doc_.at(index).next;
  ++at_;
  return node_value(doc_, index);
}
// A number value's decimal (input number text parsed): false for other kinds
// and for text with more digits than a decimal holds (the general path reports it).
inline bool number_of(const Value& v, Decimal& number) {
  if (v.kind != ValueKind::Number) return false;
  if (!v.boolean) {
    number = v.number;
    return true;
  }
  return Decimal::parse_into(v.text, number);
}
std::string describe(const Document& doc, const Value& v);  // short JSON-ish text for error messages
bool truthy(const Document& doc, const Value& v, const char* what);
std::optional<Decimal> to_decimal(const Value& v);           // numbers and numeric strings (spaces around allowed)
std::string_view trim_spaces(std::string_view text);         // without the spaces around it
std::string_view to_text(EvalContext& ctx, const Value& v);  // strings, numbers, bools, dates as text
// A number and a string: compared as numbers, the way arithmetic reads numeric strings.
inline bool number_against_text(const Value& a, const Value& b) {
  return (a.kind == ValueKind::Number && b.kind == ValueKind::String) ||
         (a.kind == ValueKind::String && b.kind == ValueKind::Number);
}
// <0, 0, >0; `comparable` is false for values of different kinds (or lists, objects), a number
// and a numeric string being of one kind (a number and any other string are not comparable).
int compare_values(const Document& doc, const Value& a, const Value& b, bool& comparable);
// Whether a and b are comparable and equal; the common cases (`x == null`, texts) inline.
inline bool values_equal(const Document& doc, const Value& a, const Value& b) {
  if (a.kind != b.kind && !number_against_text(a, b)) return false;  // not comparable
  if (a.kind == ValueKind::Null) return true;
  if (a.kind == ValueKind::String && b.kind == ValueKind::String) return same_text(a.text, b.text);
  bool comparable;
  const int c = compare_values(doc, a, b, comparable);
  return comparable && c == 0;
}

}  // namespace synchub::mapping
