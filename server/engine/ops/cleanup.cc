#include "server/engine/ops/cleanup.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/time/clock.h"
#include "server/engine/base/text.h"
#include "server/engine/documents/sidecar_membership.h"
#include "server/engine/fs/file_stamp.h"
#include "server/engine/fs/guarded_write.h"
#include "server/engine/fs/make_directories.h"
#include "server/engine/ops/quarantine_batches.h"
#include "server/engine/recovery/working_file_cleanup.h"

namespace sidecard::engine {
namespace {

std::string ErrnoText(std::string_view what) { return Concat(what, ": ", std::strerror(errno)); }

class Cleaner {
 public:
  Cleaner(const std::string& root, const CleanupOptions& options, CleanupSummary& summary)
      : root_(root), options_(options), summary_(summary) {
    if (options.mode == CleanupMode::kQuarantine) {
      summary_.quarantine_dir = QuarantineBatchDir(root, options.now);
    }
  }

  // The directory the walk opened (beneath the allowed roots): the
  // quarantine is made in it, never by path, so it is where the files are.
  void set_root_fd(int fd) { root_fd_ = fd; }

  // Decides and, outside a dry run, acts on one inspected file. Returns
  // false when the file needs no report line: a sidecar with its image, or a
  // foreign file (counted only, as Validate and Stats count it).
  bool Process(const InspectedSidecar& item, CleanupResult& result) {
    const DirectoryScan& dir = *item.ref.directory;
    const SidecarFile& file = item.ref.file();
    const SidecarInspection& inspection = *item.inspection;
    ++summary_.sidecars_examined;
    result = CleanupResult{
        dir.AbsolutePathOf(file.name), CleanupAction::kWouldRemove, {}, {}, inspection.stamp.size};
    switch (ClassifySidecar(file, inspection)) {
      case SidecarRole::kPaired:
        return false;
      case SidecarRole::kForeign:
        ++summary_.foreign_files;
        return false;
      case SidecarRole::kOrphan:
        break;
    }
    ++summary_.orphans_found;
    const std::string relative = dir.RelativePathOf(file.name);
    if (options_.mode == CleanupMode::kQuarantine) {
      result.destination = Concat(summary_.quarantine_dir, "/", relative);
    }
    if (TooRecent(inspection.stamp)) {
      result.action = CleanupAction::kSkippedTooRecent;
      ++summary_.skipped;
      return true;
    }
    if (options_.mode != CleanupMode::kDryRun)
      Remove(dir, file, inspection.stamp, relative, result);
    switch (result.action) {
      case CleanupAction::kFailed:
        ++summary_.failed;
        break;
      case CleanupAction::kSkippedChanged:
        ++summary_.skipped;
        break;
      case CleanupAction::kDeleted:
      case CleanupAction::kQuarantined:
        ++summary_.removed;
        summary_.bytes += result.size_bytes;
        break;
      default:
        summary_.bytes += result.size_bytes;  // would remove
    }
    return true;
  }

 private:
  bool TooRecent(const FileStamp& stamp) const {
    if (options_.min_age <= absl::ZeroDuration()) return false;
    const absl::Time modified = absl::FromUnixNanos(stamp.mtime_ns);
    return options_.now - modified < options_.min_age;
  }

