#include "server/engine/formats/shortest_double.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>

namespace sidecard::engine {
namespace {

std::string Format(double value) {
  std::string out;
  AppendShortestDouble(value, out);
  return out;
}

struct Case {
  double value;
  const char* expected;
};

// Expected strings are what Rust's ryu::Buffer::format (and so serde_json)
// prints for the same double.
constexpr Case kCases[] = {
    {0.0, "0.0"},
    {-0.0, "-0.0"},
    {1.0, "1.0"},
    {-1.0, "-1.0"},
    {0.1, "0.1"},
    {0.3, "0.3"},
    {0.87, "0.87"},
    {1.23, "1.23"},
    {2.5, "2.5"},
    {-12.5, "-12.5"},
    {100.0, "100.0"},
    {0.30000000000000004, "0.30000000000000004"},
    {2.718281828459045, "2.718281828459045"},
    {123.456, "123.456"},
    // Plain notation up to 16 integer digits, then scientific.
    {1e15, "1000000000000000.0"},
    {9007199254740992.0, "9007199254740992.0"},
    {9999999999999998.0, "9999999999999998.0"},
    {1e16, "1e16"},
    {1.5e16, "1.5e16"},
    {1.234e16, "1.234e16"},
    {12340000000.0, "12340000000.0"},
    {123456789012345680.0, "1.2345678901234568e17"},
    {1e30, "1e30"},
    {1.234e33, "1.234e33"},
    {1.1e128, "1.1e128"},
    {1.5e300, "1.5e300"},
    {1.7976931348623157e308, "1.7976931348623157e308"},
    {-1.7976931348623157e308, "-1.7976931348623157e308"},
    // Plain notation down to 1e-5, then scientific.
    {0.001234, "0.001234"},
    {0.0001, "0.0001"},
    {1e-5, "0.00001"},
    {1.2345e-5, "0.000012345"},
    {9.999e-6, "9.999e-6"},
    {1e-6, "1e-6"},
    {1e-7, "1e-7"},
    {1.5e-7, "1.5e-7"},
    {-1.5e-7, "-1.5e-7"},
    {1.1e-64, "1.1e-64"},
    {2.2250738585072014e-308, "2.2250738585072014e-308"},
    {5e-324, "5e-324"},
    {-5e-324, "-5e-324"},
};

TEST(ShortestDoubleTest, MatchesRyuLayout) {
  for (const Case& c : kCases) {
    EXPECT_EQ(Format(c.value), c.expected) << "for " << c.expected;
  }
}

TEST(ShortestDoubleTest, NonFiniteIsNull) {
  EXPECT_EQ(Format(std::numeric_limits<double>::quiet_NaN()), "null");
  EXPECT_EQ(Format(std::numeric_limits<double>::infinity()), "null");
  EXPECT_EQ(Format(-std::numeric_limits<double>::infinity()), "null");
}

TEST(ShortestDoubleTest, Appends) {
  std::string out = "[";
  AppendShortestDouble(0.5, out);
  out += ',';
  AppendShortestDouble(1e100, out);
  EXPECT_EQ(out, "[0.5,1e100");
}

bool LooksLikeRyu(const std::string& text) {
  const size_t e = text.find('e');
  if (e == std::string::npos) return text.find('.') != std::string::npos;
  // Scientific: no '+', no leading exponent zero, no trailing mantissa zero.
  const std::string exponent = text.substr(e + 1);
  const std::string mantissa = text.substr(0, e);
  return exponent.find('+') == std::string::npos && exponent[exponent[0] == '-' ? 1 : 0] != '0' &&
         mantissa.back() != '0' && mantissa.back() != '.';
}

// Every finite double, whatever its magnitude, reads back bit for bit.
TEST(ShortestDoubleTest, RandomBitPatternsRoundTrip) {
  std::mt19937_64 random(20240601);
  int checked = 0;
  while (checked < 5000) {
    const double value = std::bit_cast<double>(random());
    if (!std::isfinite(value)) continue;
    const std::string text = Format(value);
    const double back = std::strtod(text.c_str(), nullptr);
    ASSERT_EQ(std::bit_cast<uint64_t>(back), std::bit_cast<uint64_t>(value)) << text;
    ASSERT_TRUE(LooksLikeRyu(text)) << text;
    ++checked;
  }
}

// Random bit patterns rarely land in the plain-notation range; these do.
TEST(ShortestDoubleTest, RandomModerateValuesRoundTrip) {
  std::mt19937_64 random(7);
  std::uniform_real_distribution<double> mantissa(-10.0, 10.0);
  std::uniform_int_distribution<int> exponent(-8, 18);
  for (int i = 0; i < 5000; ++i) {
    const double value = mantissa(random) * std::pow(10.0, exponent(random));
    const std::string text = Format(value);
    const double back = std::strtod(text.c_str(), nullptr);
    ASSERT_EQ(std::bit_cast<uint64_t>(back), std::bit_cast<uint64_t>(value)) << text;
    ASSERT_TRUE(LooksLikeRyu(text)) << text;
  }
}

}  // namespace
}  // namespace sidecard::engine
