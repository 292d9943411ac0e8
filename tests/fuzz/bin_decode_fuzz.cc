// Fuzzes the decoder of `.bin` and `.rkyv` files (8-byte little-endian
// length, then compact JSON): any bytes must decode or fail with a message,
// the two formats must agree, and what decodes must round-trip.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/decode_invariants.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sidecard;
  using engine::SidecarFormat;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  auto bin = engine::DecodeSidecar(SidecarFormat::kBin, bytes);
  auto rkyv = engine::DecodeSidecar(SidecarFormat::kRkyv, bytes);
  fuzz::Check(bin.ok() == rkyv.ok(), ".bin and .rkyv decode the same bytes alike");
  if (!bin.ok()) {
    fuzz::CheckErrorOffset(bin.status(), size);
    return 0;
  }
  fuzz::CheckEqual(engine::CanonicalJson(bin->document), engine::CanonicalJson(rkyv->document),
                   ".bin and .rkyv give the same document");
  fuzz::CheckRoundTrips(bin->document);
  return 0;
}
