// The /metrics writer: integers print as integers, other numbers with the fewest digits that read
// back as the same double (a cursor time of 1704074231 is not 1.70407e+09, 70 minutes off).
#include "runtime/base/prometheus_text.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <limits>

namespace synchub::runtime::prometheus {
namespace {

TEST(PrometheusText, NumbersAreExact) {
  EXPECT_EQ(number(int64_t{1704074231}), "1704074231");
  EXPECT_EQ(number(1704074231.0), "1704074231");
  EXPECT_EQ(number(1704074231.5), "1704074231.5");
  EXPECT_EQ(number(1704074231123 / 1000.0), "1704074231.123");
  EXPECT_EQ(number(0.1), "0.1");
  EXPECT_EQ(number(0.005), "0.005");
  EXPECT_EQ(number(0), "0");
  EXPECT_EQ(number(-3), "-3");
  EXPECT_EQ(number(int64_t{9007199254740993}), "9007199254740993") << "above 2^53: the integer, not a double";
  EXPECT_EQ(number(int64_t{std::numeric_limits<int64_t>::max()}), "9223372036854775807");
  EXPECT_EQ(number(1e17), "100000000000000000");
  // A big sum of seconds keeps every digit the double has.
  const double sum = 123456789.123456789;
  const std::string text = number(sum);
  EXPECT_EQ(text, "123456789.12345679");
  EXPECT_EQ(std::strtod(text.c_str(), nullptr), sum);
  const double third = 1.0 / 3;
  EXPECT_EQ(std::strtod(number(third).c_str(), nullptr), third);
  EXPECT_EQ(number(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(number(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(number(std::numeric_limits<double>::quiet_NaN()), "NaN");
}

TEST(PrometheusText, FamiliesSamplesAndEscapedLabels) {
  std::string out;
  Writer w(out);
  w.family("synchub_source_up", "gauge", "1 when read.");
  w.sample("synchub_source_up", {{"source", "erp.\"x\"\\\n"}}, 1);
  w.sample("synchub_source_cursor_timestamp_seconds", {{"source", "crm.orders"}, {"le", "+Inf"}}, 1704074231.0);
  w.single("process_open_fds", "gauge", "Open files.", 12.0);
  EXPECT_EQ(out,
            "# HELP synchub_source_up 1 when read.\n# TYPE synchub_source_up gauge\n"
            "synchub_source_up{source=\"erp.\\\"x\\\"\\\\\\n\"} 1\n"
            "synchub_source_cursor_timestamp_seconds{source=\"crm.orders\",le=\"+Inf\"} 1704074231\n"
            "# HELP process_open_fds Open files.\n# TYPE process_open_fds gauge\nprocess_open_fds 12\n");
}

}  // namespace
}  // namespace synchub::runtime::prometheus
