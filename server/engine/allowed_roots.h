// The directories the daemon may read and change. Every path in a request is
// resolved (symlinks followed, like realpath) and must lie inside one of them.
#ifndef SIDECARD_SERVER_ENGINE_ALLOWED_ROOTS_H_
#define SIDECARD_SERVER_ENGINE_ALLOWED_ROOTS_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

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

 private:
  explicit AllowedRoots(std::vector<std::string> roots) : roots_(std::move(roots)) {}
  std::vector<std::string> roots_;
};

// Removes `.` and `..` components and repeated slashes without touching the
// filesystem: "/a/./b/../c//" → "/a/c". Expects an absolute path.
std::string NormalizeLexically(std::string_view absolute_path);

// True when `path` equals `root` or lies below it (both normalized).
bool IsWithin(std::string_view path, std::string_view root);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_ALLOWED_ROOTS_H_
