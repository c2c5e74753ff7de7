// Exact decimal numbers for money: a 128-bit coefficient and a decimal scale
// (value = coefficient * 10^-scale), so 0.1 + 0.2 == 0.3 and 38 significant
// digits are kept. Operations that would lose digits throw DecimalError
// (overflow is a record error, never a silent truncation).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace synchub::mapping {

struct DecimalError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class Rounding {
  HalfUp,    // 2.5 -> 3, -2.5 -> -3 (commercial rounding)
  HalfEven,  // 2.5 -> 2, 3.5 -> 4 (banker's rounding)
  Floor,     // towards -infinity
  Ceil,      // towards +infinity
  Down,      // towards zero (truncate)
};

class Decimal {
 public:
  static constexpr int kMaxDigits = 38;
  static constexpr int kDivisionScale = 20;  // fractional digits kept by '/', rounded half-even

  Decimal() = default;
  Decimal(int64_t value) { set_coef(value); }  // NOLINT: ints are decimals
  static Decimal from_parts(__int128 coefficient, int scale);

  // JSON number text (also "+1", " 1.50 " is not accepted; "1e3" is).
  static std::optional<Decimal> parse(std::string_view text);
  static bool parse_into(std::string_view text, Decimal& out);  // the same, false where parse gives nothing

  Decimal operator+(const Decimal& o) const;
  Decimal operator-(const Decimal& o) const;
  Decimal operator*(const Decimal& o) const;
  Decimal operator/(const Decimal& o) const;  // throws on division by zero
  Decimal operator%(const Decimal& o) const;
  Decimal operator-() const { return from_parts(-coef(), scale_); }

  int compare(const Decimal& o) const;
  bool operator==(const Decimal& o) const { return compare(o) == 0; }
  bool operator<(const Decimal& o) const { return compare(o) < 0; }

  Decimal round(int scale, Rounding mode) const;
  Decimal rescale(int scale) const;  // exact: throws if digits would be lost or overflow
  Decimal normalized() const;        // trailing fractional zeros removed
  Decimal abs() const { return coef() < 0 ? -*this : *this; }

  int scale() const { return scale_; }
  int digits() const;  // significant digits of the coefficient (0 has 1)
  bool is_integer() const;
  bool is_zero() const { return lo_ == 0 && hi_ == 0; }
  int sign() const { return static_cast<int64_t>(hi_) < 0 ? -1 : !is_zero(); }
  std::optional<int64_t> to_int64() const;  // only when integral and in range

  // Plain notation, all `scale` fractional digits: "100.10", "-0.5", "3".
  std::string str() const;
  void append_to(std::string& out) const;
  static constexpr size_t kMaxText = 48;  // "-0." and 38 digits, with room to spare
  size_t write(char* out) const;          // the text of str() into kMaxText bytes; returns its length

 private:
  // The coefficient in two 64-bit halves: 8-byte alignment keeps the values
  // that embed decimals cheap to copy (16-byte alignment made copies stall).
  __int128 coef() const { return static_cast<__int128>((static_cast<unsigned __int128>(hi_) << 64) | lo_); }
  void set_coef(__int128 c) {
    lo_ = static_cast<uint64_t>(c);
    hi_ = static_cast<uint64_t>(static_cast<unsigned __int128>(c) >> 64);
  }
  // The coefficient fits in 64 bits (most money does): arithmetic on it
  // cannot leave 38 digits, so the 64-bit paths need no range checks.
  bool fits_64() const { return hi_ == static_cast<uint64_t>(static_cast<int64_t>(lo_) >> 63); }
  int64_t coef_64() const { return static_cast<int64_t>(lo_); }
  static Decimal of_64(int64_t coef, int scale) {
    Decimal d(coef);
    d.scale_ = scale;
    return d;
  }
  // a + b (b negated when `subtract`) in 64 bits; false when that overflows
  static bool add_64(const Decimal& a, const Decimal& b, bool subtract, Decimal& out);
  static bool parse_short(std::string_view text, Decimal& out);  // plain notation, up to 18 characters

  uint64_t lo_ = 0, hi_ = 0;
  int scale_ = 0;
};

}  // namespace synchub::mapping
