// Sums of counts read from files. A document may claim any count (a
// `face_count` of 9223372036854775807), so totals saturate at the int64
// range instead of overflowing, which is undefined behaviour.
#ifndef SIDECARD_SERVER_ENGINE_BASE_SATURATING_H_
#define SIDECARD_SERVER_ENGINE_BASE_SATURATING_H_

#include <cstdint>
#include <limits>

namespace sidecard::engine {

inline int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t sum;
  if (!__builtin_add_overflow(a, b, &sum)) return sum;
  return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
}

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_BASE_SATURATING_H_
