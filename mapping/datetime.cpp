#include "mapping/datetime.hpp"

#include <date/tz.h>

#include <chrono>

namespace synchub::mapping {
namespace {

constexpr int64_t kMicrosPerSecond = 1000000;
constexpr int64_t kMicrosPerDay = 86400 * kMicrosPerSecond;

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

// The writers below put their digits at `p` and move it on: the text is
// formatted into room made once (appending a byte at a time to a string
// checks its capacity at every byte).
void put2(char*& p, unsigned v) {
  *p++ = static_cast<char>('0' + v / 10 % 10);
  *p++ = static_cast<char>('0' + v % 10);
}

void put_n(char*& p, int64_t v, int width) {  // at most 20 digits and a sign
  char buf[24];
  int n = 0;
  bool negative = v < 0;
  uint64_t u = negative ? static_cast<uint64_t>(-v) : static_cast<uint64_t>(v);
  do {
    buf[n++] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u != 0);
  if (negative) *p++ = '-';
  for (int i = n; i < width; ++i) *p++ = '0';
  while (n > 0) *p++ = buf[--n];
}

void put_offset(char*& p, int minutes, bool colon) {
  *p++ = minutes < 0 ? '-' : '+';
  unsigned m = static_cast<unsigned>(minutes < 0 ? -minutes : minutes);
  put2(p, m / 60);
  if (colon) *p++ = ':';
  put2(p, m % 60);
}

// Reads exactly `width` digits (or 1..width when !exact).
bool read_int(std::string_view s, size_t& i, int width, bool exact, int64_t& v) {
  size_t start = i;
  v = 0;
  while (i < s.size() && i - start < static_cast<size_t>(width) && s[i] >= '0' && s[i] <= '9')
    v = v * 10 + (s[i++] - '0');
  return exact ? i - start == static_cast<size_t>(width) : i > start;
}

bool read_offset(std::string_view s, size_t& i, int& minutes) {
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
    minutes = 0;
    return true;
  }
  if (i >= s.size() || (s[i] != '+' && s[i] != '-')) return false;
  int sign = s[i++] == '-' ? -1 : 1;
  int64_t h, m = 0;
  if (!read_int(s, i, 2, true, h)) return false;
  if (i < s.size() && s[i] == ':') ++i;
  if (i < s.size() && s[i] >= '0' && s[i] <= '9' && !read_int(s, i, 2, true, m)) return false;
  if (h > 23 || m > 59) return false;
  minutes = sign * static_cast<int>(h * 60 + m);
  return true;
}

// Fraction digits after the decimal point, to microseconds (extra digits dropped).
bool read_fraction(std::string_view s, size_t& i, int64_t& micros) {
  size_t start = i;
  micros = 0;
  int digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    if (digits < 6) {
      micros = micros * 10 + (s[i] - '0');
      ++digits;
    }
    ++i;
  }
  while (digits < 6) {
    micros *= 10;
    ++digits;
  }
  return i > start;
}

struct Fields {
  int64_t year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0, micros = 0;
  bool has_offset = false;
  int offset = 0;
};

bool valid(const Fields& f) {
  if (f.month < 1 || f.month > 12 || f.day < 1 || f.hour > 23 || f.minute > 59 || f.second > 60) return false;
  static const unsigned kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (f.day > kDays[f.month - 1]) return false;
  bool leap = (f.year % 4 == 0 && f.year % 100 != 0) || f.year % 400 == 0;
  return !(f.month == 2 && f.day == 29 && !leap);
}

// An optional time zone offset, then the end of the text.
bool parse_iso_offset(std::string_view s, size_t& i, Fields& f) {
  if (i < s.size()) {
    if (!read_offset(s, i, f.offset)) return false;
    f.has_offset = true;
  }
  return i == s.size();
}

// What may follow the seconds: a fraction, then the offset.
bool parse_iso_rest(std::string_view s, size_t& i, Fields& f) {
  if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
    ++i;
    if (!read_fraction(s, i, f.micros)) return false;
  }
  return parse_iso_offset(s, i, f);
}

