// Cleanup (docs/CONTRACT.md §4): finds orphaned sidecars — files that decode as a
// sidecar document and have no image of the same stem beside them — and, only
// when asked, deletes them or moves them into a quarantine folder inside the
// root from which they can be moved back.
//
// Never touched: foreign files (sidecar_membership.h: among them files
// without an image that do not decode), sidecars whose image exists,
// anything outside the root, anything changed since it was inspected. One
// failure never stops the rest.
//
// The daemon's own working files under the root are listed too, and their
// strays resolved with the orphans (working_file_cleanup.h).
#ifndef SIDECARD_SERVER_ENGINE_OPS_CLEANUP_H_
#define SIDECARD_SERVER_ENGINE_OPS_CLEANUP_H_

#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/engine/base/cancellation.h"
#include "server/engine/ops/parallel_inspection.h"
#include "server/engine/store/image_locks.h"

namespace sidecard::engine {

enum class CleanupMode { kDryRun, kDelete, kQuarantine };

enum class CleanupAction {
  kWouldRemove,
  kDeleted,
  kQuarantined,
  kSkippedTooRecent,
  kFailed,
  kSkippedChanged,
  // A stray `.sidecard-held-` working file (working_file_cleanup.h).
  kWouldRestore,
  kRestored,
  kWouldKeepAsConflict,
  kKeptAsConflict,
};

struct CleanupOptions {
  bool recursive = true;
  CleanupMode mode = CleanupMode::kDryRun;
  // Orphans modified more recently than this are kept.
  absl::Duration min_age = absl::ZeroDuration();
  // The clock, for min_age and the quarantine folder's name.
  absl::Time now = absl::Now();
  // The daemon's per-image write locks, taken to resolve a held working
  // file (stray_resolution.h); null: none.
  ImageLocks* image_locks = nullptr;
};

struct CleanupResult {
  std::string path;  // absolute, raw bytes
  CleanupAction action = CleanupAction::kWouldRemove;
  std::string destination;  // quarantine target, if any
  std::string error;
  int64_t size_bytes = 0;
  // One of the daemon's working files, not an orphan.
  bool working_file = false;
};

struct CleanupSummary {
  std::string root;
  CleanupMode mode = CleanupMode::kDryRun;
  int64_t orphans_found = 0;
  int64_t removed = 0;
  int64_t skipped = 0;
  int64_t failed = 0;
  int64_t bytes = 0;
  std::string quarantine_dir;  // absolute; set in quarantine mode
  int64_t sidecars_examined = 0;
  int64_t unreadable_directories = 0;
  // Sidecar-extension files that are not sidecars (by name, by content, or
  // a symlink): never touched, counted as Validate and Stats count them.
  int64_t foreign_files = 0;
  double duration_seconds = 0;
  // The daemon's working files (working_file_cleanup.h), each a result too.
  int64_t working_files = 0;
  int64_t stray_working_files = 0;
  int64_t working_files_removed = 0;
  int64_t working_files_restored = 0;
  int64_t working_files_kept_as_conflict = 0;
};

// The quarantine batch folder for a run at `now`:
// `<root>/.sidecard-quarantine/<YYYYMMDDTHHMMSSZ>`.
std::string QuarantineBatchDir(const std::string& root, absl::Time now);

// Cleans the tree under `root` (resolved and checked by the caller). Results
// reach `sink` in sorted path order, a batch at a time.
absl::StatusOr<CleanupSummary> CleanupTree(
    const std::string& root, const CleanupOptions& options, const EngineContext& context,
    const Cancellation& cancellation,
    const std::function<bool(std::span<const CleanupResult>)>& sink);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_OPS_CLEANUP_H_
