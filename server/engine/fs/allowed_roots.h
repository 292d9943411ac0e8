// The directories the daemon may read and change. Every path in a request is
// resolved (symlinks followed, like realpath) and must lie inside one of them.
//
// Each root is also held open (O_PATH) from creation on: the filesystem is
// only ever entered from these descriptors (sandboxed_open.h), never again by
// an absolute path, so what a root is cannot change under a running call. A
// SIGHUP reload creates a new AllowedRoots; calls running keep the old one.
#ifndef SIDECARD_SERVER_ENGINE_FS_ALLOWED_ROOTS_H_
#define SIDECARD_SERVER_ENGINE_FS_ALLOWED_ROOTS_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "server/engine/base/unique_fd.h"

namespace sidecard::engine {

class AllowedRoots {
 public:
  // Resolves each root; each must exist and be a directory.
  static absl::StatusOr<AllowedRoots> Create(const std::vector<std::string>& roots);

  // Resolves a directory named in a request. Errors:
  //   InvalidArgument   empty or relative path, or not a directory;
  //   PermissionDenied  outside every allowed root (before or after resolving);
  //   NotFound          does not exist.
  absl::StatusOr<std::string> ResolveDirectory(std::string_view path) const;

  // True when `resolved` (an absolute path without symlinks, `.` or `..`) is
  // one of the roots or lies below one.
  bool Contains(std::string_view resolved) const;

  const std::vector<std::string>& roots() const { return roots_; }

  // Where `resolved` (as for Contains) lies: the descriptor of the innermost
  // root holding it and the path below that root ("" for the root itself).
  struct Anchor {
    int root_fd = -1;
    std::string_view root;
    std::string_view relative;
  };
  std::optional<Anchor> AnchorOf(std::string_view resolved) const;

 private:
  AllowedRoots(std::vector<std::string> roots, std::vector<UniqueFd> fds)
      : roots_(std::move(roots)),
        fds_(std::make_shared<const std::vector<UniqueFd>>(std::move(fds))) {}
  std::vector<std::string> roots_;
  // Parallel to roots_; shared by copies, closed with the last one.
  std::shared_ptr<const std::vector<UniqueFd>> fds_;
};

// Removes `.` and `..` components and repeated slashes without touching the
// filesystem: "/a/./b/../c//" → "/a/c". Expects an absolute path.
std::string NormalizeLexically(std::string_view absolute_path);

// True when `path` equals `root` or lies below it (both normalized).
bool IsWithin(std::string_view path, std::string_view root);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_FS_ALLOWED_ROOTS_H_
