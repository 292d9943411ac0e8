#include "server/engine/ops/parallel_inspection.h"

#include <vector>

namespace sidecard::engine {
namespace {

// Fills `batch` with the walk's next files; false when the walk is done.
bool Collect(TreeWalk& walk, const AnsweredBy& answered_by, std::vector<InspectedSidecar>& batch) {
  SidecarRef ref;
  while (batch.size() < kInspectionBatch) {
    if (!walk.Next(ref)) return false;
    InspectedSidecar& item = batch.emplace_back();
    if (answered_by) item.answered_by = answered_by(*ref.directory);
    item.ref = std::move(ref);
  }
  return true;
}

}  // namespace

absl::Status InspectInOrder(TreeWalk& walk, const EngineContext& context,
                            const Cancellation& cancellation,
                            const std::function<bool(std::span<InspectedSidecar>)>& sink,
                            const AnsweredBy& answered_by) {
  // Three batches in flight: `inspected` waits for the sink, `batch` is being
  // inspected, `next` is being collected.
  std::vector<InspectedSidecar> inspected;
  std::vector<InspectedSidecar> batch;
  std::vector<InspectedSidecar> next;
  inspected.reserve(kInspectionBatch);
  batch.reserve(kInspectionBatch);
  next.reserve(kInspectionBatch);
  bool more = Collect(walk, answered_by, batch);
  bool sink_wants_more = true;
  while (!batch.empty()) {
    if (cancellation.cancelled()) return Cancellation::Status();
    bool next_more = false;
    // Task 0 hands the previous batch to the sink and then walks on to the
    // next batch while the other tasks inspect this one, so neither the sink
    // nor listing directories leave the workers idle. Only task 0 touches the
    // walk and the sink, in that order, so the walk's on_directory calls and
    // the sink never run at the same time.
    context.pool->ParallelFor(batch.size() + 1, [&](size_t task) {
      if (task == 0) {
        if (!inspected.empty()) sink_wants_more = sink(inspected);
        if (sink_wants_more && more) next_more = Collect(walk, answered_by, next);
        return;
      }
      if (cancellation.cancelled()) return;
      InspectedSidecar& item = batch[task - 1];
      if (item.answered_by != nullptr) return;
      item.inspection = context.cache->Inspect(*item.ref.directory, item.ref.file());
    });
    if (cancellation.cancelled() || !sink_wants_more) return Cancellation::Status();
    inspected.swap(batch);  // `batch` now holds the batch the sink is done with
    batch.swap(next);
    next.clear();
    more = next_more;
  }
  if (!inspected.empty() && !sink(inspected)) return Cancellation::Status();
  return walk.limit_status();
}

}  // namespace sidecard::engine
