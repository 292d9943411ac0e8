#include "client/cpp/request_path.h"

#include "client/cpp/utf8.h"

namespace sidecard {

bool IsValidUtf8(std::string_view text) {
  for (size_t at = 0; at < text.size();) {
    const size_t length = DecodeUtf8At(text, at).length;
    if (length == 0) return false;
    at += length;
  }
  return true;
}

}  // namespace sidecard
