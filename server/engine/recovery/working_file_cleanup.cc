#include "server/engine/recovery/working_file_cleanup.h"

#include "server/engine/base/text.h"
#include "server/engine/fs/make_directories.h"
#include "server/engine/recovery/stray_resolution.h"

namespace sidecard::engine {
namespace {

StrayMode ModeOf(CleanupMode mode) {
  switch (mode) {
    case CleanupMode::kDelete:
      return StrayMode::kResolve;
    case CleanupMode::kQuarantine:
      return StrayMode::kQuarantine;
    case CleanupMode::kDryRun:
      break;
  }
  return StrayMode::kDryRun;
}

}  // namespace

void WorkingFileCleaner::OnDirectory(const DirectoryScan& scan) {
  if (scan.relative_path.empty()) root_fd_ = scan.fd.get();
  for (const WorkingFile& file : scan.working_files) waiting_.push_back(Resolve(scan, file));
}

void WorkingFileCleaner::TakeBefore(const SidecarRef* next, std::vector<CleanupResult>& out) {
  if (waiting_.empty()) return;
  const std::string next_path =
      next == nullptr ? std::string() : next->directory->AbsolutePathOf(next->file().name);
  while (!waiting_.empty() && (next == nullptr || waiting_.front().path < next_path)) {
    out.push_back(std::move(waiting_.front()));
    waiting_.pop_front();
  }
}

CleanupResult WorkingFileCleaner::Resolve(const DirectoryScan& scan, const WorkingFile& file) {
  CleanupResult result;
  result.path = scan.AbsolutePathOf(file.name);
  result.action = CleanupAction::kSkippedTooRecent;
  result.size_bytes = file.stamp.size;
  result.working_file = true;
  const std::string relative = scan.RelativePathOf(file.name);
  StrayOptions stray_options{ModeOf(options_.mode), options_.now, {}};
  stray_options.locks = options_.image_locks;
  if (options_.mode == CleanupMode::kQuarantine) {
    // As Cleaner::Quarantine: the batch keeps the path relative to the root.
    stray_options.quarantine = [this, &scan]() -> absl::StatusOr<UniqueFd> {
      const std::string batch =
          summary_.quarantine_dir.substr(root_.size() == 1 ? 1 : root_.size() + 1);
      return MakeDirectories(
          root_fd_, scan.relative_path.empty() ? batch : Concat(batch, "/", scan.relative_path));
    };
  }
  const StrayResolution resolution =
      ResolveStray(scan.fd.get(), scan.absolute_path, file, stray_options);
  ++summary_.working_files;
  if (resolution.outcome != StrayOutcome::kTooRecent) ++summary_.stray_working_files;
  result.error = resolution.note;
  switch (resolution.outcome) {
    case StrayOutcome::kTooRecent:
      break;
    case StrayOutcome::kChanged:
      result.action = CleanupAction::kSkippedChanged;
      break;
    case StrayOutcome::kFailed:
      result.action = CleanupAction::kFailed;
      ++summary_.failed;
      break;
    case StrayOutcome::kRemoved:
      result.action = resolution.done ? CleanupAction::kDeleted : CleanupAction::kWouldRemove;
      ++summary_.working_files_removed;
      break;
    case StrayOutcome::kQuarantined:
      result.action = CleanupAction::kQuarantined;
      result.destination = Concat(summary_.quarantine_dir, "/", relative);
      ++summary_.working_files_removed;
      break;
    case StrayOutcome::kRestored:
      result.action = resolution.done ? CleanupAction::kRestored : CleanupAction::kWouldRestore;
      result.destination = scan.AbsolutePathOf(resolution.new_name);
      ++summary_.working_files_restored;
      break;
    case StrayOutcome::kKeptAsConflict:
      result.action =
          resolution.done ? CleanupAction::kKeptAsConflict : CleanupAction::kWouldKeepAsConflict;
      result.destination = scan.AbsolutePathOf(resolution.new_name);
      ++summary_.working_files_kept_as_conflict;
      break;
  }
  return result;
}

}  // namespace sidecard::engine
