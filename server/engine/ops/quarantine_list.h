// Lists a root's quarantine (quarantine_batches.h): every file of every batch
// (or of one), where it came from and its size, and each batch's figures.
// Reads only.
#ifndef SIDECARD_SERVER_ENGINE_OPS_QUARANTINE_LIST_H_
#define SIDECARD_SERVER_ENGINE_OPS_QUARANTINE_LIST_H_

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/engine/base/cancellation.h"
#include "server/engine/fs/allowed_roots.h"
#include "server/engine/ops/quarantine_batches.h"

namespace sidecard::engine {

struct QuarantinedFile {
  std::string batch;
  std::string path;      // absolute, in the batch
  std::string original;  // absolute, where it came from
  int64_t size_bytes = 0;
};

struct QuarantineListSummary {
  std::string root;
  std::string quarantine_dir;
  std::vector<QuarantineBatchInfo> batches;  // oldest first
  int64_t files = 0;
  int64_t bytes = 0;
  int64_t not_batches = 0;
  double duration_seconds = 0;
};

// Lists the quarantine of `root` (resolved and checked by the caller); only
// `batch` unless it is empty (InvalidArgument for a malformed ID, NotFound
// for a missing batch). A root without a quarantine has no batches. Files
// reach `sink` batch by batch, oldest first, each in sorted path order.
absl::StatusOr<QuarantineListSummary> ListQuarantine(
    const AllowedRoots& roots, const std::string& root, const std::string& batch,
    const Cancellation& cancellation,
    const std::function<bool(std::span<const QuarantinedFile>)>& sink);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_OPS_QUARANTINE_LIST_H_
