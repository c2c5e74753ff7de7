#include "mapping/plan.hpp"

#include <chrono>
#include <cstring>

namespace synchub::mapping {
namespace {

// Where a nested record sits, spelled out only when an error needs it.
struct Where {
  const Where* parent = nullptr;
  const FieldPlan* each = nullptr;  // the `each` field this element belongs to, or the object field
  uint32_t index = 0;

  std::string source() const {  // "lines[3]" inside each, "customer" inside an object read from it
    if (!each) return {};
    std::string p = parent->source();
    if (each->object) return join(p, each->source_path);
    return join(p, each->source_path) + "[" + std::to_string(index) + "]";
  }
  std::string target() const {  // "entries[3]", "FCustId"
    if (!each) return {};
    std::string p = parent->target();
    return join(p, each->name) + (each->object ? "" : "[" + std::to_string(index) + "]");
  }
  static std::string join(const std::string& prefix, const std::string& name) {
    if (prefix.empty()) return name;
    return name.empty() ? prefix : prefix + "." + name;
  }
};

std::string join(const std::string& prefix, const std::string& name) {
  if (prefix.empty()) return name;
  if (name.empty()) return prefix;
  return prefix + "." + name;
}

[[noreturn]] void type_error(EvalContext& ctx, const Value& v, const std::string& expected) {
  throw MappingError("expected " + expected + ", got " + describe(ctx.doc, v));
}

// "#,##0.00" style: grouping when the pattern has a comma, decimals = zeros after '.'.
std::string format_number(const Decimal& d, const std::string& pattern, Rounding mode) {
  size_t dot = pattern.find('.');
  int places = dot == std::string::npos ? 0 : static_cast<int>(pattern.size() - dot - 1);
  Decimal r = d.round(places, mode).rescale(places);
  std::string digits = r.abs().str();
  if (pattern.find(',') != std::string::npos) {
    size_t int_end = digits.find('.');
    if (int_end == std::string::npos) int_end = digits.size();
    for (size_t i = int_end; i > 3; i -= 3) digits.insert(i - 3, 1, ',');
  }
  if (r.sign() < 0) digits.insert(0, 1, '-');
  return digits;
}

// Plain notation with nothing normalized() would drop: -?(0|[1-9]\d*)(\.\d*[1-9])?, not "-0".
bool is_normalized_number(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  if (i < n && s[i] == '-') ++i;
  if (i == n) return false;
  const size_t int_start = i;
  if (s[i] == '0') {
    ++i;
  } else {
    while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == int_start) return false;
  }
  if (i == n) return !(s[0] == '-' && s[int_start] == '0');
  if (s[i] != '.' || i + 1 == n || s[n - 1] == '0') return false;
  for (++i; i < n; ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

// `text` into `out` with ASCII letters in upper (or lower) case, 8 bytes at a
// time: each byte's low 7 bits plus a bias set the top bit for the bytes from
// the first letter on, and for those past the last; bytes with the top bit
// set (UTF-8) are left alone.
void change_case(std::string_view text, char* out, bool upper) {
  constexpr uint64_t kOnes = 0x0101010101010101, kTop = kOnes * 0x80;
  const uint64_t first = upper ? 'a' : 'A', last = upper ? 'z' : 'Z';
  const auto word = [&](uint64_t w) {
    const uint64_t low7 = w & ~kTop;
    const uint64_t from_first = low7 + kOnes * (0x80 - first), past_last = low7 + kOnes * (0x80 - last - 1);
    const uint64_t letters = from_first & ~past_last & ~w & kTop;
    return w ^ (letters >> 2);  // 0x20: the case bit
  };
  size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, text.data() + i, 8);
    w = word(w);
    std::memcpy(out + i, &w, 8);
  }
  for (; i < text.size(); ++i) {  // the last few bytes one by one
    const unsigned char c = static_cast<unsigned char>(text[i]);
    out[i] = static_cast<char>(c - first <= last - first ? c ^ 0x20 : c);
  }
}

// A date or time formatted by `format(text)` into the record's arena (through
// a scratch string kept per thread: most formatted dates are longer than a
// string holds without allocating).
template <typename Format>
Value formatted(EvalContext& ctx, Format format) {
  thread_local std::string scratch;
  scratch.clear();
  format(scratch);
  return Value::of_string(ctx.arena.copy(scratch));
}

// `type: number`: the value, in place, as a number without trailing fractional zeros.
void to_number(EvalContext& ctx, Value& v) {
  if (v.kind == ValueKind::Number && !v.boolean && v.text.empty()) {  // computed
    v.number = v.number.normalized();
    return;
  }
  // Most input numbers are written normalized already: keep their text,
  // unparsed while nothing computes with them (38 characters hold at most 38 digits).
  if (v.kind == ValueKind::Number && v.size == 1 && v.text.size() <= Decimal::kMaxDigits) return;  // the parser saw it
  std::string_view text = v.kind == ValueKind::String ? trim_spaces(v.text) : v.text;
  if ((v.kind == ValueKind::Number || v.kind == ValueKind::String) && text.size() <= Decimal::kMaxDigits &&
      is_normalized_number(text)) {
    if (v.kind == ValueKind::String) v = Value::of_number_text(text);
    return;
  }
  auto d = to_decimal(v);
  if (!d) type_error(ctx, v, "a number");
  v = is_normalized_number(text) ? Value::of_number(*d, text) : Value::of_number(d->normalized());
}

Value convert(EvalContext& ctx, const FieldPlan& f, const Value& v) {
  switch (f.type) {
    case FieldType::Any: return v;
    case FieldType::String: {
      if (v.kind == ValueKind::Number && !f.format.empty())
        return Value::of_string(
            ctx.arena.copy(format_number(*to_decimal(v), f.format, f.rounding.value_or(Rounding::HalfUp))));
      if ((v.kind == ValueKind::Date || v.kind == ValueKind::DateTime) && !f.format.empty()) {
        return formatted(ctx, [&](std::string& s) {
          if (v.kind == ValueKind::Date)
            format_date(s, v.time, f.format);
          else
            format_datetime(s, {v.time, f.zone ? f.zone->offset_at(v.time) : v.offset_minutes}, f.format);
        });
      }
      if (v.kind == ValueKind::Node || v.kind == ValueKind::List || v.kind == ValueKind::Object)
        type_error(ctx, v, "text");
      return Value::of_string(to_text(ctx, v));
    }
    case FieldType::Int: {
      auto d = to_decimal(v);
      if (!d || !d->is_integer()) type_error(ctx, v, "an integer");
      return Value::of_number(d->rescale(0));
    }
    case FieldType::Number: {
      Value n = v;
      to_number(ctx, n);
      return n;
    }
    case FieldType::Decimal: {
      auto d = to_decimal(v);
      if (!d) type_error(ctx, v, "decimal(" + std::to_string(f.precision) + "," + std::to_string(f.scale) + ")");
      Decimal r = *d;
      if (r.normalized().scale() > f.scale) {
        if (!f.rounding)
          throw MappingError(describe(ctx.doc, v) + " has more than " + std::to_string(f.scale) +
                             " decimal places (set rounding: half_up or half_even to round)");
        r = r.round(f.scale, *f.rounding);
      }
      r = r.normalized().rescale(f.scale);
      if (r.digits() > f.precision)
        throw MappingError(describe(ctx.doc, v) + " does not fit decimal(" + std::to_string(f.precision) + "," +
                           std::to_string(f.scale) + ")");
      return Value::of_number(r);
    }
    case FieldType::Bool:
      if (v.kind == ValueKind::Bool) return v;
      if (v.kind == ValueKind::String && (v.text == "true" || v.text == "false"))
        return Value::of_bool(v.text == "true");
      type_error(ctx, v, "true or false");
    case FieldType::Date: {
      int64_t days;
      if (v.kind == ValueKind::Date) {
        days = v.time;
      } else if (v.kind == ValueKind::DateTime) {
        int offset = f.zone ? f.zone->offset_at(v.time) : v.offset_minutes;
        int64_t local = v.time + int64_t{offset} * 60000000;
        days = local / 86400000000LL - (local % 86400000000LL < 0);
      } else if (v.kind == ValueKind::String || (v.kind == ValueKind::Number && is_epoch(f.input_format))) {
        const std::string_view text = to_text(ctx, v);
        auto parsed = parse_date(text, f.input_format);
        if (!parsed) {
          auto t = parse_datetime(text, f.input_format, f.zone ? *f.zone : TimeZone::utc());
          if (!t) type_error(ctx, v, f.input_format.empty() ? "a date (YYYY-MM-DD)" : "a date like " + f.input_format);
          int offset = f.zone ? f.zone->offset_at(t->micros) : t->offset_minutes;
          int64_t local = t->micros + int64_t{offset} * 60000000;
          parsed = local / 86400000000LL - (local % 86400000000LL < 0);
        }
        days = *parsed;
      } else {
        type_error(ctx, v, "a date");
      }
      return formatted(ctx, [&](std::string& s) { format_date(s, days, f.format); });
    }
    case FieldType::DateTime: {
      DateTime t;
      if (v.kind == ValueKind::DateTime) {
        t = {v.time, v.offset_minutes};
      } else if (v.kind == ValueKind::Date) {
        t = {f.zone ? f.zone->to_utc(v.time * 86400000000LL) : v.time * 86400000000LL, 0};
      } else if (v.kind == ValueKind::String || (v.kind == ValueKind::Number && is_epoch(f.input_format))) {
        auto parsed = parse_datetime(to_text(ctx, v), f.input_format, f.zone ? *f.zone : TimeZone::utc());
        if (!parsed)
          type_error(ctx, v, f.input_format.empty() ? "a date-time (ISO-8601)" : "a date-time like " + f.input_format);
        t = *parsed;
      } else {
        type_error(ctx, v, "a date-time");
      }
      if (f.zone) t.offset_minutes = f.zone->offset_at(t.micros);
      return formatted(ctx, [&](std::string& s) { format_datetime(s, t, f.format); });
    }
    case FieldType::Object:
      if (v.kind == ValueKind::Object || (v.kind == ValueKind::Node && ctx.doc.at(v.node).kind == JsonKind::Object))
        return v;
      type_error(ctx, v, "an object");
    case FieldType::Array:
      if (v.kind == ValueKind::List || (v.kind == ValueKind::Node && ctx.doc.at(v.node).kind == JsonKind::Array))
        return v;
      type_error(ctx, v, "an array");
  }
  return v;
}

Value map_object(EvalContext& ctx, const std::vector<FieldPlan>& fields, const Value& record, const Scope* parent,
                 const Where& where, JsonWriter& out, const std::vector<CheckPlan>* checks = nullptr);

// A null source value: the default, an error when required, or null.
Value when_null(const FieldPlan& f) {
  if (f.fallback) return *f.fallback;
  if (f.required) throw MappingError("required value is missing");
  return Value::null();
}

// `each`: the source array's elements mapped with the fields of `each`,
// written to `out` as they are mapped.
Value map_each(EvalContext& ctx, const FieldPlan& f, const Where& where, JsonWriter& out) {
  Value v = f.source ? f.source->eval(ctx) : ctx.scope->record;
  if (v.is_null()) {
    v = f.fallback ? *f.fallback : v;
    out.value(ctx.doc, v);
    return v;
  }
  Elements elements(ctx.doc, v);
  if (!elements.is_array()) type_error(ctx, v, "an array to map with each");
  const uint32_t n = elements.size();
  Value* items = ctx.arena.array<Value>(n);
  out.put('[');
  for (uint32_t i = 0; i < n; ++i) {
    if (i) out.put(',');
    Where inner{&where, &f, i};
    new (&items[i]) Value(map_object(ctx, f.fields, elements.next(), ctx.scope, inner, out));
  }
  out.put(']');
  return Value::of_list(items, n);
}

// `fields:` without `each`: an object of those fields, read from the record or from the source's value.
Value map_nested_object(EvalContext& ctx, const FieldPlan& f, const Where& where, JsonWriter& out) {
  Value v = f.source ? f.source->eval(ctx) : ctx.scope->record;
  if (v.is_null() && f.source) {
    v = when_null(f);
    out.value(ctx.doc, v);
    return v;
  }
  return map_object(ctx, f.fields, v, ctx.scope, Where{&where, &f, 0}, out);
}

// The steps after the source, on its value `v` in place (a value returned
// and then copied stalls on the bytes just stored): table or xref lookup,
// text changes, null handling, type.
void finish_value(EvalContext& ctx, const FieldPlan& f, Value& v) {
  if (f.map && !v.is_null()) {
    const Value* hit = f.map->find(to_text(ctx, v));
    if (hit) {
      v = *hit;
    } else if (f.fallback) {
      v = *f.fallback;
      return;
    } else {
      throw MappingError("value " + describe(ctx.doc, v) + " is not in " + f.miss_what);
    }
  } else if (!f.xref_entity.empty() && !v.is_null()) {
    if (!ctx.xref) throw MappingError("no cross-reference store to look up " + f.miss_what);
    auto found = ctx.xref->find(f.xref_entity, f.xref_from, f.xref_to, std::string(to_text(ctx, v)));
    if (found) {
      v = Value::of_string(ctx.arena.copy(*found));
    } else if (f.fallback) {
      v = *f.fallback;
      return;
    } else {
      throw MissingReference("value " + describe(ctx.doc, v) + " has no " + f.miss_what);
    }
  }
  if (v.kind == ValueKind::String && (f.trim || f.upper || f.lower)) {
    std::string_view t = v.text;
    if (f.trim) {
      while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.remove_prefix(1);
      while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.remove_suffix(1);
    }
    if (f.upper || f.lower) {
      char* s = ctx.arena.array<char>(t.size());
      change_case(t, s, f.upper);  // the loader refuses both
      t = {s, t.size()};
    }
    v = Value::of_string(t, v.boolean);  // case changes and trimming keep plain text plain
  }
  if (v.is_null()) {
    v = when_null(f);
  } else if (f.type == FieldType::Number) {
    to_number(ctx, v);
  } else if (f.type != FieldType::Any) {
    v = convert(ctx, f, v);
  }
}

// The first of `checks` the record (with its mapped fields in scope) does not meet: its message.
void apply_checks(EvalContext& ctx, const std::vector<CheckPlan>& checks) {
  for (const auto& check : checks) {
    if (const Value met = check.that->eval(ctx); met.kind == ValueKind::Bool && met.boolean) continue;
    std::string message;
    for (const auto& [text, expr] : check.message) {
      message += text;
      if (expr) message += to_text(ctx, expr->eval(ctx));
    }
    throw RecordRefused(message);
  }
}

Value map_object(EvalContext& ctx, const std::vector<FieldPlan>& fields, const Value& record, const Scope* parent,
                 const Where& where, JsonWriter& out, const std::vector<CheckPlan>* checks) {
  Member* members = ctx.arena.array<Member>(fields.size());
  Scope scope{record, parent, members, 0};
  const Scope* saved = ctx.scope;
  ctx.scope = &scope;
  // Each field is written as soon as it is mapped; its value is also kept
  // for `$out` paths. A failed record's partial text is dropped by the caller.
  out.put('{');
  for (const auto& f : fields) {
    Member& m = members[scope.out_size];
    if (scope.out_size) out.put(',');
    out.put(f.json_name);
    try {
      // in place: see Arena::array
      if (f.as_is) {  // most fields: a value copied from the record
        new (&m.value) Value(f.source->eval(ctx));
        if (m.value.is_null()) m.value = when_null(f);
        out.value(ctx.doc, m.value);
      } else if (f.each) {
        new (&m.value) Value(map_each(ctx, f, where, out));
      } else if (f.object) {
        new (&m.value) Value(map_nested_object(ctx, f, where, out));
      } else {
        new (&m.value) Value(f.source ? f.source->eval(ctx) : ctx.scope->record);
        finish_value(ctx, f, m.value);
        out.value(ctx.doc, m.value);
      }
    } catch (const MappingError& e) {
      ctx.scope = saved;
      const std::string target = join(where.target(), f.name);
      if (f.each || f.object || dynamic_cast<const RecordRefused*>(&e) ||
          std::string_view(e.what()).find(" (field ") != std::string_view::npos)
        throw;
      std::string message = f.source_path.empty()
                                ? target + ": " + e.what()
                                : join(where.source(), f.source_path) + ": " + e.what() + " (field " + target + ")";
      if (dynamic_cast<const MissingReference*>(&e)) throw MissingReference(message);
      throw MappingError(message);
    } catch (const DecimalError& e) {
      ctx.scope = saved;
      throw MappingError(join(where.target(), f.name) + ": " + e.what());
    }
    m.name = f.name;
    ++scope.out_size;
  }
  if (checks) apply_checks(ctx, *checks);
  out.put('}');
  ctx.scope = saved;
  return Value::of_object(members, scope.out_size);
}

}  // namespace

