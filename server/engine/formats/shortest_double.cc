#include "server/engine/formats/shortest_double.h"

#include <array>
#include <charconv>
#include <cmath>
#include <string_view>

namespace sidecard::engine {
namespace {

// A positive finite double as its shortest round-trip digits: the value is
// 0.<digits> × 10^point, so `point` counts the digits before the decimal point
// (10^(point-1) <= value < 10^point).
struct ShortestDecimal {
  std::array<char, 17> digits;  // a double never needs more
  int length = 0;
  int point = 0;

  std::string_view Digits() const { return {digits.data(), static_cast<size_t>(length)}; }
};

// std::to_chars without a precision yields the shortest digits that read back
// to the same double (the closest such, like ryu); the scientific form
// "d.ddde±xx" makes them easy to pick apart.
ShortestDecimal ToShortestDecimal(double positive) {
  std::array<char, 32> text;
  const char* const end =
      std::to_chars(text.data(), text.data() + text.size(), positive, std::chars_format::scientific)
          .ptr;
  ShortestDecimal decimal;
  const char* p = text.data();
  for (; p != end && *p != 'e'; ++p) {
    if (*p != '.') decimal.digits[static_cast<size_t>(decimal.length++)] = *p;
  }
  if (p != end) ++p;  // 'e'
  if (p != end && *p == '+') ++p;
  int exponent = 0;
  std::from_chars(p, end, exponent);
  decimal.point = exponent + 1;
  return decimal;
}

// Ryu's `format64` layout (ryu/src/pretty/mod.rs): plain notation with a
// mandatory fraction for magnitudes in [1e-5, 1e16), otherwise scientific
// notation without '+' or leading exponent zeros.
void AppendRyuLayout(const ShortestDecimal& decimal, std::string& out) {
  const std::string_view digits = decimal.Digits();
  const int length = static_cast<int>(digits.size());
  const int point = decimal.point;
  const int trailing_zeros = point - length;

  if (trailing_zeros >= 0 && point <= 16) {  // 1234e7 -> 12340000000.0
    out += digits;
    out.append(static_cast<size_t>(trailing_zeros), '0');
    out += ".0";
  } else if (point > 0 && point <= 16) {  // 1234e-2 -> 12.34
    out += digits.substr(0, static_cast<size_t>(point));
    out += '.';
    out += digits.substr(static_cast<size_t>(point));
  } else if (point > -5 && point <= 0) {  // 1234e-6 -> 0.001234
    out += "0.";
    out.append(static_cast<size_t>(-point), '0');
    out += digits;
  } else {  // 1e30, 1234e30 -> 1.234e33
    out += digits.front();
    if (length > 1) {
      out += '.';
      out += digits.substr(1);
    }
    out += 'e';
    out += std::to_string(point - 1);
  }
}

}  // namespace

void AppendShortestDouble(double value, std::string& out) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  if (std::signbit(value)) out += '-';
  if (value == 0) {
    out += "0.0";
    return;
  }
  AppendRyuLayout(ToShortestDecimal(std::fabs(value)), out);
}

}  // namespace sidecard::engine