// "YYYY-MM-DDTHH:MM:SS" (T, t or a space), what most records carry: the
// digits read at their fixed places, with the same result as the field by
// field reading below. False when `s` does not start so.
bool fixed_iso_prefix(std::string_view s, Fields& f) {
  if (s.size() < 19) return false;
  const char* p = s.data();
  if (p[4] != '-' || p[7] != '-' || (p[10] != 'T' && p[10] != 't' && p[10] != ' ') || p[13] != ':' || p[16] != ':')
    return false;
  unsigned d[19];
  for (int k : {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18}) {
    d[k] = static_cast<unsigned char>(p[k]) - unsigned{'0'};
    if (d[k] > 9) return false;
  }
  f.year = d[0] * 1000 + d[1] * 100 + d[2] * 10 + d[3];
  f.month = d[5] * 10 + d[6];
  f.day = d[8] * 10 + d[9];
  f.hour = d[11] * 10 + d[12];
  f.minute = d[14] * 10 + d[15];
  f.second = d[17] * 10 + d[18];
  return true;
}

bool parse_iso(std::string_view s, Fields& f, bool date_only) {
  size_t i = 0;
  if (!date_only && fixed_iso_prefix(s, f)) {
    i = 19;
    return parse_iso_rest(s, i, f);
  }
  if (!read_int(s, i, 4, true, f.year) || i >= s.size() || s[i++] != '-') return false;
  if (!read_int(s, i, 2, true, f.month) || i >= s.size() || s[i++] != '-') return false;
  if (!read_int(s, i, 2, true, f.day)) return false;
  if (i == s.size()) return true;
  if (date_only) return false;
  if (s[i] != 'T' && s[i] != 't' && s[i] != ' ') return false;
  ++i;
  if (!read_int(s, i, 2, true, f.hour) || i >= s.size() || s[i++] != ':') return false;
  if (!read_int(s, i, 2, true, f.minute)) return false;
  if (i < s.size() && s[i] == ':') {
    ++i;
    if (!read_int(s, i, 2, true, f.second)) return false;
    return parse_iso_rest(s, i, f);
  }
  return parse_iso_offset(s, i, f);
}

bool parse_pattern(std::string_view s, std::string_view pattern, Fields& f) {
  size_t i = 0;
  for (size_t p = 0; p < pattern.size(); ++p) {
    char c = pattern[p];
    if (c != '%' || p + 1 >= pattern.size()) {
      if (i >= s.size() || s[i] != c) return false;
      ++i;
      continue;
    }
    char spec = pattern[++p];
    bool ok = true;
    switch (spec) {
      case 'Y': ok = read_int(s, i, 4, true, f.year); break;
      case 'm': ok = read_int(s, i, 2, false, f.month); break;
      case 'd': ok = read_int(s, i, 2, false, f.day); break;
      case 'H': ok = read_int(s, i, 2, false, f.hour); break;
      case 'M': ok = read_int(s, i, 2, false, f.minute); break;
      case 'S': ok = read_int(s, i, 2, false, f.second); break;
      case 'f': ok = read_fraction(s, i, f.micros); break;
      case 'z':
        ok = read_offset(s, i, f.offset);
        f.has_offset = true;
        break;
      case ':':
        if (p + 1 < pattern.size() && pattern[p + 1] == 'z') {
          ++p;
          ok = read_offset(s, i, f.offset);
          f.has_offset = true;
        } else {
          ok = false;
        }
        break;
      case '%': ok = i < s.size() && s[i++] == '%'; break;
      default: ok = false;
    }
    if (!ok) return false;
  }
  return i == s.size();
}

unsigned day_of_year(int64_t y, unsigned m, unsigned d) {
  return static_cast<unsigned>(days_from_civil(y, m, d) - days_from_civil(y, 1, 1) + 1);
}

