// Decoding one UTF-8 sequence, for the checks and writers of the client that
// must judge text as protobuf and Python's strict decoder do.
#ifndef SIDECARD_CLIENT_CPP_UTF8_H_
#define SIDECARD_CLIENT_CPP_UTF8_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sidecard {

struct Utf8Char {
  uint32_t code_point = 0;
  size_t length = 0;  // bytes; 0 when not valid UTF-8
};

// The character whose first byte is `text[at]`, or length 0 when the bytes
// there are not valid UTF-8: an overlong form, a surrogate, a code point
// above U+10FFFF, or a sequence cut short.
Utf8Char DecodeUtf8At(std::string_view text, size_t at);

}  // namespace sidecard

#endif  // SIDECARD_CLIENT_CPP_UTF8_H_
