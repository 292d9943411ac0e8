// Prune (docs/CONTRACT.md §4): removes one operation's results, or one
// backend's results of an operation, from every sidecar file under a root.
// A dry run unless `apply`.
//
// Each sidecar file (sidecar_membership.h: paired, or an orphan; never a
// foreign file) that holds the operation is rewritten on its own, in its own
// format (.json stays .json, .bin stays .bin), under its image's write lock
// (image_locks.h): read, the operation's key (or the backend's) removed,
// `sidecar_info` told (`last_updated`, `last_pruned`), encoded as Save
// encodes, and written over the version read (guarded_write.h: atomic, and
// never over another program's write). Every other key keeps its value
// exactly (numbers are parsed exactly and written in their shortest
// round-trip form, as Save writes them). A file left with no operation is
// kept, never deleted.
//
// Before a file is replaced, its previous bytes go into the quarantine,
// `<root>/.sidecard-quarantine/<batch>/<relative path>` (quarantine_batches.h),
// with a record of what the prune wrote (PruneRecord), so RestoreQuarantine
// can put the previous version back over the pruned one, and only over that.
//
// A file that does not decode is reported and left alone; so is one whose
// layout keeps the operation where it cannot be cut out on its own (an old
// envelope, an old per-operation file whose whole content is the payload).
// One failure never stops the rest.
#ifndef SIDECARD_SERVER_ENGINE_OPS_PRUNE_H_
#define SIDECARD_SERVER_ENGINE_OPS_PRUNE_H_

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/engine/base/cancellation.h"
#include "server/engine/documents/file_inspection.h"
#include "server/engine/ops/engine_context.h"
#include "server/engine/ops/quarantine_batches.h"
#include "server/engine/store/image_locks.h"

namespace sidecard::engine {

struct PruneOptions {
  // The operation key to remove (required, never `sidecar_info`).
  std::string operation;
  // Only this backend of the operation; empty: the whole operation.
  std::string backend;
  bool apply = false;
  bool recursive = true;
  // The clock, for `sidecar_info.last_updated` and the quarantine batch.
  absl::Time now = absl::Now();
  // Larger sidecar files are not read (reported unreadable).
  size_t max_sidecar_bytes = kDefaultMaxSidecarBytes;
};

enum class PruneAction {
  kWouldPrune,         // dry run: the operation would be removed
  kPruned,             // removed; the previous version is in the quarantine
  kSkippedUnreadable,  // does not decode (or is not an object): left alone
  kSkippedLayout,      // holds the operation in a layout it cannot be cut out of
  kSkippedChanged,     // changed by another program meanwhile: left as it is
  kFailed,             // `error` says why; the file is unchanged
};

struct PruneResult {
  std::string path;  // absolute, raw bytes
  PruneAction action = PruneAction::kWouldPrune;
  std::string error;
  // What was (or would be) removed: `operation` or `operation.backend`, and
  // the top-level key it was under (an old script's `Face_detector`).
  std::string removed;
  // The operations the file holds afterwards, sorted.
  std::vector<std::string> remaining_operations;
  int64_t size_bytes = 0;      // before
  int64_t new_size_bytes = 0;  // after (or would be)
  // Where the previous version was put (absolute); set once it is there.
  std::string quarantined;
};

struct PruneSummary {
  std::string root;
  std::string operation;
  std::string backend;
  bool applied = false;
  int64_t sidecars_examined = 0;
  // Files that hold the operation (or the backend), whatever was done.
  int64_t matched = 0;
  int64_t pruned = 0;  // or would be, in a dry run
  int64_t skipped = 0;
  int64_t failed = 0;
  // Sidecar files that do not decode (reported, left alone; also in skipped).
  int64_t unreadable = 0;
  int64_t foreign_files = 0;
  int64_t unreadable_directories = 0;
  // Bytes the rewritten files shrank by (or would).
  int64_t bytes_removed = 0;
  // The quarantine batch folder of this run (absolute); empty in a dry run.
  std::string quarantine_dir;
  double duration_seconds = 0;
};

// InvalidArgument unless `operation` is a name a prune may remove (not empty,
// not `sidecar_info`) and `backend`, when given, is not empty either.
absl::Status CheckPruneNames(std::string_view operation, std::string_view backend,
                             bool backend_given);

// Prunes the tree under `root` (resolved and checked by the caller). Results
// reach `sink` in sorted path order, a batch at a time; files that do not
// hold the operation are counted, not listed.
absl::StatusOr<PruneSummary> PruneTree(
    const std::string& root, const PruneOptions& options, const EngineContext& context,
    ImageLocks& locks, const Cancellation& cancellation,
    const std::function<bool(std::span<const PruneResult>)>& sink);

// The record a prune leaves beside the previous version of a file in the
// quarantine batch, `.sidecard-pruned-<name>` (kPruneRecordPrefix): the size and FNV-1a 64 digest
// of the bytes the prune wrote, so a restore replaces the file only while it
// still holds exactly those bytes.
struct PruneRecord {
  int64_t written_size = 0;
  uint64_t written_digest = 0;
};
uint64_t ContentDigest(std::string_view bytes);
std::string EncodePruneRecord(const PruneRecord& record, std::string_view removed);
absl::StatusOr<PruneRecord> DecodePruneRecord(std::string_view text);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_OPS_PRUNE_H_
