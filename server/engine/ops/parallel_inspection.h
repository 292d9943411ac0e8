// Inspects the sidecar files a walk yields, a batch at a time in parallel on
// the shared worker pool, and hands them on in walk (sorted path) order.
#ifndef SIDECARD_SERVER_ENGINE_OPS_PARALLEL_INSPECTION_H_
#define SIDECARD_SERVER_ENGINE_OPS_PARALLEL_INSPECTION_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <span>

#include "absl/status/status.h"
#include "server/engine/base/cancellation.h"
#include "server/engine/cache/inspection_source.h"
#include "server/engine/library/tree_walk.h"
#include "server/engine/ops/engine_context.h"

namespace sidecard::engine {

struct InspectedSidecar {
  SidecarRef ref;
  std::shared_ptr<const SidecarInspection> inspection;
};

// Files per parallel batch: large enough to keep every worker busy, small
// enough to bound memory.
inline constexpr size_t kInspectionBatch = 256;

// Calls `sink` with consecutive batches of inspected files until the walk
// ends. Returns Cancelled when `cancellation` fires or `sink` returns false.
// `sink` runs on one of the pool's threads or the caller's, never at the same
// time as itself or as the walk (and so its on_directory calls), while the
// next batch is being inspected.
absl::Status InspectInOrder(TreeWalk& walk, const EngineContext& context,
                            const Cancellation& cancellation,
                            const std::function<bool(std::span<InspectedSidecar>)>& sink);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_OPS_PARALLEL_INSPECTION_H_
