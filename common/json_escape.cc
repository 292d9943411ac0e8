#include "common/json_escape.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sidecard {
namespace {

// How many bytes from `from` need no escape, looked at 16 at a time where
// the processor can (paths, names and messages are nearly all plain).
size_t PlainPrefix(std::string_view text, size_t from) {
  size_t i = from;
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i below_space = _mm_set1_epi8(0x1F);
  for (; i + 16 <= text.size(); i += 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
    // Control bytes are those whose unsigned value is at most 0x1F.
    const __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(bytes, below_space), bytes);
    const __m128i special = _mm_or_si128(
        control, _mm_or_si128(_mm_cmpeq_epi8(bytes, quote), _mm_cmpeq_epi8(bytes, backslash)));
    const int mask = _mm_movemask_epi8(special);
    if (mask != 0)
      return i + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(mask))) - from;
  }
#endif
  for (; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 || byte == '"' || byte == '\\') break;
  }
  return i - from;
}

}  // namespace

void AppendJsonEscaped(std::string_view text, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  // Runs of bytes that need no escape (nearly all) are appended whole.
  size_t i = 0;
  while (true) {
    const size_t plain = PlainPrefix(text, i);
    out.append(text.data() + i, plain);
    i += plain;
    if (i == text.size()) break;
    const auto byte = static_cast<unsigned char>(text[i++]);
    switch (byte) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += kHex[byte >> 4];
        out += kHex[byte & 0xf];
    }
  }
}

void AppendJsonString(std::string_view text, std::string& out) {
  out += '"';
  AppendJsonEscaped(text, out);
  out += '"';
}

}  // namespace sidecard
