#include "runtime/reconcile/row_maker.hpp"

#include <cstdio>

#include "mapping/decimal.hpp"
#include "mapping/document.hpp"
#include "mapping/json_writer.hpp"
#include "mapping/plan.hpp"

namespace synchub::reconcile {

using mapping::Value;
using mapping::ValueKind;

struct RowMaker::Scratch {
  mapping::Document doc;
  mapping::Arena arena;
  std::unique_ptr<mapping::PlanRunner> runner;
  std::string mapped, mapped_key;
};

namespace {

constexpr int64_t kDayMicros = 86400LL * 1000000;

// Text that reads as a number in either system: "100.10" is 100.1. Codes with leading zeros
// ("007") stay text: they are names, not amounts.
std::optional<mapping::Decimal> numeric_text(std::string_view text) {
  const std::string_view t = mapping::trim_spaces(text);
  const size_t digits_at = !t.empty() && (t[0] == '-' || t[0] == '+') ? 1 : 0;
  if (t.size() > digits_at + 1 && t[digits_at] == '0' && t[digits_at + 1] != '.') return std::nullopt;
  return mapping::Decimal::parse(t);
}

std::string datetime_text(int64_t micros) {
  std::string out;
  mapping::format_datetime(out, mapping::DateTime{micros, 0}, "");
  return out;
}

// A value as canonical text: numbers (and numeric text) normalized, dates ISO, objects JSON.
std::optional<std::string> canonical(const mapping::Document& doc, const Value& v) {
  switch (v.kind) {
    case ValueKind::Null: return std::nullopt;
    case ValueKind::Bool: return v.boolean ? "true" : "false";
    case ValueKind::Number:
    case ValueKind::String: {
      if (auto d = v.kind == ValueKind::Number ? mapping::to_decimal(v) : numeric_text(v.text))
        return d->normalized().str();
      return std::string(v.text);
    }
    case ValueKind::Date: {
      std::string out;
      mapping::format_date(out, v.time, "");
      return out;
    }
    case ValueKind::DateTime: return datetime_text(v.time);
    default: {
      std::string out;
      mapping::write_json(out, doc, v);
      return out;
    }
  }
}

// A measure: an exact decimal, from a number or numeric text.
std::string measure(const mapping::Document& doc, const Value& v, const std::string& name) {
  auto d = mapping::to_decimal(v);
  if (!d) throw mapping::MappingError(name + ": expected an amount, got " + mapping::describe(doc, v));
  return d->normalized().str();
}

int64_t business_time(const mapping::Document& doc, const Value& v, const mapping::TimeZone& zone) {
  if (v.kind == ValueKind::DateTime) return v.time;
  if (v.kind == ValueKind::Date) return zone.to_utc(v.time * kDayMicros);
  if (v.kind == ValueKind::String)
    if (auto t = mapping::parse_datetime(mapping::trim_spaces(v.text), "", zone)) return t->micros;
  throw mapping::MappingError("time: expected a date or date-time, got " + mapping::describe(doc, v));
}

}  // namespace

std::string calendar_group(int64_t time_us, const mapping::TimeZone& zone, bool month) {
  const int64_t local = time_us + static_cast<int64_t>(zone.offset_at(time_us)) * 60 * 1000000;
  int64_t days = local / kDayMicros;
  if (local % kDayMicros < 0) --days;
  int64_t y;
  unsigned m, d;
  mapping::civil_from_days(days, y, m, d);
  char text[32];
  if (month)
    std::snprintf(text, sizeof text, "%04lld-%02u", static_cast<long long>(y), m);
  else
    std::snprintf(text, sizeof text, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  return text;
}

RowMaker::RowMaker(const ReconcilePlan& plan, Side side, mapping::XrefResolver* xref)
    : plan_(plan),
      side_plan_(side == Side::Source ? plan.source : plan.target),
      side_(side),
      scratch_(std::make_unique<Scratch>()) {
  if (side_plan_.mapping) scratch_->runner = std::make_unique<mapping::PlanRunner>(side_plan_.mapping, xref);
}

RowMaker::~RowMaker() = default;

bool RowMaker::make(std::string_view doc, std::string_view record, Row& row, std::string& error) {
  row = Row{};
  row.side = side_;
  row.doc = std::string(doc);
  error.clear();
  if (!scratch_->runner) return evaluate(record, false, row, error);
  Scratch& s = *scratch_;
  s.mapped.clear();
  std::string map_error;
  switch (s.runner->run(record, s.mapped, s.mapped_key, map_error)) {
    case mapping::MapStatus::Mapped: return evaluate(s.mapped, false, row, error);
    case mapping::MapStatus::Skipped:
      // Left out by the mapping's filter: out of scope, paired (if its key reads) so that a
      // partner is shown as having one out of scope rather than none.
      return evaluate(record, true, row, error);
    default: error = "mapping: " + map_error; return false;
  }
}

bool RowMaker::evaluate(std::string_view json, bool mapped_out, Row& row, std::string& error) {
  Scratch& s = *scratch_;
  if (std::string reason = s.doc.parse(json); !reason.empty()) {
    error = "not JSON: " + reason;
    return false;
  }
  s.arena.reset();
  mapping::Scope scope{mapping::Value::of_node(s.doc.root_index()), nullptr, nullptr, 0};
  mapping::EvalContext ctx{s.doc, s.arena, &scope};
  try {
    const Value key = side_plan_.key->eval(ctx);
    auto key_text = canonical(s.doc, key);
    if (!key_text || key_text->empty()) {
      if (mapped_out) return false;  // out of scope and nothing to pair it by
      throw mapping::MappingError("key: no value (" + mapping::describe(s.doc, key) + ")");
    }
    row.key = std::move(*key_text);
    if (mapped_out) {
      row.in_scope = false;
      return true;
    }
    if (side_plan_.filter) row.in_scope = mapping::truthy(s.doc, side_plan_.filter->eval(ctx), "filter");
    if (side_plan_.time) row.time_us = business_time(s.doc, side_plan_.time->eval(ctx), plan_.zone);
    if (side_plan_.waiting_when && mapping::truthy(s.doc, side_plan_.waiting_when->eval(ctx), "waiting.when")) {
      auto reason = canonical(s.doc, side_plan_.waiting_reason->eval(ctx));
      row.waiting = reason && !reason->empty() ? *reason : "waiting";
    }
    row.values.reserve(plan_.fields.size());
    for (size_t i = 0; i < plan_.fields.size(); ++i) {
      const Value v = side_plan_.fields[i]->eval(ctx);
      if (i < plan_.measures && row.in_scope)
        row.values.emplace_back(measure(s.doc, v, plan_.fields[i]));
      else
        row.values.push_back(canonical(s.doc, v));
    }
    return true;
  } catch (const mapping::MappingError& e) {
    error = e.what();
  } catch (const mapping::DecimalError& e) {
    error = e.what();
  }
  return false;
}

}  // namespace synchub::reconcile
