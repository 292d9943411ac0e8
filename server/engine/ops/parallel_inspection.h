// Inspects the sidecar files a walk yields, a batch at a time in parallel on
// the shared worker pool, and hands them on in walk (sorted path) order.
#ifndef SIDECARD_SERVER_ENGINE_OPS_PARALLEL_INSPECTION_H_
#define SIDECARD_SERVER_ENGINE_OPS_PARALLEL_INSPECTION_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "server/engine/base/cancellation.h"
#include "server/engine/cache/inspection_source.h"
#include "server/engine/cache/tally_cache.h"
#include "server/engine/library/tree_walk.h"
#include "server/engine/ops/engine_context.h"

namespace sidecard::engine {

struct InspectedSidecar {
  SidecarRef ref;
  // Null when the file was not inspected because `answered_by` is set.
  std::shared_ptr<const SidecarInspection> inspection;
  // What was remembered of the file's unchanged directory, when that answers
  // for the file instead of an inspection (directory_counting.h).
  std::shared_ptr<const DirectoryTally> answered_by;
  // What the operation made of the file, for its directory's tally to keep
  // (directory_counting.h); empty unless the operation sets it.
  std::string memo;
};

// For a directory the walk yields, the remembered tally that answers for its
// files (they are then not inspected), or null.
using AnsweredBy = std::function<std::shared_ptr<const DirectoryTally>(const DirectoryScan&)>;

// Files per parallel batch: large enough to keep every worker busy, small
// enough to bound memory.
inline constexpr size_t kInspectionBatch = 256;

// Calls `sink` with consecutive batches of inspected files until the walk
// ends. Returns Cancelled when `cancellation` fires or `sink` returns false.
// `sink` runs on one of the pool's threads or the caller's, never at the same
// time as itself or as the walk (and so its on_directory calls), while the
// next batch is being inspected.
// `answered_by`, when set, runs on the walking thread for each file collected.
absl::Status InspectInOrder(TreeWalk& walk, const EngineContext& context,
                            const Cancellation& cancellation,
                            const std::function<bool(std::span<InspectedSidecar>)>& sink,
                            const AnsweredBy& answered_by = nullptr);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_OPS_PARALLEL_INSPECTION_H_
