#include "mapping/functions.hpp"

#include <re2/re2.h>

#include <memory>

#include "mapping/datetime.hpp"

namespace synchub::mapping {
namespace {

using Args = const CallArgs&;

[[noreturn]] void bad(EvalContext& ctx, std::string_view fn, const Value& v, const char* expected) {
  throw MappingError(std::string(fn) + "(): expected " + expected + ", got " + describe(ctx.doc, v));
}

Decimal num(EvalContext& ctx, std::string_view fn, const Value& v) {
  if (auto d = to_decimal(v)) return *d;
  bad(ctx, fn, v, "a number");
}

int64_t integer(EvalContext& ctx, std::string_view fn, const Value& v) {
  if (auto d = to_decimal(v))
    if (auto i = d->to_int64()) return *i;
  bad(ctx, fn, v, "an integer");
}

Value text_value(EvalContext& ctx, std::string s) {
  return Value::of_string(ctx.arena.copy(s));
}

struct Span {
  const Value* data = nullptr;
  uint32_t size = 0;
  const Value* begin() const { return data; }
  const Value* end() const { return data + size; }
};

// Elements of an array value (input array or computed list), without copying lists.
Span elements(EvalContext& ctx, std::string_view fn, const Value& v) {
  if (v.kind == ValueKind::List) return {v.items, v.size};
  Elements walk(ctx.doc, v);
  if (!walk.is_array()) {
    if (!v.is_null()) bad(ctx, fn, v, "an array");
    return {};
  }
  Value* out = ctx.arena.array<Value>(walk.size());
  for (uint32_t i = 0; i < walk.size(); ++i) new (&out[i]) Value(walk.next());
  return {out, walk.size()};
}

uint32_t count_elements(EvalContext& ctx, std::string_view fn, const Value& v) {
  if (v.kind == ValueKind::List) return v.size;
  if (v.kind == ValueKind::Node && ctx.doc.at(v.node).kind == JsonKind::Array) return ctx.doc.at(v.node).count;
  if (!v.is_null()) bad(ctx, fn, v, "an array");
  return 0;
}

Value make_list(EvalContext& ctx, const std::vector<Value>& items) {
  Value* out = ctx.arena.array<Value>(items.size());
  std::copy(items.begin(), items.end(), out);
  return Value::of_list(out, static_cast<uint32_t>(items.size()));
}

// UTF-8 code point boundaries, so substr and pad never split a character.
size_t utf8_offset(std::string_view s, int64_t chars) {
  size_t i = 0;
  while (i < s.size() && chars > 0) {
    ++i;
    while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
    --chars;
  }
  return i;
}
int64_t utf8_length(std::string_view s) {
  int64_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// ---- strings
Value f_concat(EvalContext& ctx, Args a) {
  std::string s;
  for (size_t i = 0; i < a.size; ++i) s += to_text(ctx, a[i]);
  return text_value(ctx, std::move(s));
}
Value f_substr(EvalContext& ctx, Args a) {
  if (a[0].is_null()) return a[0];
  std::string_view s = to_text(ctx, a[0]);
  int64_t start = integer(ctx, "substr", a[1]);
  if (start < 0) start = std::max<int64_t>(0, utf8_length(s) + start);
  size_t from = utf8_offset(s, start);
  size_t to =
      a.size > 2 ? from + utf8_offset(s.substr(from), std::max<int64_t>(0, integer(ctx, "substr", a[2]))) : s.size();
  return Value::of_string(s.substr(from, to - from));
}
Value f_replace(EvalContext& ctx, Args a) {
  if (a[0].is_null()) return a[0];
  std::string s(to_text(ctx, a[0]));
  std::string_view from = to_text(ctx, a[1]), to = to_text(ctx, a[2]);
  if (from.empty()) return a[0];
  std::string out;
  size_t pos = 0, hit;
  while ((hit = s.find(from, pos)) != std::string::npos) {
    out.append(s, pos, hit - pos);
    out += to;
    pos = hit + from.size();
  }
  out.append(s, pos);
  return text_value(ctx, std::move(out));
}
Value f_split(EvalContext& ctx, Args a) {
  if (a[0].is_null()) return a[0];
  std::string_view s = to_text(ctx, a[0]), sep = to_text(ctx, a[1]);
  std::vector<Value> parts;
  if (sep.empty()) {
    parts.push_back(Value::of_string(s));
  } else {
    size_t pos = 0, hit;
    while ((hit = s.find(sep, pos)) != std::string_view::npos) {
      parts.push_back(Value::of_string(s.substr(pos, hit - pos)));
      pos = hit + sep.size();
    }
    parts.push_back(Value::of_string(s.substr(pos)));
  }
  return make_list(ctx, parts);
}
Value f_join(EvalContext& ctx, Args a) {
  std::string_view sep = a.size > 1 ? to_text(ctx, a[1]) : std::string_view();
  std::string out;
  bool first = true;
  for (const Value& v : elements(ctx, "join", a[0])) {
    if (v.is_null()) continue;
    if (!first) out += sep;
    out += to_text(ctx, v);
    first = false;
  }
  return text_value(ctx, std::move(out));
}
Value change_case(EvalContext& ctx, Args a, bool up) {
  if (a[0].is_null()) return a[0];
  std::string s(to_text(ctx, a[0]));
  for (char& c : s) {  // ASCII letters; other scripts are left as they are
    if (up && c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
    if (!up && c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return text_value(ctx, std::move(s));
}
Value f_upper(EvalContext& ctx, Args a) {
  return change_case(ctx, a, true);
}
Value f_lower(EvalContext& ctx, Args a) {
  return change_case(ctx, a, false);
}
std::string_view trim_view(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}
Value f_trim(EvalContext& ctx, Args a) {
  if (a[0].is_null()) return a[0];
  return Value::of_string(trim_view(to_text(ctx, a[0])));
}
Value pad(EvalContext& ctx, Args a, bool left) {
  if (a[0].is_null()) return a[0];
  std::string_view s = to_text(ctx, a[0]);
  const char* fn = left ? "pad_left" : "pad_right";
  int64_t width = integer(ctx, fn, a[1]);
  // Found by the fuzzer: a width from data must not make a gigabyte string.
  constexpr int64_t kMaxWidth = 10000;
  if (width > kMaxWidth)
    throw MappingError(std::string(fn) + "(): width " + std::to_string(width) + " is over " +
                       std::to_string(kMaxWidth));
  std::string_view fill = a.size > 2 ? to_text(ctx, a[2]) : " ";
  if (fill.empty()) fill = " ";
  int64_t missing = width - utf8_length(s);
  if (missing <= 0) return Value::of_string(s);
  std::string padding;
  for (int64_t i = 0; i < missing; ++i) padding += fill;
  return text_value(ctx, left ? padding + std::string(s) : std::string(s) + padding);
}
Value f_pad_left(EvalContext& ctx, Args a) {
  return pad(ctx, a, true);
}
Value f_pad_right(EvalContext& ctx, Args a) {
  return pad(ctx, a, false);
}

std::any prepare_regex(const std::vector<std::optional<std::string>>& lit) {
  if (!lit[1]) throw ArgumentError(1, "the pattern must be a quoted string");
  auto re = std::make_shared<RE2>(*lit[1], RE2::Quiet);
  if (!re->ok()) throw ArgumentError(1, "invalid regular expression: " + re->error());
  return std::shared_ptr<const RE2>(re);
}
Value f_matches(EvalContext& ctx, Args a) {
  if (a[0].is_null()) return Value::of_bool(false);
  const auto& re = std::any_cast<const std::shared_ptr<const RE2>&>(a.state);
  std::string_view s = to_text(ctx, a[0]);
  return Value::of_bool(RE2::PartialMatch(s, *re));
}
Value f_length(EvalContext& ctx, Args a) {
  if (a[0].is_null()) return a[0];
  if (a[0].kind == ValueKind::String) return Value::of_number(utf8_length(a[0].text));
  return Value::of_number(int64_t{count_elements(ctx, "length", a[0])});
}
Value f_contains(EvalContext& ctx, Args a) {
  if (a[0].is_null()) return Value::of_bool(false);
  if (a[0].kind == ValueKind::String)
    return Value::of_bool(a[0].text.find(to_text(ctx, a[1])) != std::string_view::npos);
  for (const Value& v : elements(ctx, "contains", a[0]))
    if (values_equal(ctx.doc, v, a[1])) return Value::of_bool(true);
  return Value::of_bool(false);
}
Value f_starts_with(EvalContext& ctx, Args a) {
  if (a[0].is_null()) return Value::of_bool(false);
  std::string_view s = to_text(ctx, a[0]), p = to_text(ctx, a[1]);
  return Value::of_bool(s.substr(0, p.size()) == p);
}
Value f_ends_with(EvalContext& ctx, Args a) {
  if (a[0].is_null()) return Value::of_bool(false);
  std::string_view s = to_text(ctx, a[0]), p = to_text(ctx, a[1]);
  return Value::of_bool(s.size() >= p.size() && s.substr(s.size() - p.size()) == p);
}
Value f_string(EvalContext& ctx, Args a) {
  if (a[0].is_null()) return a[0];
  return Value::of_string(to_text(ctx, a[0]));
}
Value f_number(EvalContext& ctx, Args a) {
  if (a[0].is_null()) return a[0];
  if (a[0].kind == ValueKind::String && trim_view(a[0].text).empty()) return Value::null();
  return Value::of_number(num(ctx, "number", a[0]));
}
Value f_compact(EvalContext& ctx, Args a) {
  Span all = elements(ctx, "compact", a[0]);
  Value* kept = ctx.arena.array<Value>(all.size);
  uint32_t n = 0;
  for (const Value& v : all)
    if (!v.is_null() && !(v.kind == ValueKind::String && v.text.empty())) kept[n++] = v;
  return Value::of_list(kept, n);
}

// ---- numbers
Rounding rounding_mode(std::string_view name) {
  if (name == "half_up") return Rounding::HalfUp;
  if (name == "half_even") return Rounding::HalfEven;
  if (name == "floor") return Rounding::Floor;
  if (name == "ceil") return Rounding::Ceil;
  if (name == "down") return Rounding::Down;
  throw ArgumentError(
      2, "unknown rounding mode '" + std::string(name) + "' (expected half_up, half_even, floor, ceil or down)");
}
std::any prepare_round(const std::vector<std::optional<std::string>>& lit) {
  if (lit.size() < 3) return Rounding::HalfUp;
  if (!lit[2]) throw ArgumentError(2, "the rounding mode must be a quoted name");
  return rounding_mode(*lit[2]);
}
// Number functions (Call evaluates them through FunctionSpec::number): the
// first argument as eval_number reads it, the others as values.
using NumberArgs = const ExprArgs&;

bool round_with(EvalContext& ctx, NumberArgs a, const char* fn, Rounding mode, Decimal& out, Value& other) {
  Decimal x;
  const bool number = a.exprs[0]->eval_number(ctx, x, other);
  const Value places_value = a.size > 1 ? a.exprs[1]->eval(ctx) : Value::null();
  if (!number && other.is_null()) return false;
  const int64_t places = a.size > 1 ? integer(ctx, fn, places_value) : 0;
  if (places < 0 || places > 30) throw MappingError(std::string(fn) + "(): places must be 0..30");
  if (!number) x = num(ctx, fn, other);
  out = x.round(static_cast<int>(places), mode);
  return true;
}
bool f_round(EvalContext& ctx, NumberArgs a, Decimal& out, Value& other) {
  return round_with(ctx, a, "round", std::any_cast<Rounding>(a.state), out, other);
}
bool f_round_half_even(EvalContext& ctx, NumberArgs a, Decimal& out, Value& other) {
  return round_with(ctx, a, "round_half_even", Rounding::HalfEven, out, other);
}
bool f_floor(EvalContext& ctx, NumberArgs a, Decimal& out, Value& other) {
  return round_with(ctx, a, "floor", Rounding::Floor, out, other);
}
bool f_ceil(EvalContext& ctx, NumberArgs a, Decimal& out, Value& other) {
  return round_with(ctx, a, "ceil", Rounding::Ceil, out, other);
}
bool f_abs(EvalContext& ctx, NumberArgs a, Decimal& out, Value& other) {
  if (!a.exprs[0]->eval_number(ctx, out, other)) {
    if (other.is_null()) return false;  // null stays null
    out = num(ctx, "abs", other);
  }
  out = out.abs();
  return true;
}

// min/max of the arguments, or of one array argument; nulls are ignored.
Value extreme(EvalContext& ctx, Args a, bool want_max, const char* fn) {
  Span values = a.size == 1 ? elements(ctx, fn, a[0]) : Span{a.values, static_cast<uint32_t>(a.size)};
  std::optional<Decimal> best;
  for (const Value& v : values) {
    if (v.is_null()) continue;
    Decimal d = num(ctx, fn, v);
    if (!best || (want_max ? best->compare(d) < 0 : d.compare(*best) < 0)) best = d;
  }
  return best ? Value::of_number(*best) : Value::null();
}
Value f_min(EvalContext& ctx, Args a) {
  return extreme(ctx, a, false, "min");
}
Value f_max(EvalContext& ctx, Args a) {
  return extreme(ctx, a, true, "max");
}
Value f_sum(EvalContext& ctx, Args a) {
  Decimal total;
  for (const Value& v : elements(ctx, "sum", a[0]))
    if (!v.is_null()) total = total + num(ctx, "sum", v);
  return Value::of_number(total);
}
Value f_count(EvalContext& ctx, Args a) {
  return Value::of_number(int64_t{count_elements(ctx, "count", a[0])});
}
Value f_avg(EvalContext& ctx, Args a) {
  Decimal total;
  int64_t n = 0;
  for (const Value& v : elements(ctx, "avg", a[0])) {
    if (v.is_null()) continue;
    total = total + num(ctx, "avg", v);
    ++n;
  }
  return n == 0 ? Value::null() : Value::of_number(total / Decimal(n));
}

// ---- dates
struct DateArgs {
  std::string pattern;
  std::optional<TimeZone> zone;
};
// pattern_index / zone_index: which literal arguments are a pattern and a zone.
std::any prepare_dates(const std::vector<std::optional<std::string>>& lit, size_t pattern_index, size_t zone_index) {
  DateArgs d;
  if (pattern_index < lit.size()) {
    if (!lit[pattern_index]) throw ArgumentError(pattern_index, "the pattern must be a quoted string");
    d.pattern = *lit[pattern_index];
    if (auto e = check_pattern(d.pattern); !e.empty()) throw ArgumentError(pattern_index, e);
  }
  if (zone_index < lit.size()) {
    if (!lit[zone_index]) throw ArgumentError(zone_index, "the time zone must be a quoted name");
    d.zone = TimeZone::find(*lit[zone_index]);
    if (!d.zone) throw ArgumentError(zone_index, "unknown time zone '" + *lit[zone_index] + "'");
  }
  return std::make_shared<const DateArgs>(std::move(d));
}
const DateArgs& date_args(Args a) {
  return *std::any_cast<const std::shared_ptr<const DateArgs>&>(a.state);
}

Value f_parse_date(EvalContext& ctx, Args a) {
  if (a[0].is_null()) return a[0];
  const auto& d = date_args(a);
  auto days = parse_date(to_text(ctx, a[0]), d.pattern);
  if (!days)
    bad(ctx, "parse_date", a[0], d.pattern.empty() ? "a date like 2024-03-01" : ("a date like " + d.pattern).c_str());
  return Value::of_date(*days);
}
Value f_parse_datetime(EvalContext& ctx, Args a) {
  if (a[0].is_null()) return a[0];
  if (a[0].kind == ValueKind::DateTime) return a[0];
  const auto& d = date_args(a);
  auto t = parse_datetime(to_text(ctx, a[0]), d.pattern, d.zone ? *d.zone : TimeZone::utc());
  if (!t) bad(ctx, "parse_datetime", a[0], "a date and time (ISO-8601 or the given pattern)");
  return Value::of_datetime(t->micros, t->offset_minutes);
}
// Strings are read as ISO-8601 so format_date(created_at, ...) works on input text; numbers (and
// numeric strings) as epoch times: 12 digits and more are milliseconds (1973 on), fewer seconds.
Value as_time(EvalContext& ctx, const char* fn, const Value& v) {
  if (v.kind == ValueKind::Date || v.kind == ValueKind::DateTime) return v;
  if (v.kind == ValueKind::String) {
    if (auto t = parse_datetime(v.text, {}, TimeZone::utc())) return Value::of_datetime(t->micros, t->offset_minutes);
    if (auto days = parse_date(v.text, {})) return Value::of_date(*days);
  }
  if (v.kind == ValueKind::String || v.kind == ValueKind::Number) {
    const std::string_view text = trim_spaces(to_text(ctx, v));
    const size_t digits = text.substr(0, text.find('.')).size() - (text.rfind('-', 0) == 0 ? 1 : 0);
    if (auto micros = parse_epoch(text, digits >= 12 ? kEpochMillis : kEpochSeconds))
      return Value::of_datetime(*micros, 0);
  }
  bad(ctx, fn, v, "a date or date-time");
}
Value f_format_date(EvalContext& ctx, Args a) {
  if (a[0].is_null()) return a[0];
  const auto& d = date_args(a);
  Value t = as_time(ctx, "format_date", a[0]);
  std::string out;
  if (t.kind == ValueKind::Date) {
    format_date(out, t.time, d.pattern);
  } else {
    int offset = d.zone ? d.zone->offset_at(t.time) : t.offset_minutes;
    format_datetime(out, {t.time, offset}, d.pattern);
  }
  return text_value(ctx, std::move(out));
}
Value f_to_timezone(EvalContext& ctx, Args a) {
  if (a[0].is_null()) return a[0];
  Value t = as_time(ctx, "to_timezone", a[0]);
  if (t.kind != ValueKind::DateTime) bad(ctx, "to_timezone", a[0], "a date-time");
  return Value::of_datetime(t.time, date_args(a).zone->offset_at(t.time));
}
Value f_add_days(EvalContext& ctx, Args a) {
  if (a[0].is_null()) return a[0];
  Value t = as_time(ctx, "add_days", a[0]);
  int64_t n = integer(ctx, "add_days", a[1]);
  if (t.kind == ValueKind::Date) return Value::of_date(t.time + n);
  return Value::of_datetime(t.time + n * 86400LL * 1000000, t.offset_minutes);
}
Value f_now(EvalContext& ctx, Args) {
  return Value::of_datetime(ctx.now(), 0);
}
Value f_today(EvalContext& ctx, Args a) {
  const auto& d = date_args(a);
  const int64_t now = ctx.now();
  int offset = d.zone ? d.zone->offset_at(now) : 0;
  int64_t local = now + int64_t{offset} * 60 * 1000000;
  int64_t day = local / (86400LL * 1000000) - (local % (86400LL * 1000000) < 0);
  return Value::of_date(day);
}

// fail(message): the record is refused with this reason, whole.
Value f_fail(EvalContext& ctx, Args a) {
  throw RecordRefused(std::string(to_text(ctx, a[0])));
}

const FunctionSpec kFunctions[] = {
    {"fail", 1, 1, f_fail},
    {"concat", 1, -1, f_concat},
    {"substr", 2, 3, f_substr},
    {"replace", 3, 3, f_replace},
    {"split", 2, 2, f_split},
    {"join", 1, 2, f_join},
    {"upper", 1, 1, f_upper},
    {"lower", 1, 1, f_lower},
    {"trim", 1, 1, f_trim},
    {"pad_left", 2, 3, f_pad_left},
    {"pad_right", 2, 3, f_pad_right},
    {"matches", 2, 2, f_matches, prepare_regex},
    {"length", 1, 1, f_length},
    {"contains", 2, 2, f_contains},
    {"starts_with", 2, 2, f_starts_with},
    {"ends_with", 2, 2, f_ends_with},
    {"string", 1, 1, f_string},
    {"number", 1, 1, f_number},
    {"compact", 1, 1, f_compact},
    {"round", 1, 3, nullptr, prepare_round, f_round},
    {"round_half_even", 1, 2, nullptr, nullptr, f_round_half_even},
    {"floor", 1, 2, nullptr, nullptr, f_floor},
    {"ceil", 1, 2, nullptr, nullptr, f_ceil},
    {"abs", 1, 1, nullptr, nullptr, f_abs},
    {"min", 1, -1, f_min},
    {"max", 1, -1, f_max},
    {"sum", 1, 1, f_sum},
    {"count", 1, 1, f_count},
    {"avg", 1, 1, f_avg},
    {"parse_date", 1, 2, f_parse_date, [](const auto& l) { return prepare_dates(l, 1, 9); }},
    {"parse_datetime", 1, 3, f_parse_datetime, [](const auto& l) { return prepare_dates(l, 1, 2); }},
    {"format_date", 1, 3, f_format_date, [](const auto& l) { return prepare_dates(l, 1, 2); }},
    {"to_timezone", 2, 2, f_to_timezone, [](const auto& l) { return prepare_dates(l, 9, 1); }},
    {"add_days", 2, 2, f_add_days},
    {"now", 0, 0, f_now},
    {"today", 0, 1, f_today, [](const auto& l) { return prepare_dates(l, 9, 0); }},
};

}  // namespace

const FunctionSpec* find_function(std::string_view name) {
  for (const auto& f : kFunctions)
    if (f.name == name) return &f;
  return nullptr;
}

std::vector<std::string> function_names() {
  std::vector<std::string> names;
  for (const auto& f : kFunctions) names.emplace_back(f.name);
  return names;
}

}  // namespace synchub::mapping
