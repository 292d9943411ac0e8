#include "server/engine/ops/quarantine_purge.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "server/engine/fs/atomic_file.h"

namespace sidecard::engine {
namespace {

// Deletes everything in `batch` (an ID ListBatchIds found), then the folder.
absl::Status DeleteBatch(const OpenedQuarantine& quarantine, const std::string& batch) {
  auto batch_fd = OpenBatch(quarantine, batch);
  if (!batch_fd.ok())
    return absl::IsNotFound(batch_fd.status()) ? absl::OkStatus() : batch_fd.status();
  absl::Status first_error;
  auto remove = [&first_error](int directory_fd, const std::string& name, int flags) {
    if (unlinkat(directory_fd, name.c_str(), flags) != 0 && errno != ENOENT && first_error.ok()) {
      first_error = FileSystemFailure("delete", name);
    }
  };
  BatchVisitor visitor;
  visitor.on_file = [&](const BatchFile& file) {
    remove(file.directory_fd, file.name, 0);
    return true;
  };
  visitor.on_other = [&](int directory_fd, const std::string& name) {
    remove(directory_fd, name, 0);  // a symlink goes as a link
  };
  visitor.after_folder = [&](int parent_fd, const std::string& name) {
    remove(parent_fd, name, AT_REMOVEDIR);
  };
  if (absl::Status walked = WalkBatch(batch_fd->get(), visitor); !walked.ok()) return walked;
  if (!first_error.ok()) return first_error;
  remove(quarantine.quarantine_fd.get(), batch, AT_REMOVEDIR);
  if (!first_error.ok()) return first_error;
  return SyncDirectory(quarantine.quarantine_fd.get());
}

}  // namespace

absl::StatusOr<PurgeSummary> PurgeQuarantine(
    const AllowedRoots& roots, const std::string& root, const PurgeOptions& options,
    const Cancellation& cancellation,
    const std::function<bool(std::span<const PurgeResult>)>& sink) {
  const absl::Time start = absl::Now();
  auto quarantine = OpenQuarantine(roots, root);
  if (!quarantine.ok()) return quarantine.status();
  auto ids = ListBatchIds(*quarantine, "");
  if (!ids.ok()) return ids.status();
  PurgeSummary summary;
  summary.root = root;
  summary.dry_run = options.dry_run;
  summary.older_than = options.older_than;
  for (const std::string& id : ids->ids) {
    if (cancellation.cancelled()) return Cancellation::Status();
    const absl::Time created = *ParseBatchId(id);
    if (options.now - created <= options.older_than) {
      ++summary.kept;
      continue;
    }
    auto measured = MeasureBatch(*quarantine, id);
    if (!measured.ok()) {
      if (absl::IsNotFound(measured.status())) continue;  // purged meanwhile
      measured = QuarantineBatchInfo{id, created};
    }
    PurgeResult result{*measured, PurgeAction::kWouldPurge, {}};
    if (!options.dry_run) {
      if (absl::Status deleted = DeleteBatch(*quarantine, id); deleted.ok()) {
        result.action = PurgeAction::kPurged;
      } else {
        result.action = PurgeAction::kFailed;
        result.error = std::string(deleted.message());
      }
    }
    if (result.action == PurgeAction::kFailed) {
      ++summary.failed;
    } else {
      ++summary.purged;
      summary.files += result.batch.files;
      summary.bytes += result.batch.bytes;
    }
    if (!sink({&result, 1})) return Cancellation::Status();
  }
  summary.duration_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return summary;
}

}  // namespace sidecard::engine
