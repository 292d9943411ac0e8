// Paths in requests. File names are bytes, but a proto3 string field must be
// valid UTF-8 (gRPC refuses a request that breaks this, with INTERNAL and no
// message), so each path field of a request has a bytes twin, `raw_root` or
// `raw_image_path`. These put a path into the right one:
//
//   sidecar::v1::ReadSidecarRequest request;
//   sidecard::SetImagePath(request, name_from_readdir);  // any bytes
#ifndef SIDECARD_CLIENT_CPP_REQUEST_PATH_H_
#define SIDECARD_CLIENT_CPP_REQUEST_PATH_H_

#include <string>
#include <string_view>
#include <utility>

namespace sidecard {

// True when `text` is valid UTF-8 (no overlong forms, surrogates or code
// points above U+10FFFF), as protobuf checks it.
bool IsValidUtf8(std::string_view text);

// Sets `root` of a Validate, Stats, Cleanup, Export or Convert request, or
// `raw_root` when `path` is not valid UTF-8; clears the other.
template <typename Request>
void SetRoot(Request& request, std::string path) {
  if (IsValidUtf8(path)) {
    request.clear_raw_root();
    request.set_root(std::move(path));
  } else {
    request.clear_root();
    request.set_raw_root(std::move(path));
  }
}

// Sets `image_path` of a ReadSidecar or SaveSidecar request, or
// `raw_image_path` when `path` is not valid UTF-8; clears the other.
template <typename Request>
void SetImagePath(Request& request, std::string path) {
  if (IsValidUtf8(path)) {
    request.clear_raw_image_path();
    request.set_image_path(std::move(path));
  } else {
    request.clear_image_path();
    request.set_raw_image_path(std::move(path));
  }
}

}  // namespace sidecard

#endif  // SIDECARD_CLIENT_CPP_REQUEST_PATH_H_
