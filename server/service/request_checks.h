// Checks of request fields that do not need the filesystem.
#ifndef SIDECARD_SERVER_SERVICE_REQUEST_CHECKS_H_
#define SIDECARD_SERVER_SERVICE_REQUEST_CHECKS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/engine/fs/allowed_roots.h"

namespace sidecard::service {

// Streamed results per message when a request leaves batch_size at 0.
inline constexpr int32_t kDefaultBatchSize = 256;
inline constexpr int32_t kMaxBatchSize = 4096;

// An operation filter is empty or a snake_case name (`face_detection`).
absl::Status CheckOperationFilter(const std::string& filter);

// batch_size is 0 (default) or 1..kMaxBatchSize; returns the size to use.
absl::Status CheckBatchSize(int32_t requested, int32_t& effective);

// The path a request gives in the string field `field` (`text`, valid UTF-8
// as proto3 requires) or in its bytes twin raw_<field> (`raw`, for names that
// are not): whichever is set, "" when neither is (the resolver then says the
// path is required). Both set is InvalidArgument naming the two fields.
absl::StatusOr<std::string> RequestPath(std::string_view field, const std::string& text,
                                        const std::string& raw);

// RequestPath of a tree request's `root` / `raw_root`.
template <typename Request>
absl::StatusOr<std::string> RequestRoot(const Request& request) {
  return RequestPath("root", request.root(), request.raw_root());
}

// A tree request's root, resolved like realpath and checked to be a
// directory inside `allowed`: the first step of every tree operation.
template <typename Request>
absl::StatusOr<std::string> ResolveRequestRoot(const Request& request,
                                               const engine::AllowedRoots& allowed) {
  absl::StatusOr<std::string> requested = RequestRoot(request);
  if (!requested.ok()) return requested.status();
  return allowed.ResolveDirectory(*requested);
}

// RequestPath of an image request's `image_path` / `raw_image_path`.
template <typename Request>
absl::StatusOr<std::string> RequestImagePath(const Request& request) {
  return RequestPath("image_path", request.image_path(), request.raw_image_path());
}

}  // namespace sidecard::service

#endif  // SIDECARD_SERVER_SERVICE_REQUEST_CHECKS_H_
