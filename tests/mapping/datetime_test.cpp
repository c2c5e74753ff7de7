#include "mapping/datetime.hpp"

#include <gtest/gtest.h>

namespace synchub::mapping {
namespace {

std::string fmt(const DateTime& t, const char* pattern = "") {
  std::string out;
  format_datetime(out, t, pattern);
  return out;
}

TEST(DateTime, ParsesIsoWithOffsetsFractionsAndZ) {
  auto utc = TimeZone::utc();
  EXPECT_EQ(fmt(*parse_datetime("2023-01-05T08:30:00+08:00", {}, utc)), "2023-01-05T08:30:00+08:00");
  EXPECT_EQ(parse_datetime("2023-01-05T08:30:00+08:00", {}, utc)->micros, 1672878600LL * 1000000);
  EXPECT_EQ(fmt(*parse_datetime("2023-01-05 00:30Z", {}, utc)), "2023-01-05T00:30:00Z");
  EXPECT_EQ(fmt(*parse_datetime("1969-12-31T23:59:59.5Z", {}, utc)), "1969-12-31T23:59:59.500000Z");
  EXPECT_EQ(fmt(*parse_datetime("2024-02-29T12:00:00-0330", {}, utc)), "2024-02-29T12:00:00-03:30");
  for (const char* bad :
       {"2023-02-29T00:00:00Z", "2023-13-01", "2023-01-01T24:00:00Z", "2023-01-01T10:00:00+25:00", "2023-1-1",
        "yesterday", "2023-01-01T10:00:00Zjunk", "2023-01-01T1a:00:00Z", "2023-01-01X10:00:00Z", "2023-01-01T10:00:0Z",
        "2023-01-01T10:00:00+", "2023-01-01T10:00:00."})
    EXPECT_FALSE(parse_datetime(bad, {}, utc)) << bad;
  // "YYYY-MM-DDTHH:MM:SS" is read at fixed places; the forms around it field by field
  EXPECT_EQ(fmt(*parse_datetime("2023-01-05t08:30:00,25-01:00", {}, utc)), "2023-01-05T08:30:00.250000-01:00");
  EXPECT_EQ(fmt(*parse_datetime("2023-01-05 08:30:07", {}, utc)), "2023-01-05T08:30:07Z");
  EXPECT_EQ(fmt(*parse_datetime("2023-01-05T08:30+01:00", {}, utc)), "2023-01-05T08:30:00+01:00");
}

TEST(DateTime, LocalTimesAcrossDaylightSavingChanges) {
  auto berlin = *TimeZone::find("Europe/Berlin");
  // 2024-03-31 02:30 does not exist in Berlin (clocks jump 02:00 -> 03:00): it lands at 03:30 CEST
  auto gap = parse_datetime("2024-03-31 02:30", "%Y-%m-%d %H:%M", berlin);
  ASSERT_TRUE(gap);
  EXPECT_EQ(fmt({gap->micros, berlin.offset_at(gap->micros)}), "2024-03-31T03:30:00+02:00");
  // 2024-10-27 02:30 happens twice: the first (summer time) is taken
  auto twice = parse_datetime("2024-10-27 02:30", "%Y-%m-%d %H:%M", berlin);
  EXPECT_EQ(fmt(*twice), "2024-10-27T02:30:00+02:00");
  EXPECT_EQ(berlin.offset_at(twice->micros + 3600LL * 1000000), 60);
  auto shanghai = *TimeZone::find("Asia/Shanghai");
  EXPECT_EQ(shanghai.offset_at(0), 480);
  auto fixed = *TimeZone::find("+05:45");
  EXPECT_EQ(fixed.offset_at(0), 345);
  EXPECT_FALSE(TimeZone::find("Nowhere/City"));
}

TEST(DateTime, PatternsAndCalendar) {
  DateTime t = *parse_datetime("2024-12-31T23:59:58.123456Z", {}, TimeZone::utc());
  EXPECT_EQ(fmt(t, "%Y/%m/%d %H:%M:%S.%L %j %y %z"), "2024/12/31 23:59:58.123 366 24 +0000");
  EXPECT_EQ(fmt(t, "%F %T.%f 100%%"), "2024-12-31 23:59:58.123456 100%");
  // formatting appends to what is there; every field of a long pattern is written
  std::string out = "at ";
  format_datetime(out, {t.micros, 330}, "%F%F%F%F %T%T %:z%z%%%q");
  EXPECT_EQ(out, "at 2025-01-012025-01-012025-01-012025-01-01 05:29:5805:29:58 +05:30+0530%%q");
  std::string repeated, expected;  // over 31 characters of pattern: formatted on the heap
  for (int i = 0; i < 20; ++i) {
    repeated += "%Y-%m-%d ";
    expected += "2024-12-31 ";
  }
  EXPECT_EQ(fmt(t, repeated.c_str()), expected);
  EXPECT_EQ(*parse_date("2000-02-29", {}), days_from_civil(2000, 2, 29));
  EXPECT_FALSE(parse_date("1900-02-29", {}));
  int64_t y;
  unsigned m, d;
  civil_from_days(-1, y, m, d);
  EXPECT_EQ(y * 10000 + m * 100 + d, 19691231);
  EXPECT_EQ(check_pattern("%Y-%q"),
            "unknown pattern field '%q' (expected one of %Y %y %m %d %j %F %H %M %S %T %L %f %z %:z %%)");
  EXPECT_EQ(check_pattern("%Y-%m-%d %:z"), "");
}

}  // namespace
}  // namespace synchub::mapping
