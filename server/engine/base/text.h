// Small string helpers that work with std::string_view. (Debian's Abseil
// builds absl::string_view as its own type, so absl::StrCat and friends do
// not accept std::string_view.)
#ifndef SIDECARD_SERVER_ENGINE_BASE_TEXT_H_
#define SIDECARD_SERVER_ENGINE_BASE_TEXT_H_

#include <concepts>
#include <string>
#include <string_view>
#include <vector>

namespace sidecard::engine {

namespace text_internal {
inline void Append(std::string& out, std::string_view part) { out.append(part); }
inline void Append(std::string& out, char part) { out.push_back(part); }
// Other string views (absl::string_view, from absl::Status::message()).
template <typename View>
requires(!std::convertible_to<View, std::string_view> && requires(const View& v) {
  { v.data() } -> std::convertible_to<const char*>;
  { v.size() } -> std::convertible_to<size_t>;
}) void Append(std::string& out, const View& part) {
  out.append(part.data(), part.size());
}
template <std::integral Number>
requires(!std::same_as<Number, char>) void Append(std::string& out, Number part) {
  out.append(std::to_string(part));
}
}  // namespace text_internal

// Concatenates strings, characters and integers.
template <typename... Parts>
std::string Concat(const Parts&... parts) {
  std::string out;
  (text_internal::Append(out, parts), ...);
  return out;
}

// The non-empty pieces of `text` between `separator`s.
std::vector<std::string_view> SplitNonEmpty(std::string_view text, char separator);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_BASE_TEXT_H_
