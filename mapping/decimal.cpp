#include "mapping/decimal.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>

#include "mapping/copy_bytes.hpp"

namespace synchub::mapping {
namespace {

using i128 = __int128;

constexpr std::array<i128, 39> make_powers() {
  std::array<i128, 39> p{};
  p[0] = 1;
  for (size_t i = 1; i < p.size(); ++i) p[i] = p[i - 1] * 10;
  return p;
}
constexpr auto kPow10 = make_powers();
const i128 kMaxCoef = kPow10[38] - 1;  // 38 digits

[[noreturn]] void overflow() {
  throw DecimalError("decimal overflow (more than 38 digits)");
}

i128 checked_mul(i128 a, i128 b) {
  i128 r;
  if (__builtin_mul_overflow(a, b, &r) || r > kMaxCoef || r < -kMaxCoef) overflow();
  return r;
}

i128 checked_add(i128 a, i128 b) {
  i128 r;
  if (__builtin_add_overflow(a, b, &r) || r > kMaxCoef || r < -kMaxCoef) overflow();
  return r;
}

// Divides n by d (d > 0) rounding the quotient with `mode`.
i128 divide_rounded(i128 n, i128 d, Rounding mode) {
  i128 q, r;
  if (n > INT64_MIN && n < INT64_MAX && d < INT64_MAX) {  // 64-bit division is much cheaper
    q = static_cast<int64_t>(n) / static_cast<int64_t>(d);
    r = static_cast<int64_t>(n) % static_cast<int64_t>(d);
  } else {
    q = n / d;
    r = n % d;
  }
  if (r == 0) return q;
  const bool negative = n < 0;
  i128 twice = (r < 0 ? -r : r) * 2;  // |r| < d <= 10^38, so no overflow in 128 bits
  bool away = false;
  switch (mode) {
    case Rounding::HalfUp: away = twice >= d; break;
    case Rounding::HalfEven: away = twice > d || (twice == d && (q % 2 != 0)); break;
    case Rounding::Floor: away = negative; break;
    case Rounding::Ceil: away = !negative; break;
    case Rounding::Down: away = false; break;
  }
  return away ? (negative ? q - 1 : q + 1) : q;
}

// Brings a and b to the same scale (the larger one), exactly.
void align(i128& a, int& as, i128& b, int& bs) {
  if (as < bs) {
    a = checked_mul(a, kPow10[static_cast<size_t>(bs - as)]);
    as = bs;
  } else if (bs < as) {
    b = checked_mul(b, kPow10[static_cast<size_t>(as - bs)]);
    bs = as;
  }
}

}  // namespace

Decimal Decimal::from_parts(__int128 coefficient, int scale) {
  if (coefficient > kMaxCoef || coefficient < -kMaxCoef || scale < 0 || scale > kMaxDigits) overflow();
  Decimal d;
  d.set_coef(coefficient);
  d.scale_ = scale;
  return d;
}

// Plain notation in at most 18 characters, the common case for money: 64-bit
// arithmetic only. False when `text` needs the general parser.
bool Decimal::parse_short(std::string_view text, Decimal& out) {
  const size_t n = text.size();
  if (n == 0 || n > 18) return false;
  const size_t first = text[0] == '-' || text[0] == '+' ? 1 : 0;
  uint64_t coef = 0;
  size_t dot = 0;  // where the '.' is; 0: none (it cannot be first)
  for (size_t i = first; i < n; ++i) {
    const unsigned digit = static_cast<unsigned char>(text[i]) - unsigned{'0'};
    if (digit <= 9) {
      coef = coef * 10 + digit;
    } else if (text[i] == '.' && dot == 0 && i > first) {
      dot = i;
    } else {
      return false;
    }
  }
  if (n == first || dot + 1 == n) return false;            // no digits, or none after the '.'
  const int64_t signed_coef = static_cast<int64_t>(coef);  // 18 digits at most
  out = Decimal::of_64(text[0] == '-' ? -signed_coef : signed_coef, dot == 0 ? 0 : static_cast<int>(n - 1 - dot));
  return true;
}

std::optional<Decimal> Decimal::parse(std::string_view text) {
  if (Decimal d; parse_into(text, d)) return d;
  return std::nullopt;
}

bool Decimal::parse_into(std::string_view text, Decimal& out) {
  if (parse_short(text, out)) return true;
  size_t i = 0;
  const size_t n = text.size();
  bool negative = false;
  if (i < n && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
  // Digits accumulate in 64 bits while they fit (19 digits), then in 128.
  uint64_t small = 0;
  i128 coef = 0;
  int digits = 0, scale = 0, taken = 0;
  auto digit = [&](int d) {
    if (taken < 19) {
      small = small * 10 + static_cast<uint64_t>(d);
      coef = static_cast<i128>(small);
    } else {
      coef = coef * 10 + d;
    }
    ++taken;
  };
  size_t int_start = i;
  while (i < n && text[i] >= '0' && text[i] <= '9') {
    if (coef != 0 || text[i] != '0') ++digits;
    if (digits > kMaxDigits) return false;
    digit(text[i++] - '0');
  }
  if (i == int_start) return false;
  if (i < n && text[i] == '.') {
    size_t frac_start = ++i;
    while (i < n && text[i] >= '0' && text[i] <= '9') {
      if (coef != 0 || text[i] != '0') ++digits;
      if (digits > kMaxDigits || scale >= kMaxDigits) return false;
      digit(text[i++] - '0');
      ++scale;
    }
    if (i == frac_start) return false;
  }
  if (i < n && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < n && (text[i] == '-' || text[i] == '+')) exp_negative = text[i++] == '-';
    size_t exp_start = i;
    int exponent = 0;
    while (i < n && text[i] >= '0' && text[i] <= '9') {
      exponent = exponent * 10 + (text[i++] - '0');
      if (exponent > 100) return false;
    }
    if (i == exp_start) return false;
    if (exp_negative) {
      scale += exponent;
    } else if (exponent <= scale) {
      scale -= exponent;
    } else {
      int grow = exponent - scale;
      if (digits + grow > kMaxDigits) return false;
      coef *= kPow10[static_cast<size_t>(grow)];
      scale = 0;
    }
    if (scale > kMaxDigits) return false;
  }
  if (i != n) return false;
  out.set_coef(negative ? -coef : coef);
  out.scale_ = scale;
  return true;
}

bool Decimal::add_64(const Decimal& a, const Decimal& b, bool subtract, Decimal& out) {
  if (!a.fits_64() || !b.fits_64()) return false;
  int64_t x = a.coef_64(), y = b.coef_64();
  const int scale = std::max(a.scale_, b.scale_);
  // brought to the larger scale; 10^18 is the largest power of ten in 64 bits
  const auto align_64 = [scale](int64_t& v, int from) {
    return from == scale ||
           (scale - from <= 18 &&
            !__builtin_mul_overflow(v, static_cast<int64_t>(kPow10[static_cast<size_t>(scale - from)]), &v));
  };
  if (!align_64(x, a.scale_) || !align_64(y, b.scale_)) return false;
  int64_t r;
  if (subtract ? __builtin_sub_overflow(x, y, &r) : __builtin_add_overflow(x, y, &r)) return false;
  out = of_64(r, scale);
  return true;
}

Decimal Decimal::operator+(const Decimal& o) const {
  if (Decimal r; add_64(*this, o, false, r)) return r;
  i128 a = coef(), b = o.coef();
  int as = scale_, bs = o.scale_;
  align(a, as, b, bs);
  return from_parts(checked_add(a, b), as);
}

Decimal Decimal::operator-(const Decimal& o) const {
  if (Decimal r; add_64(*this, o, true, r)) return r;
  return *this + (-o);
}

Decimal Decimal::operator*(const Decimal& o) const {
  i128 r;
  int scale = scale_ + o.scale_;
  if (fits_64() && o.fits_64() && scale <= kMaxDigits) {  // |r| <= 2^126 < 10^38: in range
    Decimal d;
    d.set_coef(static_cast<i128>(coef_64()) * o.coef_64());
    d.scale_ = scale;
    return d;
  }
  if (!__builtin_mul_overflow(coef(), o.coef(), &r) && r <= kMaxCoef && r >= -kMaxCoef && scale <= kMaxDigits)
    return from_parts(r, scale);
  // Retry without the factors' trailing zeros before giving up.
  Decimal a = normalized(), b = o.normalized();
  scale = a.scale_ + b.scale_;
  if (scale > kMaxDigits) overflow();
  return from_parts(checked_mul(a.coef(), b.coef()), scale);
}

Decimal Decimal::operator/(const Decimal& o) const {
  if (o.coef() == 0) throw DecimalError("division by zero");
  // q = (a / 10^as) / (b / 10^bs) = a * 10^(bs - as + S) / b * 10^-S
  Decimal a = normalized(), b = o.normalized();
  i128 divisor = b.coef() < 0 ? -b.coef() : b.coef();
  i128 dividend = b.coef() < 0 ? -a.coef() : a.coef();
  for (int s = kDivisionScale; s >= 0; --s) {
    int shift = b.scale_ - a.scale_ + s;
    i128 n = dividend;
    if (shift >= 0) {
      if (shift > kMaxDigits || __builtin_mul_overflow(n, kPow10[static_cast<size_t>(shift)], &n) || n > kMaxCoef ||
          n < -kMaxCoef)
        continue;
      return from_parts(divide_rounded(n, divisor, Rounding::HalfEven), s).normalized();
    }
    // shift < 0: the divisor absorbs the extra power of ten
    i128 d;
    if (-shift > kMaxDigits || __builtin_mul_overflow(divisor, kPow10[static_cast<size_t>(-shift)], &d)) continue;
    return from_parts(divide_rounded(n, d, Rounding::HalfEven), s).normalized();
  }
  overflow();
}

Decimal Decimal::operator%(const Decimal& o) const {
  if (o.coef() == 0) throw DecimalError("division by zero");
  i128 a = coef(), b = o.coef();
  int as = scale_, bs = o.scale_;
  align(a, as, b, bs);
  return from_parts(a % b, as);
}

int Decimal::compare(const Decimal& o) const {
  if (scale_ == o.scale_) return coef() < o.coef() ? -1 : coef() > o.coef();
  if (sign() != o.sign()) return sign() < o.sign() ? -1 : 1;
  try {
    i128 a = coef(), b = o.coef();
    int as = scale_, bs = o.scale_;
    align(a, as, b, bs);
    return a < b ? -1 : a > b;
  } catch (const DecimalError&) {
    // Aligning overflowed (38 integer digits against 20 decimals): compare the
    // magnitudes' text, integer part first.
    std::string x = abs().str(), y = o.abs().str();
    size_t xi = x.find('.'), yi = y.find('.');
    if (xi == std::string::npos) xi = x.size();
    if (yi == std::string::npos) yi = y.size();
    int c = xi != yi ? (xi < yi ? -1 : 1) : (x < y ? -1 : x > y);
    return sign() < 0 ? -c : c;
  }
}

Decimal Decimal::round(int scale, Rounding mode) const {
  if (scale < 0) scale = 0;
  if (scale >= scale_) return *this;
  return from_parts(divide_rounded(coef(), kPow10[static_cast<size_t>(scale_ - scale)], mode), scale);
}

Decimal Decimal::rescale(int scale) const {
  if (scale == scale_) return *this;
  if (scale > scale_) {
    if (scale > kMaxDigits) overflow();
    return from_parts(checked_mul(coef(), kPow10[static_cast<size_t>(scale - scale_)]), scale);
  }
  Decimal r = round(scale, Rounding::Down);
  if (r.compare(*this) != 0) throw DecimalError("value has more than " + std::to_string(scale) + " decimal places");
  return r;
}

Decimal Decimal::normalized() const {
  Decimal d = *this;
  if (d.scale_ > 0 && d.coef() > INT64_MIN && d.coef() < INT64_MAX) {
    int64_t c = static_cast<int64_t>(d.coef());
    while (d.scale_ > 0 && c % 10 == 0) {
      c /= 10;
      --d.scale_;
    }
    d.set_coef(c);
    return d;
  }
  while (d.scale_ > 0 && d.coef() % 10 == 0) {
    d.set_coef(d.coef() / 10);
    --d.scale_;
  }
  return d;
}

int Decimal::digits() const {
  i128 c = coef() < 0 ? -coef() : coef();
  int n = 1;
  while (n < kMaxDigits && c >= kPow10[static_cast<size_t>(n)]) ++n;
  return n;
}

bool Decimal::is_integer() const {
  return scale_ == 0 || coef() % kPow10[static_cast<size_t>(scale_)] == 0;
}

std::optional<int64_t> Decimal::to_int64() const {
  if (scale_ == 0 && coef() >= INT64_MIN && coef() <= INT64_MAX) return static_cast<int64_t>(coef());
  if (!is_integer()) return std::nullopt;
  i128 v = coef() / kPow10[static_cast<size_t>(scale_)];
  if (v > std::numeric_limits<int64_t>::max() || v < std::numeric_limits<int64_t>::min()) return std::nullopt;
  return static_cast<int64_t>(v);
}

void Decimal::append_to(std::string& out) const {
  char buf[kMaxText];
  out.append(buf, write(buf));
}

size_t Decimal::write(char* out) const {
  const bool negative = coef() < 0;
  char buf[kMaxText];
  char* const end = buf + sizeof buf;
  char* p = end;  // the coefficient's digits, written from the right
  if (coef() > -static_cast<i128>(UINT64_MAX) && coef() < static_cast<i128>(UINT64_MAX)) {
    // 64-bit division is much cheaper than 128-bit: the common case for money
    uint64_t c = static_cast<uint64_t>(negative ? -coef() : coef());
    // two digits per division, from a table of "00".."99"
    static constexpr auto kPairs = [] {
      std::array<char, 200> t{};
      for (int i = 0; i < 100; ++i) {
        t[static_cast<size_t>(2 * i)] = static_cast<char>('0' + i / 10);
        t[static_cast<size_t>(2 * i + 1)] = static_cast<char>('0' + i % 10);
      }
      return t;
    }();
    while (c >= 100) {
      const size_t pair = static_cast<size_t>(c % 100) * 2;
      c /= 100;
      p -= 2;
      p[0] = kPairs[pair];
      p[1] = kPairs[pair + 1];
    }
    if (c >= 10) {
      p -= 2;
      p[0] = kPairs[c * 2];
      p[1] = kPairs[c * 2 + 1];
    } else {
      *--p = static_cast<char>('0' + c);
    }
  } else {
    // Work on the negative magnitude so the most negative value is safe too.
    i128 c = negative ? coef() : -coef();
    do {
      *--p = static_cast<char>('0' - static_cast<int>(c % 10));
      c /= 10;
    } while (c != 0);
  }
  const size_t digits = static_cast<size_t>(end - p), scale = static_cast<size_t>(scale_);
  char* o = out;
  if (negative) *o++ = '-';
  if (scale == 0) {
    copy_bytes(o, p, digits);
    return static_cast<size_t>(o - out) + digits;
  }
  if (digits <= scale) {  // 0.00ddd
    *o++ = '0';
    *o++ = '.';
    std::memset(o, '0', scale - digits);
    o += scale - digits;
    copy_bytes(o, p, digits);
    return static_cast<size_t>(o - out) + digits;
  }
  copy_bytes(o, p, digits - scale);
  o += digits - scale;
  *o++ = '.';
  copy_bytes(o, p + digits - scale, scale);
  return static_cast<size_t>(o - out) + scale;
}

std::string Decimal::str() const {
  std::string s;
  append_to(s);
  return s;
}

}  // namespace synchub::mapping
