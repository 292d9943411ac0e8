// Fuzzes the decoder of `.json` sidecar files and the JSON parser under it:
// any bytes must parse or fail with a message naming an offset inside the
// input, and what parses must round-trip through every format.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/decode_invariants.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sidecard;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  auto decoded = engine::DecodeSidecar(engine::SidecarFormat::kJson, bytes);
  if (!decoded.ok()) {
    fuzz::CheckErrorOffset(decoded.status(), size);
    return 0;
  }
  fuzz::CheckRoundTrips(decoded->document);

  // The parser alone agrees with the decoder (which only skips a BOM).
  auto parsed = engine::ParseJson(bytes);
  if (parsed.ok()) {
    fuzz::CheckEqual(engine::CanonicalJson(*parsed), engine::CanonicalJson(decoded->document),
                     "ParseJson and the .json decoder give the same document");
  } else {
    fuzz::Check(!decoded->warnings.empty(), "ParseJson only fails where the decoder skipped a BOM");
  }
  return 0;
}
