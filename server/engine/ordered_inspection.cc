#include "server/engine/ordered_inspection.h"

#include <vector>

namespace sidecard::engine {
namespace {

// Fills `batch` with the walk's next files; false when the walk is done.
bool Collect(TreeWalk& walk, std::vector<InspectedSidecar>& batch) {
  SidecarRef ref;
  while (batch.size() < kInspectionBatch) {
    if (!walk.Next(ref)) return false;
    batch.push_back({std::move(ref), nullptr});
  }
  return true;
}

}  // namespace

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
  std::vector<InspectedSidecar> next;
  batch.reserve(kInspectionBatch);
  next.reserve(kInspectionBatch);
  bool more = Collect(walk, batch);
  while (!batch.empty()) {
    if (cancellation.cancelled()) return Cancellation::Status();
    next.clear();
    bool next_more = false;
    // Task 0 walks on to the next batch while the others inspect this one,
    // so listing directories overlaps reading files. Only task 0 touches the
    // walk, and `sink` runs after all tasks, on this thread.
    context.pool->ParallelFor(batch.size() + 1, [&](size_t task) {
      if (task == 0) {
        if (more) next_more = Collect(walk, next);
        return;
      }
      if (cancellation.cancelled()) return;
      InspectedSidecar& item = batch[task - 1];
      item.inspection = context.inspector->Inspect(*item.ref.directory, item.ref.file());
    });
    if (cancellation.cancelled()) return Cancellation::Status();
    if (!sink(batch)) return Cancellation::Status();
    batch.swap(next);
    more = next_more;
  }
  return walk.limit_status();
}

}  // namespace sidecard::engine
