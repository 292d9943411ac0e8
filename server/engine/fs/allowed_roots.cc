#include "server/engine/fs/allowed_roots.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "server/engine/base/text.h"
#include "server/engine/fs/path_text.h"

namespace sidecard::engine {
namespace {

// realpath(3) into a std::string; errno describes a failure.
bool RealPath(const std::string& path, std::string& resolved) {
  std::unique_ptr<char, decltype(&std::free)> buffer(realpath(path.c_str(), nullptr), &std::free);
  if (buffer == nullptr) return false;
  resolved = buffer.get();
  return true;
}

}  // namespace

std::string NormalizeLexically(std::string_view absolute_path) {
  std::vector<std::string_view> parts;
  for (std::string_view part : SplitNonEmpty(absolute_path, '/')) {
    if (part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  std::string normalized;
  for (std::string_view part : parts) normalized += Concat("/", part);
  return normalized.empty() ? "/" : normalized;
}

bool IsWithin(std::string_view path, std::string_view root) {
  if (root == "/") return true;
  if (path.size() < root.size() || path.substr(0, root.size()) != root) return false;
  return path.size() == root.size() || path[root.size()] == '/';
}

absl::StatusOr<AllowedRoots> AllowedRoots::Create(const std::vector<std::string>& roots) {
  if (roots.empty()) return absl::InvalidArgumentError("at least one allowed root is required");
  std::vector<std::string> resolved_roots;
  std::vector<UniqueFd> fds;
  for (const std::string& root : roots) {
    std::string resolved;
    if (!RealPath(root, resolved)) {
      return absl::InvalidArgumentError(
          Concat("allowed root ", DisplayPath(root), ": ", std::strerror(errno)));
    }
    // O_PATH: searching needs no read permission on the root itself.
    UniqueFd fd(open(resolved.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    struct stat st {};
    if (!fd.valid() || fstat(fd.get(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return absl::InvalidArgumentError(
          Concat("allowed root ", DisplayPath(root), " is not a directory"));
    }
    resolved_roots.push_back(std::move(resolved));
    fds.push_back(std::move(fd));
  }
  return AllowedRoots(std::move(resolved_roots), std::move(fds));
}

std::optional<AllowedRoots::Anchor> AllowedRoots::AnchorOf(std::string_view resolved) const {
  std::optional<Anchor> best;
  for (size_t i = 0; i < roots_.size(); ++i) {
    const std::string& root = roots_[i];
    if (!IsWithin(resolved, root) || (best && best->root.size() >= root.size())) continue;
    std::string_view relative = resolved.substr(root.size());
    while (!relative.empty() && relative.front() == '/') relative.remove_prefix(1);
    best = Anchor{(*fds_)[i].get(), root, relative};
  }
  return best;
}

bool AllowedRoots::Contains(std::string_view resolved) const {
  for (const std::string& root : roots_) {
    if (IsWithin(resolved, root)) return true;
  }
  return false;
}

absl::StatusOr<std::string> AllowedRoots::ResolveDirectory(std::string_view path) const {
  if (path.empty()) return absl::InvalidArgumentError("root: a directory path is required");
  if (path.front() != '/') {
    return absl::InvalidArgumentError(
        Concat("root ", DisplayPath(path), " must be an absolute path"));
  }
  // Refuse paths that are outside before touching the filesystem, so a
  // caller learns nothing about what exists elsewhere.
  if (!Contains(NormalizeLexically(path))) {
    return absl::PermissionDeniedError(Concat(DisplayPath(path), " is outside the allowed roots"));
  }
  std::string resolved;
  if (!RealPath(std::string(path), resolved)) {
    const int error = errno;
    if (error == ENOENT || error == ENOTDIR) {
      return absl::NotFoundError(Concat("root ", DisplayPath(path), " does not exist"));
    }
    if (error == EACCES) {
      return absl::PermissionDeniedError(
          Concat("root ", DisplayPath(path), ": ", std::strerror(error)));
    }
    return absl::InvalidArgumentError(
        Concat("root ", DisplayPath(path), ": ", std::strerror(error)));
  }
  if (!Contains(resolved)) {
    return absl::PermissionDeniedError(Concat(
        DisplayPath(path), " resolves to ", DisplayPath(resolved), ", outside the allowed roots"));
  }
  struct stat st {};
  if (stat(resolved.c_str(), &st) != 0) {
    return absl::NotFoundError(Concat("root ", DisplayPath(path), " does not exist"));
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(Concat("root ", DisplayPath(path), " is not a directory"));
  }
  return resolved;
}

}  // namespace sidecard::engine
