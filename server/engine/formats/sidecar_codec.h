// The storage formats of sidecar files (docs/CONTRACT.md §2): decode bytes into a
// JSON document and encode a document into bytes.
//
//   .json  UTF-8 JSON text (written indented by two, keys sorted).
//   .bin   u64 little-endian body length N, then N bytes of compact JSON.
//   .rkyv  byte-for-byte the same encoding as .bin.
#ifndef SIDECARD_SERVER_ENGINE_FORMATS_SIDECAR_CODEC_H_
#define SIDECARD_SERVER_ENGINE_FORMATS_SIDECAR_CODEC_H_

#include <rapidjson/document.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "server/engine/formats/json_text.h"

namespace sidecard::engine {

enum class SidecarFormat { kBin, kRkyv, kJson };

// "bin", "rkyv" or "json".
std::string_view FormatName(SidecarFormat format);

// The format whose name is `name` ("bin", "rkyv", "json"; case-insensitive).
std::optional<SidecarFormat> FormatFromName(std::string_view name);

// Read priority when several formats exist for one image: .bin, .rkyv, .json.
// Lower is preferred.
int ReadPriority(SidecarFormat format);

struct DecodedSidecar {
  rapidjson::Document document;
  // Tolerated oddities, e.g. "12 trailing bytes after the 63-byte body".
  std::vector<std::string> warnings;
};

// Decodes the whole contents of a sidecar file. Any JSON value is returned
// (callers decide whether a non-object is acceptable). Errors are
// InvalidArgument with a message that names the problem and, for JSON and
// UTF-8 errors, the byte offset within the file:
//   "too short: 5 bytes, a .bin file needs an 8-byte length header"
//   "length header says 1000 bytes but only 63 follow"
//   "invalid UTF-8 at byte offset 23"
//   "invalid JSON at byte offset 48: ..."
// kFast and kFactsOnly precision are for reading only (see ParseJson).
absl::StatusOr<DecodedSidecar> DecodeSidecar(SidecarFormat format, std::string_view bytes,
                                             NumberPrecision precision = NumberPrecision::kExact);

// Encodes `document` for `format`: .bin/.rkyv byte-identical to the Rust
// writer (length header + canonical compact JSON), .json as PrettyJson plus a
// trailing newline.
std::string EncodeSidecar(SidecarFormat format, const rapidjson::Value& document);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_FORMATS_SIDECAR_CODEC_H_
