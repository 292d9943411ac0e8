#include "server/engine/fs/path_text.h"

#include <cstdint>
#include <cstring>

namespace sidecard::engine {
namespace {

// Length of the valid UTF-8 sequence starting at `i`, or 0 if invalid.
size_t Utf8SequenceLength(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  const uint8_t lead = byte(i);
  if (lead < 0x80) return 1;
  size_t length;
  uint32_t min_code;
  uint32_t code;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, min_code = 0x80, code = lead & 0x1Fu;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, min_code = 0x800, code = lead & 0x0Fu;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, min_code = 0x10000, code = lead & 0x07u;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (byte(i + k) & 0x3Fu);
  }
  const bool surrogate = code >= 0xD800 && code <= 0xDFFF;
  if (code < min_code || code > 0x10FFFF || surrogate) return 0;
  return length;
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t length = Utf8SequenceLength(text, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

std::string DisplayPath(std::string_view raw) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  // Nearly every path is ASCII: shown as it is, checked 8 bytes at a time.
  size_t ascii = 0;
  for (uint64_t word = 0; ascii + 8 <= raw.size(); ascii += 8) {
    std::memcpy(&word, raw.data() + ascii, sizeof word);
    if ((word & 0x8080808080808080u) != 0) break;
  }
  while (ascii < raw.size() && static_cast<uint8_t>(raw[ascii]) < 0x80) ++ascii;
  if (ascii == raw.size()) return std::string(raw);
  std::string shown;
  shown.reserve(raw.size());
  for (size_t i = 0; i < raw.size();) {
    const size_t length = Utf8SequenceLength(raw, i);
    if (length == 0) {
      const auto byte = static_cast<uint8_t>(raw[i]);
      shown += "\\x";
      shown += kHex[byte >> 4];
      shown += kHex[byte & 0xF];
      ++i;
    } else {
      shown.append(raw.substr(i, length));
      i += length;
    }
  }
  return shown;
}

std::string_view Dirname(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == 0 ? std::string_view("/") : path.substr(0, slash);
}

std::string_view Basename(std::string_view path) { return path.substr(path.rfind('/') + 1); }

}  // namespace sidecard::engine
