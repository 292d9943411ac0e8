#include "server/engine/formats/sidecar_codec.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "server/engine/formats/json_text.h"

namespace sidecard::engine {
namespace {

constexpr size_t kHeaderSize = 8;
constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
constexpr std::array<SidecarFormat, 3> kAllFormats = {SidecarFormat::kBin, SidecarFormat::kRkyv,
                                                      SidecarFormat::kJson};

// "1 byte", "63 bytes".
std::string ByteCount(uint64_t count) {
  return std::to_string(count) + (count == 1 ? " byte" : " bytes");
}

bool EqualsIgnoringAsciiCase(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return absl::ascii_tolower(static_cast<unsigned char>(x)) ==
           absl::ascii_tolower(static_cast<unsigned char>(y));
  });
}

uint64_t ReadLittleEndian64(std::string_view bytes) {
  uint64_t value = 0;
  for (size_t i = kHeaderSize; i-- > 0;) {
    value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  }
  return value;
}

void WriteLittleEndian64(uint64_t value, char* out) {
  for (size_t i = 0; i < kHeaderSize; ++i) {
    out[i] = static_cast<char>(value & 0xFF);
    value >>= 8;
  }
}

// .bin and .rkyv: an 8-byte length header, the JSON body, and possibly bytes
// after it, which the old reader ignored and we report.
absl::StatusOr<DecodedSidecar> DecodeLengthPrefixed(SidecarFormat format, std::string_view bytes,
                                                    NumberPrecision precision) {
  if (bytes.size() < kHeaderSize) {
    return absl::InvalidArgumentError("too short: " + ByteCount(bytes.size()) + ", a ." +
                                      std::string(FormatName(format)) +
                                      " file needs an 8-byte length header");
  }
  const uint64_t body_size = ReadLittleEndian64(bytes);
  const std::string_view rest = bytes.substr(kHeaderSize);
  if (body_size > rest.size()) {
    return absl::InvalidArgumentError("length header says " + ByteCount(body_size) + " but only " +
                                      std::to_string(rest.size()) +
                                      (rest.size() == 1 ? " follows" : " follow"));
  }
  absl::StatusOr<rapidjson::Document> document =
      ParseJson(rest.substr(0, body_size), /*offset_base=*/kHeaderSize, precision);
  if (!document.ok()) return document.status();

  DecodedSidecar decoded{std::move(*document), {}};
  if (const size_t trailing = rest.size() - body_size; trailing > 0) {
    decoded.warnings.push_back(std::to_string(trailing) + " trailing " +
                               (trailing == 1 ? "byte" : "bytes") + " after the " +
                               std::to_string(body_size) + "-byte body");
  }
  return decoded;
}

// .json: JSON text. Editors on some systems prepend a byte order mark, which
// is not JSON; skipping it loses nothing.
absl::StatusOr<DecodedSidecar> DecodeJsonText(std::string_view bytes, NumberPrecision precision) {
  std::vector<std::string> warnings;
  size_t offset = 0;
  if (bytes.starts_with(kUtf8Bom)) {
    offset = kUtf8Bom.size();
    warnings.push_back("skipped a UTF-8 byte order mark at the start of the file");
  }
  absl::StatusOr<rapidjson::Document> document = ParseJson(bytes.substr(offset), offset, precision);
  if (!document.ok()) return document.status();
  return DecodedSidecar{std::move(*document), std::move(warnings)};
}

}  // namespace

std::string_view FormatName(SidecarFormat format) {
  switch (format) {
    case SidecarFormat::kBin:
      return "bin";
    case SidecarFormat::kRkyv:
      return "rkyv";
    case SidecarFormat::kJson:
      return "json";
  }
  return "unknown";
}

std::optional<SidecarFormat> FormatFromName(std::string_view name) {
  for (const SidecarFormat format : kAllFormats) {
    if (EqualsIgnoringAsciiCase(name, FormatName(format))) return format;
  }
  return std::nullopt;
}

int ReadPriority(SidecarFormat format) {
  switch (format) {
    case SidecarFormat::kBin:
      return 0;
    case SidecarFormat::kRkyv:
      return 1;
    case SidecarFormat::kJson:
      return 2;
  }
  return 3;
}

absl::StatusOr<DecodedSidecar> DecodeSidecar(SidecarFormat format, std::string_view bytes,
                                             NumberPrecision precision) {
  if (format == SidecarFormat::kJson) return DecodeJsonText(bytes, precision);
  // Every .rkyv written so far holds the .bin encoding (docs/CONTRACT.md §2).
  return DecodeLengthPrefixed(format, bytes, precision);
}

std::string EncodeSidecar(SidecarFormat format, const rapidjson::Value& document) {
  if (format == SidecarFormat::kJson) return PrettyJson(document) + "\n";
  // Reserve the header, append the body after it, then fill in its length.
  std::string out(kHeaderSize, '\0');
  AppendCanonicalJson(document, out);
  WriteLittleEndian64(out.size() - kHeaderSize, out.data());
  return out;
}

}  // namespace sidecard::engine
