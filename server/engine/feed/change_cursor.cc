#include "server/engine/feed/change_cursor.h"

#include <random>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace sidecard::engine {

std::string FormatCursor(std::string_view instance, uint64_t sequence) {
  return absl::StrCat("c:", instance, ":", sequence);
}

absl::StatusOr<ChangeCursor> ParseCursor(std::string_view text) {
  const std::vector<std::string_view> parts = absl::StrSplit(text, ':');
  ChangeCursor cursor;
  if (parts.size() != 3 || parts[0] != "c" || parts[1].empty() ||
      parts[2].find_first_not_of("0123456789") != std::string_view::npos ||
      !absl::SimpleAtoi(parts[2], &cursor.sequence)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cursor \"", text, "\" is not one this daemon hands out (c:<id>:<number>)"));
  }
  cursor.instance = std::string(parts[1]);
  return cursor;
}

std::string NewInstanceId() {
  std::random_device device;
  const uint64_t high = device();
  const uint64_t low = device();
  return absl::StrFormat("%016x", (high << 32) ^ low);
}

}  // namespace sidecard::engine
