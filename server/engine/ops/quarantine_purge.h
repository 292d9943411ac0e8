// Deletes the quarantine batches (quarantine_batches.h) older than a given
// age. A batch's age is measured from the time in its name (when its Cleanup
// ran), never from its folder's timestamps, which a restore or a copy
// changes. Only what lies inside `.sidecard-quarantine/<batch>/` is deleted:
// folders are entered with O_NOFOLLOW and a symlink in a batch is removed
// as a link, never followed.
#ifndef SIDECARD_SERVER_ENGINE_OPS_QUARANTINE_PURGE_H_
#define SIDECARD_SERVER_ENGINE_OPS_QUARANTINE_PURGE_H_

#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/engine/base/cancellation.h"
#include "server/engine/fs/allowed_roots.h"
#include "server/engine/ops/quarantine_batches.h"

namespace sidecard::engine {

struct PurgeOptions {
  // Batches older than this go; zero: every batch.
  absl::Duration older_than = absl::InfiniteDuration();
  // Report what would happen; change nothing.
  bool dry_run = false;
  absl::Time now = absl::Now();
};

enum class PurgeAction { kWouldPurge, kPurged, kFailed };

struct PurgeResult {
  QuarantineBatchInfo batch;  // as found
  PurgeAction action = PurgeAction::kWouldPurge;
  std::string error;
};

struct PurgeSummary {
  std::string root;
  bool dry_run = false;
  absl::Duration older_than;
  int64_t purged = 0;  // or would be
  int64_t kept = 0;
  int64_t failed = 0;
  int64_t files = 0;
  int64_t bytes = 0;
  double duration_seconds = 0;
};

// Purges the quarantine of `root` (resolved and checked by the caller).
// Results, one per batch old enough, oldest first, reach `sink`.
absl::StatusOr<PurgeSummary> PurgeQuarantine(
    const AllowedRoots& roots, const std::string& root, const PurgeOptions& options,
    const Cancellation& cancellation,
    const std::function<bool(std::span<const PurgeResult>)>& sink);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_OPS_QUARANTINE_PURGE_H_
