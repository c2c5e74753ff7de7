#include "mapping/decimal.hpp"

#include <gtest/gtest.h>

namespace synchub::mapping {
namespace {

Decimal d(const char* text) {
  auto v = Decimal::parse(text);
  if (!v) throw std::runtime_error(std::string("bad literal in test: ") + text);
  return *v;
}

TEST(Decimal, ParsesJsonNumbersKeepingTheirDigits) {
  EXPECT_EQ(d("100.10").str(), "100.10");
  EXPECT_EQ(d("-0.5").str(), "-0.5");
  EXPECT_EQ(d("0").str(), "0");
  EXPECT_EQ(d("12345678901234.56").str(), "12345678901234.56");
  EXPECT_EQ(d("1e3").str(), "1000");
  EXPECT_EQ(d("1.5E-3").str(), "0.0015");
  EXPECT_EQ(d("12345678901234567890123456789012345678").str(), "12345678901234567890123456789012345678");
  // written back with every digit of the scale, in 64 and in 128 bits
  for (const char* same : {"-0.0015", "0.000", "-12345678901234567890123456789012345678", "0.5", "-7",
                           "-1234567890123456789012.3456789012345678", "99999999999999999999.99",
                           "0.00000000000000000000000000000000000001", "-0.12345678901234567890123456789012345678"})
    EXPECT_EQ(d(same).str(), same);
  for (const char* bad : {"", "-", "1.", ".5", "abc", "1e", "1..2", "1 ", "123456789012345678901234567890123456789"})
    EXPECT_FALSE(Decimal::parse(bad)) << bad;
}

// Short numbers take a 64-bit path; "e0" sends the same number through the
// general one: both must read every text alike, and refuse the same texts.
TEST(Decimal, ShortAndGeneralParsersAgree) {
  const char* texts[] = {"0",
                         "-0",
                         "+5",
                         "007",
                         "-0.0",
                         "0.10",
                         "1.5",
                         "-2.500",
                         "999999999999999999",
                         "-99999999999999999",
                         "9999999999999999999",
                         "12345678901234.56",
                         "-0.000000000000001",
                         "1.",
                         ".5",
                         "-.5",
                         "+",
                         "-",
                         "5-",
                         "1.2.3",
                         "1.-2",
                         "1a",
                         " 1",
                         "--1",
                         "+-1",
                         "0x1"};
  for (const char* t : texts) {
    auto shortened = Decimal::parse(t), general = Decimal::parse(std::string(t) + "e0");
    ASSERT_EQ(shortened.has_value(), general.has_value()) << t;
    if (shortened) {
      EXPECT_EQ(shortened->str(), general->str()) << t;
      EXPECT_EQ(shortened->scale(), general->scale()) << t;
    }
  }
  EXPECT_EQ(d("999999999999999999").str(), "999999999999999999");
  EXPECT_EQ(d("9999999999999999999").str(), "9999999999999999999");
  EXPECT_EQ(d("-0.000000000000001").str(), "-0.000000000000001");
  EXPECT_EQ(d("+5").str(), "5");
  EXPECT_EQ(*d("42").to_int64(), 42);
  EXPECT_EQ(*d("-9223372036854775808").to_int64(), INT64_MIN);
  EXPECT_FALSE(d("9223372036854775808").to_int64());
  EXPECT_FALSE(d("4.2").to_int64());
  EXPECT_EQ(*d("4.0").to_int64(), 4);
}

// Writing (two digits at a time) gives every digit, at every length and
// scale, as a plain formatting of the coefficient does.
TEST(Decimal, WritesEveryDigitCountAndScale) {
  auto reference = [](int64_t coef, int scale) {
    std::string digits = std::to_string(coef < 0 ? -coef : coef);  // no INT64_MIN below
    if (scale > 0) {
      if (digits.size() <= static_cast<size_t>(scale))
        digits.insert(0, static_cast<size_t>(scale) + 1 - digits.size(), '0');
      digits.insert(digits.size() - static_cast<size_t>(scale), 1, '.');
    }
    return (coef < 0 ? "-" : "") + digits;
  };
  int64_t power = 1;
  for (int k = 0; k <= 18; ++k, power = k <= 18 ? power * 10 : power) {
    for (int64_t coef : {power, power - 1, power + 7, power * 3 + 41, -power, -(power + 9)}) {
      for (int scale = 0; scale <= 5; ++scale) {
        ASSERT_EQ(Decimal::from_parts(coef, scale).str(), reference(coef, scale)) << coef << " scale " << scale;
      }
    }
  }
  EXPECT_EQ(Decimal::from_parts(INT64_MAX, 2).str(), "92233720368547758.07");
  EXPECT_EQ(Decimal::from_parts(-static_cast<__int128>(UINT64_MAX), 0).str(), "-18446744073709551615");
}

TEST(Decimal, ArithmeticIsExact) {
  EXPECT_EQ(d("0.1") + d("0.2"), d("0.3"));
  EXPECT_EQ((d("0.1") + d("0.2")).str(), "0.3");
  EXPECT_EQ((d("12345678901234.56") * d("1")).str(), "12345678901234.56");
  EXPECT_EQ((d("12345678901234.56") * d("7")).str(), "86419752308641.92");
  EXPECT_EQ((d("353.90") * d("27") * (d("1") - d("0.15"))).str(), "8122.0050");
  EXPECT_EQ((d("100.10") - d("0.10")).str(), "100.00");
  EXPECT_EQ((d("7") % d("3")).str(), "1");
  EXPECT_EQ((d("-7.5") % d("2")).str(), "-1.5");
}

// Coefficients that fit in 64 bits take a shorter path: at its edges (64-bit
// overflow, scales 19 or more apart) the results are the general path's.
TEST(Decimal, SixtyFourBitPathsHandOverAtTheirEdges) {
  EXPECT_EQ((d("9223372036854775807") + d("1")).str(), "9223372036854775808");
  EXPECT_EQ((d("-9223372036854775808") - d("1")).str(), "-9223372036854775809");
  EXPECT_EQ((d("92233720368547758.07") + d("0.001")).str(), "92233720368547758.071");
  EXPECT_EQ((d("1") + d("0.0000000000000000000001")).str(), "1.0000000000000000000001");
  EXPECT_EQ((d("1") - d("0.0000000000000000000001")).str(), "0.9999999999999999999999");
  EXPECT_EQ((d("-5") - d("-0.25")).str(), "-4.75");
  EXPECT_EQ((d("9223372036854775807") * d("9223372036854775807")).str(), "85070591730234615847396907784232501249");
  EXPECT_EQ((d("-9223372036854775808") * d("-9223372036854775808")).str(), "85070591730234615865843651857942052864");
  EXPECT_EQ((d("-0.5") * d("0.20")).str(), "-0.100");
  EXPECT_THROW(d("0.0000000000000000001") * d("0.00000000000000000001"), DecimalError);  // 39 places
}

TEST(Decimal, DivisionKeepsTwentyDigitsRoundedHalfEven) {
  EXPECT_EQ((d("1") / d("3")).str(), "0.33333333333333333333");
  EXPECT_EQ((d("2") / d("3")).str(), "0.66666666666666666667");
  EXPECT_EQ((d("10") / d("4")).str(), "2.5");
  EXPECT_EQ((d("-1") / d("8")).str(), "-0.125");
  EXPECT_THROW(d("1") / d("0"), DecimalError);
  EXPECT_THROW(d("1") % d("0.0"), DecimalError);
}

TEST(Decimal, RoundingModesAreExplicit) {
  EXPECT_EQ(d("8122.005").round(2, Rounding::HalfUp).str(), "8122.01");
  EXPECT_EQ(d("2.5").round(0, Rounding::HalfUp).str(), "3");
  EXPECT_EQ(d("-2.5").round(0, Rounding::HalfUp).str(), "-3");
  EXPECT_EQ(d("2.5").round(0, Rounding::HalfEven).str(), "2");
  EXPECT_EQ(d("3.5").round(0, Rounding::HalfEven).str(), "4");
  EXPECT_EQ(d("2.51").round(0, Rounding::HalfEven).str(), "3");
  EXPECT_EQ(d("-2.1").round(0, Rounding::Floor).str(), "-3");
  EXPECT_EQ(d("-2.9").round(0, Rounding::Ceil).str(), "-2");
  EXPECT_EQ(d("2.99").round(1, Rounding::Down).str(), "2.9");
  EXPECT_EQ(d("1.2").round(4, Rounding::HalfUp).str(), "1.2");  // never adds digits
}

TEST(Decimal, ScaleIsKeptAndCheckedOnRescale) {
  EXPECT_EQ(d("100.1").rescale(2).str(), "100.10");
  EXPECT_EQ(d("100.100").rescale(2).str(), "100.10");
  EXPECT_THROW(d("100.105").rescale(2), DecimalError);
  EXPECT_EQ(d("100.100").normalized().str(), "100.1");
  EXPECT_EQ(d("5.000").normalized().str(), "5");
  EXPECT_EQ(d("123.45").digits(), 5);
  EXPECT_EQ(d("0.001").digits(), 1);
}

TEST(Decimal, OverflowIsAnErrorNotATruncation) {
  Decimal big = d("99999999999999999999999999999999999999");
  EXPECT_THROW(big + d("1"), DecimalError);
  EXPECT_THROW(big * d("10"), DecimalError);
  EXPECT_THROW(d("0.00000000000000000001") * d("0.0000000000000000001"), DecimalError);
  // trailing zeros are dropped before giving up
  EXPECT_EQ((d("1000000000000000000000.000000000000") * d("1000000000000000.000000000000")).str(),
            "1000000000000000000000000000000000000");
}

TEST(Decimal, ComparesAcrossScales) {
  EXPECT_EQ(d("1.10"), d("1.1"));
  EXPECT_LT(d("-3"), d("-2.99"));
  EXPECT_LT(d("0.0001"), d("0.001"));
  EXPECT_EQ(d("99999999999999999999999999999999999999").compare(d("0.00000000000000000001")), 1);
  EXPECT_EQ(d("-0.0").sign(), 0);
  EXPECT_EQ(*d("42.000").to_int64(), 42);
  EXPECT_FALSE(d("42.5").to_int64());
}

}  // namespace
}  // namespace synchub::mapping
