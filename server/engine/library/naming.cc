#include "server/engine/library/naming.h"

#include <algorithm>
#include <array>

#include "server/engine/base/text.h"
#include "server/engine/documents/operations.h"

namespace sidecard::engine {

NameParts SplitName(std::string_view name) {
  const size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return {name, {}};
  return {name.substr(0, dot), name.substr(dot + 1)};
}

std::string FoldCase(std::string_view text) {
  std::string folded(text);
  for (char& c : folded) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return folded;
}

const ImageExtensions& ImageExtensions::Default() {
  static const ImageExtensions* const kDefault =
      new ImageExtensions({"jpg", "jpeg", "png", "tif", "tiff", "bmp", "webp", "gif", "heic",
                           "heif", "cr2", "cr3", "nef", "arw", "dng", "orf", "rw2", "raf"});
  return *kDefault;
}

ImageExtensions::ImageExtensions(const std::vector<std::string>& extensions) {
  for (std::string_view ext : extensions) {
    while (!ext.empty() && ext.front() == '.') ext.remove_prefix(1);
    if (!ext.empty()) folded_.insert(FoldCase(ext));
  }
}

bool ImageExtensions::IsImageName(std::string_view name) const {
  const std::string_view ext = SplitName(name).extension;
  return !ext.empty() && folded_.contains(FoldCase(ext));
}

std::vector<std::string> ImageExtensions::List() const {
  std::vector<std::string> list(folded_.begin(), folded_.end());
  std::sort(list.begin(), list.end());
  return list;
}

std::optional<SidecarFormat> SidecarFormatOfName(std::string_view name) {
  const std::string_view ext = SplitName(name).extension;
  if (ext.empty()) return std::nullopt;
  return FormatFromName(ext);
}

bool IsForeignName(std::string_view name) {
  // Exact names (compared case-insensitively) of files that are never sidecars.
  static constexpr std::array<std::string_view, 9> kForeignNames = {
      "game_detection.json", "face_clustering.json", "face_clusters.json",
      "package.json",        "package-lock.json",    "tsconfig.json",
      "jsconfig.json",       "composer.json",        "manifest.json"};
  const std::string folded = FoldCase(name);
  if (std::find(kForeignNames.begin(), kForeignNames.end(), folded) != kForeignNames.end()) {
    return true;
  }
  return folded.ends_with("_summary.json") || folded.ends_with("_report.json");
}

std::optional<LegacyOperationStem> SplitLegacyOperationStem(std::string_view stem) {
  for (std::string_view op : KnownOperations()) {
    if (stem.size() > op.size() + 1 && stem.ends_with(op) &&
        stem[stem.size() - op.size() - 1] == '_') {
      return LegacyOperationStem{stem.substr(0, stem.size() - op.size() - 1), op};
    }
  }
  return std::nullopt;
}

}  // namespace sidecard::engine