void format_fields(std::string& out, int64_t local_micros, int offset, std::string_view pattern, bool has_time) {
  // written into room made once: on the stack for the usual patterns (a
  // string's resize would clear the bytes first); a two-character field
  // writes at most 32 ("%F" with a 20-digit year)
  const size_t room = pattern.size() * 16 + 8;
  char small[512];
  std::string large;
  if (room > sizeof small) large.resize(room);
  char* const begin = room > sizeof small ? large.data() : small;
  char* p = begin;
  int64_t days = floor_div(local_micros, kMicrosPerDay);
  int64_t in_day = local_micros - days * kMicrosPerDay;
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  unsigned secs = static_cast<unsigned>(in_day / kMicrosPerSecond);
  int64_t frac = in_day % kMicrosPerSecond;
  for (size_t at = 0; at < pattern.size(); ++at) {
    char c = pattern[at];
    if (c != '%' || at + 1 >= pattern.size()) {
      *p++ = c;
      continue;
    }
    switch (char spec = pattern[++at]) {
      case 'Y': put_n(p, y, 4); break;
      case 'y': put2(p, static_cast<unsigned>((y % 100 + 100) % 100)); break;
      case 'm': put2(p, m); break;
      case 'd': put2(p, d); break;
      case 'j': put_n(p, day_of_year(y, m, d), 3); break;
      case 'F':
        put_n(p, y, 4);
        *p++ = '-';
        put2(p, m);
        *p++ = '-';
        put2(p, d);
        break;
      case 'H': put2(p, secs / 3600); break;
      case 'M': put2(p, secs / 60 % 60); break;
      case 'S': put2(p, secs % 60); break;
      case 'T':
        put2(p, secs / 3600);
        *p++ = ':';
        put2(p, secs / 60 % 60);
        *p++ = ':';
        put2(p, secs % 60);
        break;
      case 'L': put_n(p, frac / 1000, 3); break;
      case 'f': put_n(p, frac, 6); break;
      case 'z': put_offset(p, offset, false); break;
      case ':':
        if (at + 1 < pattern.size() && pattern[at + 1] == 'z') {
          ++at;
          put_offset(p, offset, true);
        }
        break;
      case '%': *p++ = '%'; break;
      default: *p++ = '%'; *p++ = spec;
    }
  }
  out.append(begin, static_cast<size_t>(p - begin));
  (void)has_time;
}

}  // namespace

// Howard Hinnant's civil calendar algorithms (proleptic Gregorian).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2);
}

std::optional<TimeZone> TimeZone::find(std::string_view name) {
  TimeZone tz;
  tz.name_ = std::string(name);
  if (name == "UTC" || name == "Z" || name == "Etc/UTC") return tz;
  if (!name.empty() && (name[0] == '+' || name[0] == '-')) {
    size_t i = 0;
    if (!read_offset(name, i, tz.fixed_minutes_) || i != name.size()) return std::nullopt;
    return tz;
  }
  try {
    tz.zone_ = date::locate_zone(name);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return tz;
}

int TimeZone::offset_at(int64_t utc_micros) const {
  if (!zone_) return fixed_minutes_;
  using namespace std::chrono;
  auto info = zone_->get_info(date::sys_seconds{seconds{floor_div(utc_micros, kMicrosPerSecond)}});
  return static_cast<int>(info.offset.count() / 60);
}

int64_t TimeZone::to_utc(int64_t local_micros) const {
  if (!zone_) return local_micros - int64_t{fixed_minutes_} * 60 * kMicrosPerSecond;
  using namespace std::chrono;
  int64_t secs = floor_div(local_micros, kMicrosPerSecond);
  int64_t frac = local_micros - secs * kMicrosPerSecond;
  auto info = zone_->get_info(date::local_seconds{seconds{secs}});
  // In a gap (spring forward) the earlier offset moves the time forward, as
  // clocks do; in an overlap the first occurrence is taken.
  auto offset = info.first.offset;
  return (secs - offset.count()) * kMicrosPerSecond + frac;
}

std::optional<int64_t> parse_epoch(std::string_view text, std::string_view unit) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  const bool negative = !text.empty() && text.front() == '-';
  if (negative) text.remove_prefix(1);
  const size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  const int64_t scale = unit == kEpochSeconds ? kMicrosPerSecond : 1000;  // micros per unit
  const size_t fraction_digits = unit == kEpochSeconds ? 6 : 3;
  if (whole.empty() || whole.size() > 15 || fraction.size() > fraction_digits) return std::nullopt;
  int64_t micros = 0;
  for (char c : whole) {
    if (c < '0' || c > '9') return std::nullopt;
    micros = micros * 10 + (c - '0');
  }
  micros *= scale;
  int64_t part = 0, place = scale;
  for (char c : fraction) {
    if (c < '0' || c > '9') return std::nullopt;
    place /= 10;
    part += (c - '0') * place;
  }
  micros += part;
  return negative ? -micros : micros;
}

