#include "server/engine/feed/change_cursor.h"

#include <charconv>
#include <cstdio>
#include <random>

#include "server/engine/base/text.h"

namespace sidecard::engine {

std::string FormatCursor(std::string_view instance, uint64_t sequence) {
  return Concat("c:", instance, ':', sequence);
}

absl::StatusOr<ChangeCursor> ParseCursor(std::string_view text) {
  ChangeCursor cursor;
  const size_t last_colon = text.rfind(':');
  const bool well_formed = [&] {
    if (!text.starts_with("c:") || last_colon <= 2 || last_colon + 1 == text.size()) return false;
    const std::string_view digits = text.substr(last_colon + 1);
    const auto [end, error] =
        std::from_chars(digits.data(), digits.data() + digits.size(), cursor.sequence);
    return error == std::errc() && end == digits.data() + digits.size();
  }();
  if (!well_formed) {
    return absl::InvalidArgumentError(
        Concat("cursor \"", text, "\" is not one this daemon hands out (c:<id>:<number>)"));
  }
  cursor.instance = std::string(text.substr(2, last_colon - 2));
  return cursor;
}

std::string NewInstanceId() {
  std::random_device device;
  const uint64_t high = device();
  const uint64_t low = device();
  char id[17];
  std::snprintf(id, sizeof id, "%016llx", static_cast<unsigned long long>((high << 32) ^ low));
  return id;
}

}  // namespace sidecard::engine
