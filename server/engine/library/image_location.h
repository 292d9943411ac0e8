// Where an image named in a request really is, and so where its sidecar
// lives: beside the fully resolved image (docs/CONTRACT.md §1: relative links
// resolve against the link's own directory, chains are followed to the end).
#ifndef SIDECARD_SERVER_ENGINE_LIBRARY_IMAGE_LOCATION_H_
#define SIDECARD_SERVER_ENGINE_LIBRARY_IMAGE_LOCATION_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "server/engine/fs/allowed_roots.h"

namespace sidecard::engine {

struct ImageLocation {
  std::string requested_path;  // as the caller named it (absolute)
  std::string image_path;      // resolved, absolute
  bool via_symlink = false;    // requested_path != image_path
  bool exists = false;
  std::string directory;  // resolved directory holding the image and its sidecar
  std::string stem;       // the image's stem: the sidecar's name without extension
};

// Resolves `image_path`. Errors: InvalidArgument (relative, empty, a
// directory), PermissionDenied (outside the allowed roots, before or after
// resolving), NotFound (missing, unless `allow_missing`; then its directory
// must exist).
absl::StatusOr<ImageLocation> LocateImage(const AllowedRoots& roots, std::string_view image_path,
                                          bool allow_missing);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_LIBRARY_IMAGE_LOCATION_H_
