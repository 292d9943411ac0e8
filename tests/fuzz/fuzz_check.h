// Invariant checks inside fuzz targets: a broken invariant prints what broke
// and aborts, so libFuzzer saves the input as a crash.
#ifndef SIDECARD_TESTS_FUZZ_FUZZ_CHECK_H_
#define SIDECARD_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace sidecard::fuzz {

inline void Check(bool holds, std::string_view what) {
  if (holds) return;
  std::fprintf(stderr, "fuzz invariant broken: %.*s\n", static_cast<int>(what.size()), what.data());
  std::abort();
}

// Like Check, and shows the two texts that should have been equal.
inline void CheckEqual(std::string_view a, std::string_view b, std::string_view what) {
  if (a == b) return;
  std::fprintf(stderr, "first:  %.*s\nsecond: %.*s\n", static_cast<int>(a.size()), a.data(),
               static_cast<int>(b.size()), b.data());
  Check(false, what);
}

}  // namespace sidecard::fuzz

#endif  // SIDECARD_TESTS_FUZZ_FUZZ_CHECK_H_