  void Remove(const DirectoryScan& dir, const SidecarFile& file, const FileStamp& inspected,
              const std::string& relative, CleanupResult& result) {
    // Only the version that was inspected may go: a detector may have
    // rewritten it since.
    struct stat st {};
    if (fstatat(dir.fd.get(), file.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      result.action = CleanupAction::kFailed;
      result.error = ErrnoText("cannot stat");
      return;
    }
    if (!S_ISREG(st.st_mode) || !(FileStamp::FromStat(st) == inspected)) {
      result.action = CleanupAction::kSkippedChanged;
      result.error = "changed since it was inspected, kept";
      return;
    }
    if (options_.mode == CleanupMode::kDelete) {
      // Guarded: a version written in the instant since the check stays.
      Finish(RemoveFileGuarded(dir.fd.get(), file.name, inspected), CleanupAction::kDeleted,
             "cannot delete", result);
      return;
    }
    Quarantine(dir, file, inspected, relative, result);
  }

  // Records the outcome of a guarded remove or move (guarded_write.h).
  static void Finish(const absl::Status& status, CleanupAction done, std::string_view failure,
                     CleanupResult& result) {
    if (status.ok()) {
      result.action = done;
    } else if (absl::IsAborted(status) || absl::IsNotFound(status)) {
      result.action = CleanupAction::kSkippedChanged;
      result.error = absl::IsAborted(status) ? std::string(status.message())
                                             : "removed by another program meanwhile";
    } else {
      result.action = CleanupAction::kFailed;
      result.error = Concat(failure, ": ", status.message());
    }
  }

  void Quarantine(const DirectoryScan& dir, const SidecarFile& file, const FileStamp& inspected,
                  const std::string& relative, CleanupResult& result) {
    const std::string parent = BatchFolderOf(root_, summary_.quarantine_dir, relative);
    auto target_dir = MakeDirectories(root_fd_, parent);
    if (!target_dir.ok()) {
      result.action = CleanupAction::kFailed;
      result.error = std::string(target_dir.status().message());
      return;
    }
    // Never over something already in quarantine, and only the version
    // inspected (another version is moved back).
    Finish(MoveFileGuarded(dir.fd.get(), file.name, target_dir->get(), file.name, inspected),
           CleanupAction::kQuarantined, "cannot move to quarantine", result);
  }

  const std::string& root_;
  const CleanupOptions& options_;
  CleanupSummary& summary_;
  int root_fd_ = -1;
};

}  // namespace

std::string QuarantineBatchDir(const std::string& root, absl::Time now) {
  const std::string stamp = absl::FormatTime("%Y%m%dT%H%M%SZ", now, absl::UTCTimeZone());
  return Concat(root == "/" ? "" : root, "/", kQuarantineDirName, "/", stamp);
}

absl::StatusOr<CleanupSummary> CleanupTree(
    const std::string& root, const CleanupOptions& options, const EngineContext& context,
    const Cancellation& cancellation,
    const std::function<bool(std::span<const CleanupResult>)>& sink) {
  const absl::Time start = absl::Now();
  CleanupSummary summary;
  summary.root = root;
  summary.mode = options.mode;
  Cleaner cleaner(root, options, summary);
  WorkingFileCleaner working_files(root, options, summary);

  WalkOptions walk_options = WalkOptionsFor(context, options.recursive);
  walk_options.on_directory = [&working_files, &summary](const DirectoryScan& scan) {
    summary.foreign_files += static_cast<int64_t>(scan.foreign_files.size());  // by name
    working_files.OnDirectory(scan);
    return true;
  };
  auto walk = TreeWalk::Open(*context.allowed_roots, root, std::move(walk_options));
  if (!walk.ok()) return walk.status();
  cleaner.set_root_fd((*walk)->root_fd());

  std::vector<CleanupResult> results;
  const absl::Status status =
      InspectInOrder(**walk, context, cancellation, [&](std::span<InspectedSidecar> batch) {
        results.clear();
        for (const InspectedSidecar& item : batch) {
          working_files.TakeBefore(&item.ref, results);
          CleanupResult result;
          if (cleaner.Process(item, result)) results.push_back(std::move(result));
        }
        return results.empty() || sink(results);
      });
  if (!status.ok()) return status;
  results.clear();
  working_files.TakeBefore(nullptr, results);
  if (!results.empty() && !sink(results)) return Cancellation::Status();
  summary.unreadable_directories = static_cast<int64_t>((*walk)->directory_errors().size());
  summary.duration_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return summary;
}

}  // namespace sidecard::engine
