// Exact money and quantities for the simulators: decimal text <-> integer
// cents (2 places) or thousandths (3 places), never a double.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

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

}  // namespace synchub::simulators
