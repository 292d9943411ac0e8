// The one way the engine enters the filesystem by path: a directory that an
// earlier resolution (AllowedRoots::ResolveDirectory, LocateImage) proved to
// lie inside an allowed root is opened by descending from that root's
// descriptor, never by its absolute path, and without following any symlink.
//
// The path was already fully resolved, so a symlink met now means the tree
// changed between the check and the use (a directory swapped for a link to
// elsewhere): the open is refused instead of following it. Everything below
// the returned directory is then opened relative to its descriptor with
// O_NOFOLLOW (tree_walk, file_inspection, atomic_file), so a call can
// never read, write or delete outside the roots, whatever is renamed or
// linked meanwhile.
//
// Linux openat2(2) does the descent in the kernel (RESOLVE_BENEATH,
// RESOLVE_NO_SYMLINKS, RESOLVE_NO_MAGICLINKS); where it is missing (ENOSYS:
// kernels before 5.6, some seccomp filters) a walk one component at a time
// with O_NOFOLLOW gives the same guarantee.
#ifndef SIDECARD_SERVER_ENGINE_FS_SANDBOXED_OPEN_H_
#define SIDECARD_SERVER_ENGINE_FS_SANDBOXED_OPEN_H_

#include <string_view>

#include "absl/status/statusor.h"
#include "server/engine/base/unique_fd.h"
#include "server/engine/fs/allowed_roots.h"

namespace sidecard::engine {

// Opens the directory `resolved_path` (absolute, without symlinks, `.` or
// `..`) for reading. Errors name the path:
//   PermissionDenied  outside the allowed roots, a symlink on the way ("changed
//                     while in use: a symlink appeared"), or no permission;
//   NotFound          a component is missing or not a directory (it may have
//                     been renamed meanwhile);
//   FailedPrecondition  the root's path no longer names the directory pinned
//                     at creation (moved, replaced, mounted over): reload.
absl::StatusOr<UniqueFd> OpenDirectoryBeneath(const AllowedRoots& roots,
                                              std::string_view resolved_path);

// How OpenDirectoryBeneath descends; kAuto is openat2 with the walk as its
// fallback. The others exist so tests can check both on any kernel.
enum class BeneathMethod { kAuto, kOpenat2, kWalk };

absl::StatusOr<UniqueFd> OpenDirectoryBeneath(const AllowedRoots& roots,
                                              std::string_view resolved_path, BeneathMethod method);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_FS_SANDBOXED_OPEN_H_