std::optional<DateTime> parse_datetime(std::string_view text, std::string_view pattern, const TimeZone& zone) {
  if (is_epoch(pattern)) {  // an instant: shown in `zone`
    auto micros = parse_epoch(text, pattern);
    if (!micros) return std::nullopt;
    return DateTime{*micros, zone.offset_at(*micros)};
  }
  Fields f;
  if (!(pattern.empty() ? parse_iso(text, f, false) : parse_pattern(text, pattern, f)) || !valid(f))
    return std::nullopt;
  int64_t local = (days_from_civil(f.year, static_cast<unsigned>(f.month), static_cast<unsigned>(f.day)) * 86400 +
                   f.hour * 3600 + f.minute * 60 + f.second) *
                      kMicrosPerSecond +
                  f.micros;
  DateTime t;
  if (f.has_offset) {
    t.micros = local - int64_t{f.offset} * 60 * kMicrosPerSecond;
    t.offset_minutes = f.offset;
  } else {
    t.micros = zone.to_utc(local);
    t.offset_minutes = zone.offset_at(t.micros);
  }
  return t;
}

std::optional<int64_t> parse_date(std::string_view text, std::string_view pattern) {
  if (is_epoch(pattern)) return std::nullopt;  // an instant: its day depends on a zone (parse_datetime)
  Fields f;
  if (!(pattern.empty() ? parse_iso(text, f, true) : parse_pattern(text, pattern, f)) || !valid(f)) return std::nullopt;
  return days_from_civil(f.year, static_cast<unsigned>(f.month), static_cast<unsigned>(f.day));
}

void format_datetime(std::string& out, const DateTime& t, std::string_view pattern) {
  if (is_epoch(pattern)) {
    out += std::to_string(pattern == kEpochSeconds ? t.micros / kMicrosPerSecond : t.micros / 1000);
    return;
  }
  int64_t local = t.micros + int64_t{t.offset_minutes} * 60 * kMicrosPerSecond;
  if (pattern.empty()) {
    bool fraction = local % kMicrosPerSecond != 0;
    format_fields(out, local, t.offset_minutes, fraction ? "%Y-%m-%dT%H:%M:%S.%f" : "%Y-%m-%dT%H:%M:%S", true);
    if (t.offset_minutes == 0) {
      out.push_back('Z');
    } else {
      char offset[8], *p = offset;
      put_offset(p, t.offset_minutes, true);
      out.append(offset, p);
    }
    return;
  }
  format_fields(out, local, t.offset_minutes, pattern, true);
}

void format_date(std::string& out, int64_t days, std::string_view pattern) {
  if (is_epoch(pattern)) return format_datetime(out, {days * kMicrosPerDay, 0}, pattern);  // its UTC midnight
  format_fields(out, days * kMicrosPerDay, 0, pattern.empty() ? "%Y-%m-%d" : pattern, false);
}

std::string check_pattern(std::string_view pattern) {
  if (is_epoch(pattern)) return {};
  bool has_field = false;
  for (size_t p = 0; p < pattern.size(); ++p) {
    if (pattern[p] != '%') continue;
    if (p + 1 >= pattern.size()) return "pattern ends with a lone '%'";
    char spec = pattern[++p];
    if (spec == ':' && p + 1 < pattern.size() && pattern[p + 1] == 'z') {
      ++p;
      continue;
    }
    if (std::string_view("YymdjFHMSTLfz%").find(spec) == std::string_view::npos)
      return std::string("unknown pattern field '%") + spec +
             "' (expected one of %Y %y %m %d %j %F %H %M %S %T %L %f %z %:z %%)";
    has_field = has_field || spec != '%';
  }
  // Without one, every record would get (or be read as) this very text.
  if (!has_field && !pattern.empty())
    return "the pattern '" + std::string(pattern) +
           "' has no date field (like %Y-%m-%d %H:%M:%S), nor is it epoch_ms "
           "or epoch_s";
  return {};
}

}  // namespace synchub::mapping
