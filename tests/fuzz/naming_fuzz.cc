// Fuzzes the rules applied to file names and request paths, which come from
// the disk and from callers as arbitrary bytes: splitting a name into stem
// and extension, case folding, image/sidecar/foreign recognition, old
// per-operation names, display of non-UTF-8 names, and the lexical
// normalisation and containment test that guard the allowed roots.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "server/engine/documents/operations.h"
#include "server/engine/fs/allowed_roots.h"
#include "server/engine/fs/path_text.h"
#include "server/engine/library/naming.h"

namespace {

using sidecard::fuzz::Check;
namespace engine = sidecard::engine;

std::string UpperCase(std::string_view text) {
  std::string upper(text);
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return upper;
}

void CheckName(std::string_view name) {
  const engine::NameParts parts = engine::SplitName(name);
  if (parts.extension.empty()) {
    Check(parts.stem == name || parts.stem.size() + 1 == name.size(),
          "a name without an extension is its own stem (or ends in a dot)");
  } else {
    Check(std::string(parts.stem) + "." + std::string(parts.extension) == name,
          "stem.extension is the name");
    Check(!parts.stem.empty() && parts.extension.find('.') == std::string_view::npos,
          "the extension follows the last dot of a non-empty stem");
  }

  const std::string folded = engine::FoldCase(name);
  Check(folded.size() == name.size() && engine::FoldCase(folded) == folded,
        "folding keeps the length and is idempotent");
  const std::string upper = UpperCase(name);
  const auto& images = engine::ImageExtensions::Default();
  Check(images.IsImageName(name) == images.IsImageName(upper), "image names ignore case");
  Check(engine::SidecarFormatOfName(name) == engine::SidecarFormatOfName(upper),
        "sidecar names ignore case");
  Check(engine::IsForeignName(name) == engine::IsForeignName(upper), "foreign names ignore case");

  if (const auto legacy = engine::SplitLegacyOperationStem(parts.stem)) {
    Check(!legacy->image_stem.empty() && engine::IsKnownOperation(legacy->operation),
          "an old per-operation stem names an image stem and a known operation");
    Check(std::string(legacy->image_stem) + "_" + std::string(legacy->operation) == parts.stem,
          "image stem _ operation is the stem");
  }

  const std::string shown = engine::DisplayPath(name);
  Check(engine::IsValidUtf8(shown), "a displayed name is valid UTF-8");
  Check((shown == name) == engine::IsValidUtf8(name),
        "a name is displayed as is exactly when it is valid UTF-8");
}

void CheckPath(std::string_view path) {
  const std::string normalized = engine::NormalizeLexically(path);
  Check(normalized.front() == '/', "a normalised path is absolute");
  Check(normalized == "/" || normalized.back() != '/', "a normalised path has no trailing slash");
  Check(normalized.find("//") == std::string::npos, "a normalised path has no empty component");
  const std::string padded = normalized + "/";
  Check(padded.find("/./") == std::string::npos && padded.find("/../") == std::string::npos,
        "a normalised path has no . or .. component");
  Check(engine::NormalizeLexically(normalized) == normalized, "normalising is idempotent");
  Check(engine::IsWithin(normalized, normalized), "a path is within itself");
  Check(engine::IsWithin(engine::NormalizeLexically(normalized + "/child"), normalized),
        "a child is within its parent");
  Check(engine::IsWithin(normalized, "/"), "everything is within /");
  // A sibling that merely shares a prefix is not within.
  if (normalized != "/") {
    Check(!engine::IsWithin(normalized + "x", normalized), "a prefix is not a parent");
    Check(!engine::IsWithin(engine::NormalizeLexically(normalized + "/.."), normalized) ||
              engine::NormalizeLexically(normalized + "/..") == normalized,
          "the parent is not within its child");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  CheckName(bytes);
  CheckPath(bytes);
  return 0;
}
