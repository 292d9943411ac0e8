// The key a per-directory tally is remembered under (tree_cache.h): the
// operation's name and every field of its counting options, read from the
// options struct itself. Adding a field to an operation's counting options
// changes the key with no other edit, so a tally counted under other options
// is never served; a field of a type the key cannot spell fails to compile.
//
// Counting options are plain aggregates of strings, booleans, integers and
// vectors of those, with at most kMaxCountingFields fields.
#ifndef SIDECARD_SERVER_ENGINE_OPS_COUNTING_KEY_H_
#define SIDECARD_SERVER_ENGINE_OPS_COUNTING_KEY_H_

#include <concepts>
#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace sidecard::engine {
namespace counting_key_internal {

// Converts to any field type, to count an aggregate's fields.
struct AnyField {
  template <typename T>
  operator T() const;  // NOLINT: only used in unevaluated contexts
};

template <typename T, typename... Fields>
constexpr size_t FieldCount() {
  if constexpr (requires { T{Fields{}..., AnyField{}}; }) {
    return FieldCount<T, Fields..., AnyField>();
  } else {
    return sizeof...(Fields);
  }
}

// Each part is its length and bytes, so no two field lists spell one key.
inline void Append(std::string& key, std::string_view text) {
  key += std::to_string(text.size());
  key += ':';
  key += text;
}
inline void Append(std::string& key, bool value) { key += value ? "T" : "F"; }
template <std::integral T>
requires(!std::same_as<T, bool>) void Append(std::string& key, T value) {
  Append(key, std::string_view(std::to_string(value)));
}
template <typename T>
void Append(std::string& key, const std::vector<T>& values) {
  key += '[' + std::to_string(values.size());
  for (const T& value : values) Append(key, value);
  key += ']';
}

}  // namespace counting_key_internal

inline constexpr size_t kMaxCountingFields = 4;

template <typename Counting>
std::string CountingKey(std::string_view operation, const Counting& counting) {
  static_assert(std::is_aggregate_v<Counting>, "counting options must be a plain aggregate");
  constexpr size_t kFields = counting_key_internal::FieldCount<Counting>();
  static_assert(kFields >= 1 && kFields <= kMaxCountingFields,
                "CountingKey spells 1 to kMaxCountingFields fields; extend it");
  using counting_key_internal::Append;
  std::string key(operation);
  key += '/';
  if constexpr (kFields == 1) {
    const auto& [a] = counting;
    Append(key, a);
  } else if constexpr (kFields == 2) {
    const auto& [a, b] = counting;
    Append(key, a), Append(key, b);
  } else if constexpr (kFields == 3) {
    const auto& [a, b, c] = counting;
    Append(key, a), Append(key, b), Append(key, c);
  } else {
    const auto& [a, b, c, d] = counting;
    Append(key, a), Append(key, b), Append(key, c), Append(key, d);
  }
  return key;
}

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_OPS_COUNTING_KEY_H_