std::vector<std::pair<std::string, ExprPtr>> compile_message(const std::string& text, const CompileEnv& env) {
  std::vector<std::pair<std::string, ExprPtr>> parts;
  size_t at = 0;
  while (at <= text.size()) {
    const size_t open = text.find('{', at);
    const size_t close = open == std::string::npos ? open : text.find('}', open);
    if (close == std::string::npos) {
      parts.emplace_back(text.substr(at), nullptr);
      break;
    }
    const std::string inside = text.substr(open + 1, close - open - 1);
    try {
      parts.emplace_back(text.substr(at, open - at), compile_expression(inside, env));
    } catch (const ExpressionError& e) {
      throw ExpressionError(e.column, "in {" + inside + "}: " + e.what());
    }
    at = close + 1;
  }
  return parts;
}

int64_t EvalContext::clock_micros() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

PlanRunner::PlanRunner(std::shared_ptr<const Plan> plan, XrefResolver* xref) : plan_(std::move(plan)), xref_(xref) {}

MapStatus PlanRunner::run(std::string_view record, std::string& out, std::string& key, std::string& error,
                          size_t readable_after) {
  arena_.reset();
  std::string reason = doc_.parse(record, readable_after);
  if (!reason.empty()) {
    error = "invalid JSON: " + reason;
    return MapStatus::Failed;
  }
  if (doc_.root().kind != JsonKind::Object) {
    error = "expected a JSON object";
    return MapStatus::Failed;
  }
  if (doc_.duplicate_keys()) {  // published before sources refused them
    error = doc_.duplicate_key();
    return MapStatus::Failed;
  }
  EvalContext ctx{doc_, arena_, nullptr, xref_};
  Scope root{Value::of_node(doc_.root_index()), nullptr, nullptr, 0};
  ctx.scope = &root;
  try {
    if (plan_->filter && !truthy(doc_, plan_->filter->eval(ctx), "filter")) return MapStatus::Skipped;
    if (plan_->key) {
      Value k = plan_->key->eval(ctx);
      if (k.is_null()) throw MappingError("key: the key expression gave null");
      key.assign(to_text(ctx, k));
    }
    writer_.clear();
    map_object(ctx, plan_->fields, root.record, nullptr, Where{}, writer_, &plan_->checks);
    out += writer_.text();
  } catch (const MissingReference& e) {
    error = e.what();
    return MapStatus::MissingReference;
  } catch (const MappingError& e) {
    error = e.what();
    return MapStatus::Failed;
  } catch (const DecimalError& e) {
    error = e.what();
    return MapStatus::Failed;
  }
  return MapStatus::Mapped;
}

PlanMapper::PlanMapper(std::shared_ptr<const Plan> plan, XrefResolver* xref) : runner_(std::move(plan), xref) {}

MapResult PlanMapper::map(std::string_view key, std::string_view record) const {
  MapResult r;
  r.status = runner_.run(record, r.output, r.key, r.error);
  (void)key;
  return r;
}

std::string PlanMapper::version() const {
  const Plan& p = runner_.plan();
  return p.version.empty() ? p.file : p.version;
}

}  // namespace synchub::mapping
