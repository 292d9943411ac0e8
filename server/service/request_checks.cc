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

absl::StatusOr<std::string> RequestPath(std::string_view field, const std::string& text,
                                        const std::string& raw) {
  if (!text.empty() && !raw.empty()) {
    const std::string name(field);
    return absl::InvalidArgumentError(name + " and raw_" + name + " are both set: set one (raw_" +
                                      name + " for a path that is not valid UTF-8)");
  }
  return raw.empty() ? text : raw;
}

}  // namespace sidecard::service
