// Depth-first walk of a tree below a resolved root, one DirectoryScan per
// directory, yielding sidecar files in bytewise sorted path order.
//
// The root is opened from its allowed root's descriptor without following
// symlinks (sandboxed_open.h); every directory below relative to its parent's
// descriptor with O_NOFOLLOW, so the walk never follows a directory symlink
// out of the root and never re-opens a directory by path. Symlinks to files
// are the exception, by design: the scan resolves each by its path
// (realpath, stat; directory_scan.cc) to tell a linked image from a broken
// link and to mark targets outside the allowed roots, and reads nothing
// through it. Only the directories on the current path stay open, so memory
// and descriptors grow with depth, not with the tree.
#ifndef SIDECARD_SERVER_ENGINE_LIBRARY_TREE_WALK_H_
#define SIDECARD_SERVER_ENGINE_LIBRARY_TREE_WALK_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/engine/library/directory_scan.h"

namespace sidecard::engine {

// A sidecar file found by the walk; keeps its directory (and descriptor)
// alive.
struct SidecarRef {
  std::shared_ptr<const DirectoryScan> directory;
  size_t index = 0;

  const SidecarFile& file() const { return directory->sidecars[index]; }
};

struct WalkOptions {
  bool recursive = true;
  ScanOptions scan;
  // Called once for every directory scanned, before its files are yielded.
  // Returns whether to yield them: false when the caller has what it needs
  // of this directory's files already (its subdirectories are still walked).
  std::function<bool(const DirectoryScan&)> on_directory;
  // Most files (images and sidecar files) the walk may find; 0: no limit.
  // The directory that would go over it is not yielded, nor anything after.
  int64_t max_files = 0;
  // Asked before each directory is entered: true ends the walk there (for
  // a background pass that must stop promptly at shutdown); null: never.
  std::function<bool()> stop;
};

class TreeWalk {
 public:
  // Opens (beneath `roots`) and scans `root` (absolute, already resolved and
  // checked).
  static absl::StatusOr<std::unique_ptr<TreeWalk>> Open(const AllowedRoots& roots,
                                                        const std::string& root,
                                                        WalkOptions options);

  // The walk's root directory, open for as long as the walk lives: what a
  // call that changes the tree works in (never its path, which may have been
  // swapped for a symlink since).
  int root_fd() const { return root_->fd.get(); }

  // The next sidecar file in sorted path order; false when the walk is done.
  bool Next(SidecarRef& out);

  // Directories that could not be opened or listed, with the reason.
  struct DirectoryError {
    std::string path;  // absolute
    std::string reason;
  };
  const std::vector<DirectoryError>& directory_errors() const { return errors_; }

  // ResourceExhausted once the walk stopped at WalkOptions::max_files (Next
  // then returns false), else OK.
  const absl::Status& limit_status() const { return limit_status_; }

 private:
  struct Frame {
    std::shared_ptr<DirectoryScan> scan;
    size_t position = 0;
    bool yield_files = true;
  };

  explicit TreeWalk(WalkOptions options) : options_(std::move(options)) {}
  void Enter(const Frame& parent, const std::string& name);
  // Counts the files of `scan`; false (and limit_status_ set) when they go
  // over max_files.
  bool Admit(const DirectoryScan& scan);

  WalkOptions options_;
  std::shared_ptr<const DirectoryScan> root_;
  std::string root_path_;  // as given to Open, for messages
  int64_t files_ = 0;
  absl::Status limit_status_;
  std::vector<Frame> stack_;
  std::vector<DirectoryError> errors_;
};

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_LIBRARY_TREE_WALK_H_
