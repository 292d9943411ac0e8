// Naming rules of the photo library (docs/CONTRACT.md §1): which names are images,
// which are sidecars, which are foreign files that must never be treated as
// sidecars, and how a sidecar's name pairs with its image.
#ifndef SIDECARD_SERVER_ENGINE_LIBRARY_NAMING_H_
#define SIDECARD_SERVER_ENGINE_LIBRARY_NAMING_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "server/engine/formats/sidecar_codec.h"

namespace sidecard::engine {

// A file name split at its last dot: `a.b.jpg` → stem `a.b`, extension `jpg`.
// A name without a dot, or whose only dot leads (`.hidden`), has no extension.
struct NameParts {
  std::string_view stem;
  std::string_view extension;
};
NameParts SplitName(std::string_view name);

// ASCII lower case; other bytes unchanged (names need not be UTF-8).
std::string FoldCase(std::string_view text);

// Which extensions are images. Matching is case-insensitive.
class ImageExtensions {
 public:
  // jpg jpeg png tif tiff bmp webp gif heic heif and the common RAW formats.
  static const ImageExtensions& Default();
  // From a list such as {"jpg", "CR3"}; leading dots are ignored.
  explicit ImageExtensions(const std::vector<std::string>& extensions);

  bool IsImageName(std::string_view name) const;
  std::vector<std::string> List() const;

 private:
  absl::flat_hash_set<std::string> folded_;
};

// The sidecar format named by `name`'s extension (case-insensitive), or none.
std::optional<SidecarFormat> SidecarFormatOfName(std::string_view name);

// True for folder-level pipeline files and other programs' files that share a
// sidecar extension but are never per-image sidecars: game_detection.json,
// face_clustering.json, face_clusters.json, *_summary.json, *_report.json,
// package.json, package-lock.json, tsconfig.json, ...
bool IsForeignName(std::string_view name);

// For an old per-operation file `<image stem>_<operation>.json`, the image
// stem and the operation; none when the stem does not end in `_<known op>`.
struct LegacyOperationStem {
  std::string_view image_stem;
  std::string_view operation;
};
std::optional<LegacyOperationStem> SplitLegacyOperationStem(std::string_view stem);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_LIBRARY_NAMING_H_
