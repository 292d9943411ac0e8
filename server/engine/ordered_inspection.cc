#include "server/engine/ordered_inspection.h"

#include <vector>

namespace sidecard::engine {

WalkOptions WalkOptionsFor(const EngineContext& context, bool recursive) {
  WalkOptions options;
  options.recursive = recursive;
  options.scan.image_extensions = context.image_extensions;
  options.scan.allowed_roots = context.allowed_roots;
  options.max_files = context.max_files;
  return options;
}

absl::Status InspectInOrder(TreeWalk& walk, const EngineContext& context,
                            const Cancellation& cancellation,
                            const std::function<bool(std::span<InspectedSidecar>)>& sink) {
  std::vector<InspectedSidecar> batch;
  batch.reserve(kInspectionBatch);
  bool more = true;
  while (more) {
    if (cancellation.cancelled()) return Cancellation::Status();
    batch.clear();
    SidecarRef ref;
    while (batch.size() < kInspectionBatch && (more = walk.Next(ref))) {
      batch.push_back({std::move(ref), nullptr});
    }
    if (batch.empty()) break;
    context.pool->ParallelFor(batch.size(), [&](size_t i) {
      if (cancellation.cancelled()) return;
      InspectedSidecar& item = batch[i];
      item.inspection = context.inspector->Inspect(*item.ref.directory, item.ref.file());
    });
    if (cancellation.cancelled()) return Cancellation::Status();
    if (!sink(batch)) return Cancellation::Status();
  }
  return walk.limit_status();
}

}  // namespace sidecard::engine
