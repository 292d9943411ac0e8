// Invariants shared by the decoder fuzz targets: whatever decodes must
// re-encode in every format and decode back to the same document, the
// encoding must be a fixed point, and error offsets must lie in the input.
#ifndef SIDECARD_TESTS_FUZZ_DECODE_INVARIANTS_H_
#define SIDECARD_TESTS_FUZZ_DECODE_INVARIANTS_H_

#include <charconv>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "fuzz/fuzz_check.h"
#include "server/engine/formats/json_text.h"
#include "server/engine/formats/sidecar_codec.h"

namespace sidecard::fuzz {

// A decode error names a byte offset ("... at byte offset 23 ...") that lies
// within the file.
inline void CheckErrorOffset(const absl::Status& status, size_t file_size) {
  const std::string_view message(status.message().data(), status.message().size());
  Check(!message.empty(), "a decode error has a message");
  constexpr std::string_view kMarker = "byte offset ";
  const size_t at = message.find(kMarker);
  if (at == std::string_view::npos) return;
  const char* first = message.data() + at + kMarker.size();
  size_t offset = 0;
  const auto parsed = std::from_chars(first, message.data() + message.size(), offset);
  Check(parsed.ec == std::errc(), "the byte offset in a decode error is a number");
  Check(offset <= file_size, "the byte offset in a decode error lies within the file");
}

// `document` (decoded from fuzz input) survives every encoding: decoding the
// encoding gives the same canonical JSON, and encoding that again gives the
// same bytes.
inline void CheckRoundTrips(const rapidjson::Value& document) {
  using engine::SidecarFormat;
  const std::string canonical = engine::CanonicalJson(document);
  for (const SidecarFormat format :
       {SidecarFormat::kBin, SidecarFormat::kRkyv, SidecarFormat::kJson}) {
    const std::string encoded = engine::EncodeSidecar(format, document);
    auto again = engine::DecodeSidecar(format, encoded);
    if (!again.ok()) {
      std::fprintf(stderr, "%s\n", std::string(again.status().message()).c_str());
      Check(false, "an encoded sidecar decodes");
    }
    Check(again->warnings.empty(), "an encoded sidecar decodes without warnings");
    CheckEqual(canonical, engine::CanonicalJson(again->document),
               "decode(encode(document)) is the same document");
    CheckEqual(encoded, engine::EncodeSidecar(format, again->document),
               "encode(decode(encode(document))) is the same bytes");
  }
}

}  // namespace sidecard::fuzz

#endif  // SIDECARD_TESTS_FUZZ_DECODE_INVARIANTS_H_
