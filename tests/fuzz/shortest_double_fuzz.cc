// Fuzzes the shortest round-trip formatting of doubles (ryu's layout, which
// keeps re-encoded sidecars byte-identical to the Rust tool's): every finite
// double must be written as JSON that reads back to exactly the same bits,
// and with no shorter digit string doing so.
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "fuzz/fuzz_check.h"
#include "server/engine/formats/json_text.h"
#include "server/engine/formats/shortest_double.h"

namespace {

using sidecard::fuzz::Check;

uint64_t Bits(double value) {
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < sizeof(double)) return 0;
  double value;
  std::memcpy(&value, data, sizeof value);
  std::string text;
  sidecard::engine::AppendShortestDouble(value, text);
  if (!std::isfinite(value)) {
    Check(text == "null", "a non-finite double is written as null");
    return 0;
  }
  double back = 0;
  const auto parsed = std::from_chars(text.data(), text.data() + text.size(), back);
  Check(parsed.ec == std::errc() && parsed.ptr == text.data() + text.size(),
        "the text is a whole number");
  if (Bits(back) != Bits(value)) {
    std::fprintf(stderr, "%.17g written as %s\n", value, text.c_str());
    Check(false, "the text reads back to the same double");
  }
  // Shortest: std::to_chars also gives the shortest round-trip digits; ryu's
  // layout differs (exponent form, ".0"), the count of significant digits not.
  char shortest[64];
  const auto written =
      std::to_chars(shortest, shortest + sizeof shortest, value, std::chars_format::scientific);
  const std::string reference(shortest, written.ptr);
  const auto digits = [](std::string_view number) {
    const std::string_view mantissa = number.substr(0, number.find_first_of("eE"));
    std::string all;
    for (char c : mantissa) {
      if (c >= '0' && c <= '9') all += c;
    }
    const size_t first = all.find_first_not_of('0');
    if (first == std::string::npos) return std::string("0");
    all.erase(0, first);
    while (all.size() > 1 && all.back() == '0') all.pop_back();
    return all;
  };
  sidecard::fuzz::CheckEqual(digits(text), digits(reference),
                             "the significant digits are the shortest ones");
  // And as a JSON document it parses to the same double.
  auto document = sidecard::engine::ParseJson(text);
  Check(document.ok() && document->IsNumber(), "the text is a JSON number");
  Check(Bits(document->GetDouble()) == Bits(value), "JSON reads it back to the same double");
  return 0;
}
