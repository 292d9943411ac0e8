#include "server/engine/ops/quarantine_list.h"

#include "absl/time/clock.h"

namespace sidecard::engine {
namespace {

constexpr size_t kSinkBatch = 256;

}  // namespace

absl::StatusOr<QuarantineListSummary> ListQuarantine(
    const AllowedRoots& roots, const std::string& root, const std::string& batch,
    const Cancellation& cancellation,
    const std::function<bool(std::span<const QuarantinedFile>)>& sink) {
  const absl::Time start = absl::Now();
  auto quarantine = OpenQuarantine(roots, root);
  if (!quarantine.ok()) return quarantine.status();
  auto ids = ListBatchIds(*quarantine, batch);
  if (!ids.ok()) return ids.status();
  QuarantineListSummary summary;
  summary.root = root;
  summary.quarantine_dir = quarantine->quarantine_dir;
  summary.not_batches = ids->not_batches;

  std::vector<QuarantinedFile> pending;
  auto flush = [&] {
    const bool ok = pending.empty() || sink(pending);
    pending.clear();
    return ok;
  };
  for (const std::string& id : ids->ids) {
    auto batch_fd = OpenBatch(*quarantine, id);
    if (!batch_fd.ok()) {
      if (absl::IsNotFound(batch_fd.status()) && batch.empty()) continue;  // purged meanwhile
      return batch_fd.status();
    }
    QuarantineBatchInfo info{id, *ParseBatchId(id)};
    BatchVisitor visitor;
    visitor.on_file = [&](const BatchFile& file) {
      if (cancellation.cancelled()) return false;
      ++info.files;
      info.bytes += file.st.st_size;
      pending.push_back({id, quarantine->PathInBatch(id, file.relative),
                         quarantine->OriginalPath(file.relative), file.st.st_size});
      return pending.size() < kSinkBatch || flush();
    };
    visitor.on_record = [](const BatchFile&) { return true; };  // shown with their file
    visitor.on_other = [&info](int, const std::string&) { ++info.other_entries; };
    if (absl::Status walked = WalkBatch(batch_fd->get(), visitor); !walked.ok()) return walked;
    summary.files += info.files;
    summary.bytes += info.bytes;
    summary.batches.push_back(std::move(info));
  }
  if (!flush()) return Cancellation::Status();
  summary.duration_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return summary;
}

}  // namespace sidecard::engine
