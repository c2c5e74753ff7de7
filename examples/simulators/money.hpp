// Exact money and quantities for the simulators: decimal text <-> integer
// cents (2 places), thousandths (3 places) or millionths (6 places, unit
// prices), never a double.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace synchub::simulators {

// "12.5", "12.50", "-3", 7 -> the value times 10^places; nullopt when not a
// plain decimal or when it has more places than `places`.
inline std::optional<int64_t> scaled(const std::string& text, int places) {
  size_t i = 0;
  const bool negative = !text.empty() && text[0] == '-';
  if (negative) ++i;
  int64_t whole = 0, fraction = 0;
  int seen = 0, digits = 0;
  for (; i < text.size() && text[i] != '.'; ++i, ++digits) {
    if (text[i] < '0' || text[i] > '9' || whole > 900000000000000LL) return std::nullopt;
    whole = whole * 10 + (text[i] - '0');
  }
  if (i < text.size()) {
    for (++i; i < text.size(); ++i, ++seen) {
      if (text[i] < '0' || text[i] > '9' || seen >= places) return std::nullopt;
      fraction = fraction * 10 + (text[i] - '0');
    }
    if (seen == 0) return std::nullopt;
  }
  if (digits == 0) return std::nullopt;
  for (; seen < places; ++seen) fraction *= 10;
  int64_t scale = 1;
  for (int p = 0; p < places; ++p) scale *= 10;
  const int64_t value = whole * scale + fraction;
  return negative ? -value : value;
}

inline std::optional<int64_t> scaled(const nlohmann::ordered_json& value, int places) {
  if (value.is_string()) return scaled(value.get<std::string>(), places);
  if (value.is_number_integer()) return scaled(value.dump(), places);
  return std::nullopt;  // a double already lost digits: refused
}

inline std::string unscaled(int64_t value, int places) {
  std::string sign = value < 0 ? "-" : "";
  uint64_t v = value < 0 ? static_cast<uint64_t>(-value) : static_cast<uint64_t>(value);
  uint64_t scale = 1;
  for (int p = 0; p < places; ++p) scale *= 10;
  std::string fraction = std::to_string(v % scale);
  fraction.insert(0, static_cast<size_t>(places) - fraction.size(), '0');
  return sign + std::to_string(v / scale) + "." + fraction;
}

inline std::string cents_text(int64_t cents) {
  return unscaled(cents, 2);
}

inline int64_t power_of_ten(int places) {
  int64_t scale = 1;
  for (int p = 0; p < places; ++p) scale *= 10;
  return scale;
}

// A value with `from` places rounded to `to` places (to <= from), halves away
// from zero: round_half_up(12345, 3, 2) == 1235 (12.345 -> 12.35).
inline int64_t round_half_up(int64_t value, int from, int to) {
  const int64_t divisor = power_of_ten(from - to), half = divisor / 2;
  return value >= 0 ? (value + half) / divisor : -((-value + half) / divisor);
}

// Like unscaled, with trailing zeros dropped down to `min_places`:
// trimmed(2500, 3) == "2.5", trimmed(3000, 3) == "3", trimmed(3000, 3, 2) == "3.00".
inline std::string trimmed(int64_t value, int places, int min_places = 0) {
  while (places > min_places && value % 10 == 0) {
    value /= 10;
    --places;
  }
  if (places == 0) return std::to_string(value);
  return unscaled(value, places);
}

// Compares two plain decimals ("-12.50", "3", "+0.5") exactly, whatever their
// length; nullopt when either is not one.
inline std::optional<int> compare_decimals(std::string_view a, std::string_view b) {
  struct Parts {
    bool negative = false;
    std::string_view whole, fraction;
  };
  auto split = [](std::string_view t) -> std::optional<Parts> {
    Parts p;
    if (!t.empty() && (t[0] == '-' || t[0] == '+')) {
      p.negative = t[0] == '-';
      t.remove_prefix(1);
    }
    const size_t dot = t.find('.');
    p.whole = t.substr(0, dot);
    p.fraction = dot == std::string_view::npos ? std::string_view() : t.substr(dot + 1);
    if (p.whole.empty() || (dot != std::string_view::npos && p.fraction.empty())) return std::nullopt;
    for (std::string_view part : {p.whole, p.fraction})
      for (char c : part)
        if (c < '0' || c > '9') return std::nullopt;
    while (!p.whole.empty() && p.whole.front() == '0') p.whole.remove_prefix(1);
    while (!p.fraction.empty() && p.fraction.back() == '0') p.fraction.remove_suffix(1);
    if (p.whole.empty() && p.fraction.empty()) p.negative = false;  // -0 == 0
    return p;
  };
  auto x = split(a), y = split(b);
  if (!x || !y) return std::nullopt;
  if (x->negative != y->negative) return x->negative ? -1 : 1;
  int c = x->whole.size() != y->whole.size() ? (x->whole.size() < y->whole.size() ? -1 : 1) : 0;
  if (c == 0) c = x->whole.compare(y->whole);
  if (c == 0) c = x->fraction.compare(y->fraction);  // trailing zeros gone: text order is numeric order
  c = (c > 0) - (c < 0);
  return x->negative ? -c : c;
}

// JSON text whose numbers with a fraction or an exponent ("12.5", 1e3) are
// turned into strings before parsing, so that they reach scaled() digit for
// digit instead of through a double. Integers and everything else stay.
inline std::string quote_decimals(const std::string& json) {
  std::string out;
  out.reserve(json.size() + 16);
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < json.size())
        out += json[++i];
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    if (c != '-' && (c < '0' || c > '9')) {
      out += c;
      continue;
    }
    size_t end = i;
    bool decimal = false;
    while (end < json.size() && std::string_view("+-0123456789.eE").find(json[end]) != std::string_view::npos) {
      decimal = decimal || json[end] == '.' || json[end] == 'e' || json[end] == 'E';
      ++end;
    }
    const std::string number = json.substr(i, end - i);
    out += decimal ? '"' + number + '"' : number;
    i = end - 1;
  }
  return out;
}

}  // namespace synchub::simulators
