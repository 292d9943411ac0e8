// Restores quarantined files (quarantine_batches.h) to where they came from.
//
// A file goes back by a rename (renameat2 RENAME_NOREPLACE), so its bytes are
// the ones quarantined, and never over anything that exists at its
// destination, not even a file another program renames there at the same
// instant: that is a conflict, and both files stay as they are. A batch on
// another file system than its root (which Cleanup never makes) fails rather
// than being copied. Missing folders on the way are created (mode 0777 less
// the umask, like `mkdir -p`). A sidecar moves back under its image's write
// lock (image_locks.h), so it never lands in the middle of a save. A
// restored sidecar whose image is gone is restored all the same (the next
// Cleanup will find it an orphan again). Batch folders left empty are
// removed.
#ifndef SIDECARD_SERVER_ENGINE_OPS_QUARANTINE_RESTORE_H_
#define SIDECARD_SERVER_ENGINE_OPS_QUARANTINE_RESTORE_H_

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/engine/base/cancellation.h"
#include "server/engine/fs/allowed_roots.h"
#include "server/engine/store/image_locks.h"

namespace sidecard::engine {

struct RestoreOptions {
  // Only this batch; empty: every batch, newest first (so where two batches
  // hold one path, the newest version comes back and the others conflict).
  std::string batch;
  // Report what would happen; change nothing.
  bool dry_run = false;
  // The daemon's per-image write locks; null: none.
  ImageLocks* image_locks = nullptr;
};

enum class RestoreAction { kWouldRestore, kRestored, kConflict, kFailed };

struct RestoreResult {
  std::string batch;
  std::string path;         // absolute, in the batch
  std::string destination;  // absolute
  RestoreAction action = RestoreAction::kWouldRestore;
  std::string error;
  int64_t size_bytes = 0;
};

struct RestoreSummary {
  std::string root;
  bool dry_run = false;
  std::vector<std::string> batches;  // in the order they were restored
  int64_t restored = 0;              // or would be
  int64_t conflicts = 0;
  int64_t failed = 0;
  int64_t bytes = 0;
  int64_t batches_emptied = 0;
  double duration_seconds = 0;
};

// Restores from the quarantine of `root` (resolved and checked by the
// caller). InvalidArgument for a malformed batch ID, NotFound for a missing
// batch; per-file problems are results. Results reach `sink` a batch at a
// time.
absl::StatusOr<RestoreSummary> RestoreQuarantine(
    const AllowedRoots& roots, const std::string& root, const RestoreOptions& options,
    const Cancellation& cancellation,
    const std::function<bool(std::span<const RestoreResult>)>& sink);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_OPS_QUARANTINE_RESTORE_H_
