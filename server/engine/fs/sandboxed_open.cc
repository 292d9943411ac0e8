#include "server/engine/fs/sandboxed_open.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "server/engine/base/text.h"
#include "server/engine/fs/path_text.h"

namespace sidecard::engine {
namespace {

constexpr int kDirectoryFlags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;

// Set once openat2 answered ENOSYS: later calls walk straight away.
std::atomic<bool> openat2_missing{false};

// The outcome of one attempt: a descriptor, or the errno that stopped it.
struct Attempt {
  UniqueFd fd;
  int error = 0;
};

Attempt OpenWithOpenat2(int root_fd, const std::string& relative) {
  open_how how{};
  how.flags = kDirectoryFlags;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  while (true) {
    const long fd = syscall(SYS_openat2, root_fd, relative.c_str(), &how, sizeof(how));
    if (fd >= 0) return {UniqueFd(static_cast<int>(fd)), 0};
    if (errno != EINTR) return {UniqueFd(), errno};
  }
}

// One component at a time from the root's descriptor. Each is opened as a
// bare handle (O_PATH|O_NOFOLLOW: a symlink yields a handle on the link
// itself, never its target) and classified by fstat on that handle, so what
// is checked is exactly what is entered. Only the last one is opened for
// reading; the others need search permission only.
Attempt OpenByWalk(int root_fd, const std::string& relative) {
  std::vector<std::string_view> parts = SplitNonEmpty(relative, '/');
  std::erase(parts, std::string_view("."));
  UniqueFd current;
  int parent = root_fd;
  for (std::string_view part : parts) {
    const std::string name(part);
    if (name == "..") return {UniqueFd(), EXDEV};  // resolved paths never hold one
    int fd;
    do {
      fd = openat(parent, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return {UniqueFd(), errno};
    current = UniqueFd(fd);
    struct stat st {};
    if (fstat(current.get(), &st) != 0) return {UniqueFd(), errno};
    if (S_ISLNK(st.st_mode)) return {UniqueFd(), ELOOP};
    if (!S_ISDIR(st.st_mode)) return {UniqueFd(), ENOTDIR};
    parent = current.get();
  }
  int fd;
  do {
    fd = openat(parent, ".", kDirectoryFlags);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return {UniqueFd(), errno};
  return {UniqueFd(fd), 0};
}

absl::Status ErrorFor(std::string_view path, int error) {
  const std::string shown = DisplayPath(path);
  switch (error) {
    case ELOOP:
      return absl::PermissionDeniedError(
          Concat(shown, " changed while in use: a symlink appeared on the way; refused"));
    case EXDEV:
      return absl::PermissionDeniedError(Concat(shown, " leads outside the allowed roots"));
    case ENOENT:
    case ENOTDIR:
      return absl::NotFoundError(
          Concat("cannot open ", shown, ": ", std::strerror(error), " (it may have been moved)"));
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(Concat("cannot open ", shown, ": ", std::strerror(error)));
    case EMFILE:
    case ENFILE:
    case ENOMEM:
      return absl::ResourceExhaustedError(
          Concat("cannot open ", shown, ": ", std::strerror(error)));
    default:
      return absl::FailedPreconditionError(
          Concat("cannot open ", shown, ": ", std::strerror(error)));
  }
}

// The pinned root must still be what its path names: a root moved, replaced
// or mounted over since the daemon opened it would otherwise be served from
// the old (hidden) directory while requests name the new one.
absl::Status CheckRootStillNamed(const AllowedRoots::Anchor& anchor) {
  struct stat pinned {};
  struct stat named {};
  if (fstat(anchor.root_fd, &pinned) == 0 && stat(std::string(anchor.root).c_str(), &named) == 0 &&
      pinned.st_dev == named.st_dev && pinned.st_ino == named.st_ino) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(
      Concat("allowed root ", DisplayPath(anchor.root),
             " is no longer the directory opened at start or reload (moved, replaced or mounted "
             "over); reload the daemon (SIGHUP) to serve what is there now"));
}

}  // namespace

absl::StatusOr<UniqueFd> OpenDirectoryBeneath(const AllowedRoots& roots,
                                              std::string_view resolved_path,
                                              BeneathMethod method) {
  const auto anchor = roots.AnchorOf(resolved_path);
  if (!anchor) return ErrorFor(resolved_path, EXDEV);
  if (absl::Status same = CheckRootStillNamed(*anchor); !same.ok()) return same;
  const std::string relative = anchor->relative.empty() ? "." : std::string(anchor->relative);
  Attempt attempt;
  bool walk = method == BeneathMethod::kWalk ||
              (method == BeneathMethod::kAuto && openat2_missing.load(std::memory_order_relaxed));
  if (!walk) {
    attempt = OpenWithOpenat2(anchor->root_fd, relative);
    // ENOSYS: no openat2 here. EPERM may be a seccomp filter, EINVAL/E2BIG an
    // older openat2, EAGAIN a rename racing the lookup: the walk decides.
    switch (attempt.error) {
      case ENOSYS:
        if (method == BeneathMethod::kAuto) openat2_missing.store(true);
        walk = method == BeneathMethod::kAuto;
        break;
      case EPERM:
      case EINVAL:
      case E2BIG:
      case EAGAIN:
        walk = method == BeneathMethod::kAuto;
        break;
      default:
        break;
    }
  }
  if (walk) attempt = OpenByWalk(anchor->root_fd, relative);
  if (!attempt.fd.valid()) return ErrorFor(resolved_path, attempt.error);
  return std::move(attempt.fd);
}

absl::StatusOr<UniqueFd> OpenDirectoryBeneath(const AllowedRoots& roots,
                                              std::string_view resolved_path) {
  return OpenDirectoryBeneath(roots, resolved_path, BeneathMethod::kAuto);
}

}  // namespace sidecard::engine
