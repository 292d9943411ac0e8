// One directory of the library, listed once and paired (docs/CONTRACT.md §1): its
// images (regular files and symlinks that resolve to images), its sidecar
// files with the image each belongs to, its foreign files, the daemon's own
// working files (working_files.h) and subdirectories.
// Names are kept in the bytewise order of their full paths, so a depth-first
// walk over scans visits files in sorted path order.
#ifndef SIDECARD_SERVER_ENGINE_LIBRARY_DIRECTORY_SCAN_H_
#define SIDECARD_SERVER_ENGINE_LIBRARY_DIRECTORY_SCAN_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "server/engine/base/unique_fd.h"
#include "server/engine/cache/directory_watcher.h"
#include "server/engine/cache/listing_cache.h"
#include "server/engine/formats/sidecar_codec.h"
#include "server/engine/fs/allowed_roots.h"
#include "server/engine/library/naming.h"
#include "server/engine/recovery/working_files.h"

namespace sidecard::engine {

// The folder Cleanup moves orphans into; never scanned.
inline constexpr std::string_view kQuarantineDirName = ".sidecard-quarantine";

struct ImageEntry {
  std::string name;
  bool is_symlink = false;
  // For a symlink: the fully resolved target (realpath semantics).
  std::string resolved_target;
  // For a symlink: its target lies outside the allowed roots (never read).
  bool target_outside_roots = false;
};

struct SidecarFile {
  std::string name;
  SidecarFormat format = SidecarFormat::kJson;
  // Index into DirectoryScan::images of the image it belongs to, if any.
  std::optional<size_t> image;
  // Stem of the image it belongs to, folded to lower case: the key that
  // groups `x.bin`, `x.json` and `x_face_detection.json` together.
  std::string group_key;
  // An old `<stem>_<operation>.json` per-operation file.
  bool legacy_operation_file = false;
};

struct DirectoryScan {
  // Relative to the walk's root ("" for the root itself), and absolute.
  std::string relative_path;
  std::string absolute_path;
  UniqueFd fd;
  // The inotify watch on this directory, added before it was listed; null
  // with --no-watch or when it could not be watched.
  std::shared_ptr<const WatchedDirectory> watch;
  // The watch's generation read after it was added and before listing: the
  // state every later look at this directory is compared against; 0 with no
  // watch.
  uint64_t watched_generation = 0;

  std::vector<ImageEntry> images;
  std::vector<SidecarFile> sidecars;
  std::vector<std::string> subdirectories;
  // Sidecar-extension files that are never sidecars (by name, or a symlink).
  std::vector<std::string> foreign_files;
  // The daemon's working files, each stat'ed by this scan (a remembered
  // listing has only names): whether one is a stray is decided afresh.
  std::vector<WorkingFile> working_files;
  int64_t broken_symlinks = 0;
  int64_t directory_symlinks = 0;
  // Symlinks of any kind listed here: what they lead to can change without
  // an event on this directory.
  int64_t symlinks = 0;

  // Files and subdirectories interleaved in sorted path order.
  struct Step {
    bool is_subdirectory;
    size_t index;  // into `sidecars` or `subdirectories`
  };
  std::vector<Step> order;

  // Path of entry `name` relative to the walk's root / absolute.
  std::string RelativePathOf(std::string_view name) const;
  std::string AbsolutePathOf(std::string_view name) const;
};

struct ScanOptions {
  const ImageExtensions* image_extensions = &ImageExtensions::Default();
  // For resolving symlinked images; targets outside are not followed further.
  const AllowedRoots* allowed_roots = nullptr;
  // Remembered listings of unchanged directories; null: always list.
  DirectoryListings* listings = nullptr;
  // Watches every directory scanned (directory_watcher.h); null: none.
  DirectoryWatcher* watcher = nullptr;
};

// Lists and pairs the directory open as `fd` (takes ownership).
absl::StatusOr<DirectoryScan> ScanDirectory(UniqueFd fd, std::string relative_path,
                                            std::string absolute_path, const ScanOptions& options);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_LIBRARY_DIRECTORY_SCAN_H_
