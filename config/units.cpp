#include "config/units.hpp"

#include <cctype>
#include <charconv>
#include <string>

namespace synchub::config {

std::optional<int64_t> parse_int(std::string_view text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::optional<bool> parse_bool(std::string_view text) {
  if (text == "true" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "no" || text == "off") return false;
  return std::nullopt;
}

// Splits "123unit" into the number and the unit; the number must be whole.
static bool split_number(std::string_view text, uint64_t& number, std::string_view& unit) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || end == text.data()) return false;
  unit = text.substr(static_cast<size_t>(end - text.data()));
  return true;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  uint64_t n = 0;
  std::string_view unit;
  if (!split_number(text, n, unit)) return std::nullopt;
  uint64_t factor = 0;
  if (unit == "ms")
    factor = 1;
  else if (unit == "s")
    factor = 1000;
  else if (unit == "m")
    factor = 60'000;
  else if (unit == "h")
    factor = 3'600'000;
  else if (unit == "d")
    factor = 86'400'000;
  else
    return std::nullopt;
  if (n > UINT64_C(1) << 40) return std::nullopt;  // over ~34 years: a typo
  return std::chrono::milliseconds(static_cast<int64_t>(n * factor));
}

std::optional<uint64_t> parse_size(std::string_view text) {
  uint64_t n = 0;
  std::string_view unit;
  if (!split_number(text, n, unit)) return std::nullopt;
  uint64_t factor = 0;
  if (unit.empty() || unit == "B")
    factor = 1;
  else if (unit == "KB")
    factor = 1000;
  else if (unit == "MB")
    factor = 1000 * 1000;
  else if (unit == "GB")
    factor = 1000ULL * 1000 * 1000;
  else if (unit == "KiB")
    factor = 1024;
  else if (unit == "MiB")
    factor = 1024 * 1024;
  else if (unit == "GiB")
    factor = 1024ULL * 1024 * 1024;
  else
    return std::nullopt;
  if (n > (UINT64_C(1) << 50) / factor) return std::nullopt;
  return n * factor;
}

namespace {
std::string percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+' && plus_is_space) {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}
}  // namespace

std::string url_decode(std::string_view text) {
  return percent_decode(text, true);
}
std::string path_decode(std::string_view text) {
  return percent_decode(text, false);
}

std::string url_encode(std::string_view text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace synchub::config
