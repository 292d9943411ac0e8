// Checks of request fields that do not need the filesystem.
#ifndef SIDECARD_SERVER_SERVICE_REQUEST_CHECKS_H_
#define SIDECARD_SERVER_SERVICE_REQUEST_CHECKS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace sidecard::service {

// Streamed results per message when a request leaves batch_size at 0.
inline constexpr int32_t kDefaultBatchSize = 256;
inline constexpr int32_t kMaxBatchSize = 4096;

// An operation filter is empty or a snake_case name (`face_detection`).
absl::Status CheckOperationFilter(const std::string& filter);

// batch_size is 0 (default) or 1..kMaxBatchSize; returns the size to use.
absl::Status CheckBatchSize(int32_t requested, int32_t& effective);

}  // namespace sidecard::service

#endif  // SIDECARD_SERVER_SERVICE_REQUEST_CHECKS_H_
