#include "server/engine/library/image_location.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "server/engine/base/text.h"
#include "server/engine/fs/path_text.h"
#include "server/engine/library/naming.h"

namespace sidecard::engine {
namespace {

struct FreeDeleter {
  void operator()(char* p) const { std::free(p); }
};

bool RealPath(const std::string& path, std::string& resolved) {
  std::unique_ptr<char, FreeDeleter> buffer(realpath(path.c_str(), nullptr));
  if (buffer == nullptr) return false;
  resolved = buffer.get();
  return true;
}

std::pair<std::string, std::string> SplitDirectory(const std::string& path) {
  const size_t slash = path.rfind('/');
  return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

absl::Status Outside(const std::string& path) {
  return absl::PermissionDeniedError(Concat(DisplayPath(path), " is outside the allowed roots"));
}

}  // namespace

absl::StatusOr<ImageLocation> LocateImage(const AllowedRoots& roots, std::string_view image_path,
                                          bool allow_missing) {
  if (image_path.empty()) return absl::InvalidArgumentError("image_path: a path is required");
  if (image_path.front() != '/') {
    return absl::InvalidArgumentError(
        Concat("image_path ", DisplayPath(image_path), " must be an absolute path"));
  }
  ImageLocation location;
  location.requested_path = NormalizeLexically(image_path);
  if (!roots.Contains(location.requested_path)) return Outside(location.requested_path);

  struct stat st {};
  if (lstat(location.requested_path.c_str(), &st) != 0 ||
      !RealPath(location.requested_path, location.image_path)) {
    const bool broken_link = S_ISLNK(st.st_mode);
    if (!allow_missing || broken_link) {
      return absl::NotFoundError(Concat(broken_link ? "image is a broken symlink: " : "image ",
                                        DisplayPath(location.requested_path),
                                        broken_link ? "" : " does not exist"));
    }
    // A sidecar for an image that is not there yet: its directory must be.
    auto [directory, name] = SplitDirectory(location.requested_path);
    std::string resolved_directory;
    if (!RealPath(directory, resolved_directory)) {
      return absl::NotFoundError(Concat("directory ", DisplayPath(directory), " does not exist"));
    }
    location.image_path = resolved_directory == "/" ? "/" + name : resolved_directory + "/" + name;
  } else {
    location.exists = true;
    if (stat(location.image_path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      return absl::InvalidArgumentError(
          Concat("image_path ", DisplayPath(location.requested_path), " is a directory"));
    }
  }
  if (!roots.Contains(location.image_path)) {
    return absl::PermissionDeniedError(Concat(DisplayPath(location.requested_path), " resolves to ",
                                              DisplayPath(location.image_path),
                                              ", outside the allowed roots"));
  }
  location.via_symlink = location.image_path != location.requested_path;
  auto [directory, name] = SplitDirectory(location.image_path);
  location.directory = std::move(directory);
  location.stem = std::string(SplitName(name).stem);
  return location;
}

}  // namespace sidecard::engine
