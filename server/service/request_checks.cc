#include "server/service/request_checks.h"

namespace sidecard::service {

absl::Status CheckOperationFilter(const std::string& filter) {
  constexpr size_t kMaxLength = 128;
  if (filter.size() > kMaxLength) {
    return absl::InvalidArgumentError("operation_filter: longer than 128 characters");
  }
  for (char c : filter) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!allowed) {
      return absl::InvalidArgumentError(
          "operation_filter: '" + filter +
          "' is not an operation name (lower-case letters, digits and '_', e.g. face_detection)");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckBatchSize(int32_t requested, int32_t& effective) {
  if (requested < 0 || requested > kMaxBatchSize) {
    return absl::InvalidArgumentError("batch_size: must be between 0 (default) and 4096, got " +
                                      std::to_string(requested));
  }
  effective = requested == 0 ? kDefaultBatchSize : requested;
  return absl::OkStatus();
}

}  // namespace sidecard::service
