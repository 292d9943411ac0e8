#include "server/engine/ops/quarantine_restore.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <optional>

#include "absl/container/flat_hash_set.h"
#include "absl/time/clock.h"
#include "server/engine/base/text.h"
#include "server/engine/fs/atomic_file.h"
#include "server/engine/fs/file_stamp.h"
#include "server/engine/fs/guarded_write.h"
#include "server/engine/fs/make_directories.h"
#include "server/engine/library/naming.h"
#include "server/engine/ops/prune.h"
#include "server/engine/ops/quarantine_batches.h"

namespace sidecard::engine {
namespace {

constexpr size_t kSinkBatch = 256;

std::string_view ParentOf(std::string_view relative) {
  const size_t slash = relative.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : relative.substr(0, slash);
}

// Opens the existing folders of `relative` below `base_fd` without creating
// or following anything. NotFound when one is missing.
absl::StatusOr<UniqueFd> OpenExistingFolders(int base_fd, std::string_view relative) {
  UniqueFd current(fcntl(base_fd, F_DUPFD_CLOEXEC, 0));
  for (std::string_view part : SplitNonEmpty(relative, '/')) {
    const std::string name(part);
    UniqueFd next(
        openat(current.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next.valid()) {
      if (errno == ENOENT) return absl::NotFoundError(name);
      return absl::FailedPreconditionError(FileSystemFailure("open folder", name).message());
    }
    current = std::move(next);
  }
  return current;
}

// What a prune's record (prune.h) says of the file now at the destination.
enum class PrunedState { kNoRecord, kStillPruned, kSameAsQuarantined, kChanged, kUnreadable };

struct PrunedCheck {
  PrunedState state = PrunedState::kNoRecord;
  FileStamp destination;  // the version compared
  std::string previous;   // the quarantined bytes (kStillPruned)
  std::string error;
};

// Compares the file at the destination with what the prune that quarantined
// `file` wrote there, and with the quarantined bytes themselves.
PrunedCheck CheckPruned(const BatchFile& file, int destination_fd) {
  PrunedCheck check;
  const std::string record_name = Concat(kPruneRecordPrefix, file.name);
  FileStamp ignored;
  auto record_text = ReadRegularFileAt(file.directory_fd, record_name, 4096, ignored);
  if (!record_text.ok()) return check;  // no record: not a prune's
  auto record = DecodePruneRecord(*record_text);
  auto current =
      ReadRegularFileAt(destination_fd, file.name, kDefaultMaxSidecarBytes, check.destination);
  auto previous = ReadRegularFileAt(file.directory_fd, file.name, kDefaultMaxSidecarBytes, ignored);
  if (!record.ok() || !current.ok() || !previous.ok()) {
    check.state = PrunedState::kUnreadable;
    check.error = !record.ok() ? Concat(record_name, " is not a prune record")
                  : !current.ok()
                      ? Concat("cannot read the destination: ", current.status().message())
                      : Concat("cannot read the quarantined file: ", previous.status().message());
    return check;
  }
  if (*current == *previous) {
    check.state = PrunedState::kSameAsQuarantined;  // the prune never replaced it
  } else if (static_cast<int64_t>(current->size()) == record->written_size &&
             ContentDigest(*current) == record->written_digest) {
    check.state = PrunedState::kStillPruned;
    check.previous = *std::move(previous);
  } else {
    check.state = PrunedState::kChanged;
  }
  return check;
}

class Restorer {
 public:
  Restorer(const OpenedQuarantine& quarantine, const RestoreOptions& options,
           RestoreSummary& summary)
      : quarantine_(quarantine), options_(options), summary_(summary) {}

  RestoreResult Restore(const std::string& batch, const BatchFile& file) {
    RestoreResult result{batch,
                         quarantine_.PathInBatch(batch, file.relative),
                         quarantine_.OriginalPath(file.relative),
                         RestoreAction::kWouldRestore,
                         {},
                         file.st.st_size};
    if (options_.dry_run) {
      Check(file, result);
    } else {
      Move(file, result);
    }
    switch (result.action) {
      case RestoreAction::kWouldRestore:
      case RestoreAction::kRestored:
        ++summary_.restored;
        summary_.bytes += result.size_bytes;
        break;
      case RestoreAction::kConflict:
        ++summary_.conflicts;
        break;
      case RestoreAction::kFailed:
        ++summary_.failed;
        break;
    }
    return result;
  }

 private:
  // Dry run: the destination must be free now and not taken by a file of a
  // newer batch listed before.
  void Check(const BatchFile& file, RestoreResult& result) {
    auto folder = OpenExistingFolders(quarantine_.root_fd.get(), ParentOf(file.relative));
    struct stat st {};
    if (!folder.ok() && !absl::IsNotFound(folder.status())) {
      result.action = RestoreAction::kFailed;
      result.error = std::string(folder.status().message());
    } else if (!taken_.insert(file.relative).second) {
      result.action = RestoreAction::kConflict;
      result.error = "the destination exists; both would be kept";
    } else if (folder.ok() &&
               fstatat(folder->get(), file.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      const PrunedCheck pruned = CheckPruned(file, folder->get());
      if (pruned.state != PrunedState::kStillPruned &&
          pruned.state != PrunedState::kSameAsQuarantined) {
        Conflict(pruned, " would be", result);
      }
    }
  }

  // Why a file that exists at the destination stays (RESTORE_ACTION_CONFLICT).
  static void Conflict(const PrunedCheck& pruned, std::string_view would, RestoreResult& result) {
    result.action = RestoreAction::kConflict;
    switch (pruned.state) {
      case PrunedState::kChanged:
        result.error = Concat("the destination changed since the prune that quarantined this; both",
                              would, " kept");
        break;
      case PrunedState::kUnreadable:
        result.error = Concat(pruned.error, "; both", would, " kept");
        break;
      default:
        result.error = Concat("the destination exists; both", would, " kept");
    }
  }

  // The destination exists: a prune's previous version goes back over the
  // file that prune wrote, and only while it still holds exactly those bytes.
  void ReplacePruned(const BatchFile& file, int folder_fd, RestoreResult& result) {
    const PrunedCheck pruned = CheckPruned(file, folder_fd);
    const std::string record_name = Concat(kPruneRecordPrefix, file.name);
    if (pruned.state == PrunedState::kSameAsQuarantined) {
      unlinkat(file.directory_fd, file.name.c_str(), 0);
      unlinkat(file.directory_fd, record_name.c_str(), 0);
      result.action = RestoreAction::kRestored;
      result.error = "the destination already holds these bytes (the prune never replaced it)";
      return;
    }
    if (pruned.state != PrunedState::kStillPruned) return Conflict(pruned, "", result);
    const absl::Status replaced = ReplaceFileGuarded(folder_fd, file.name, pruned.previous,
                                                     pruned.destination, file.st.st_mode & 07777);
    if (absl::IsAborted(replaced)) {
      result.action = RestoreAction::kConflict;
      result.error = Concat(replaced.message(), "; both are kept");
      return;
    }
    if (!replaced.ok()) {
      result.action = RestoreAction::kFailed;
      result.error = Concat("cannot put back over the pruned file: ", replaced.message());
      return;
    }
    unlinkat(file.directory_fd, file.name.c_str(), 0);
    unlinkat(file.directory_fd, record_name.c_str(), 0);
    result.action = RestoreAction::kRestored;
    result.error = "replaced the version the prune wrote";
  }

 public:
  // A prune record whose file is no longer in the batch (restored by
  // hand, or before a crash) has nothing left to describe.
  void DropStaleRecord(const BatchFile& record) const {
    if (options_.dry_run) return;
    const std::string name = record.name.substr(kPruneRecordPrefix.size());
    struct stat st {};
    if (fstatat(record.directory_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 &&
        errno == ENOENT) {
      unlinkat(record.directory_fd, record.name.c_str(), 0);
    }
  }

 private:
  void Move(const BatchFile& file, RestoreResult& result) {
    auto folder = MakeDirectories(quarantine_.root_fd.get(), ParentOf(file.relative), 0777);
    if (!folder.ok()) {
      result.action = RestoreAction::kFailed;
      result.error = std::string(folder.status().message());
      return;
    }
    // A sidecar comes back under its image's write lock, as saves write it.
    std::optional<ImageLocks::Guard> guard;
    if (options_.image_locks != nullptr && SidecarFormatOfName(file.name)) {
      std::string_view stem = SplitName(file.name).stem;
      if (auto legacy = SplitLegacyOperationStem(stem)) stem = legacy->image_stem;
      guard.emplace(options_.image_locks->Lock(quarantine_.OriginalPath(ParentOf(file.relative)),
                                               std::string(stem)));
    }
    const absl::Status moved = MoveFileGuarded(file.directory_fd, file.name, folder->get(),
                                               file.name, FileStamp::FromStat(file.st));
    if (moved.ok()) {
      result.action = RestoreAction::kRestored;
      const std::string record_name = Concat(kPruneRecordPrefix, file.name);
      unlinkat(file.directory_fd, record_name.c_str(), 0);  // if a prune left one
      if (const absl::Status synced = SyncDirectory(folder->get()); !synced.ok()) {
        result.error = std::string(synced.message());
      }
    } else if (absl::IsAlreadyExists(moved)) {
      ReplacePruned(file, folder->get(), result);
    } else {
      result.action = RestoreAction::kFailed;
      result.error = absl::IsNotFound(moved) ? "gone from the quarantine meanwhile"
                                             : Concat("cannot move back: ", moved.message());
    }
  }

  const OpenedQuarantine& quarantine_;
  const RestoreOptions& options_;
  RestoreSummary& summary_;
  absl::flat_hash_set<std::string> taken_;  // dry run: destinations already promised
};

}  // namespace

absl::StatusOr<RestoreSummary> RestoreQuarantine(
    const AllowedRoots& roots, const std::string& root, const RestoreOptions& options,
    const Cancellation& cancellation,
    const std::function<bool(std::span<const RestoreResult>)>& sink) {
  const absl::Time start = absl::Now();
  auto quarantine = OpenQuarantine(roots, root);
  if (!quarantine.ok()) return quarantine.status();
  auto ids = ListBatchIds(*quarantine, options.batch);
  if (!ids.ok()) return ids.status();
  RestoreSummary summary;
  summary.root = root;
  summary.dry_run = options.dry_run;
  Restorer restorer(*quarantine, options, summary);

  std::vector<RestoreResult> pending;
  auto flush = [&] {
    const bool ok = pending.empty() || sink(pending);
    pending.clear();
    return ok;
  };
  for (auto id = ids->ids.rbegin(); id != ids->ids.rend(); ++id) {  // newest first
    auto batch_fd = OpenBatch(*quarantine, *id);
    if (!batch_fd.ok()) {
      if (absl::IsNotFound(batch_fd.status()) && options.batch.empty()) continue;
      return batch_fd.status();
    }
    summary.batches.push_back(*id);
    BatchVisitor visitor;
    visitor.on_file = [&](const BatchFile& file) {
      if (cancellation.cancelled()) return false;
      pending.push_back(restorer.Restore(*id, file));
      return pending.size() < kSinkBatch || flush();
    };
    visitor.on_record = [&](const BatchFile& record) {
      restorer.DropStaleRecord(record);
      return true;
    };
    if (!options.dry_run) {
      // Folders emptied by the moves go; others stay (rmdir fails on them).
      visitor.after_folder = [](int parent_fd, const std::string& name) {
        unlinkat(parent_fd, name.c_str(), AT_REMOVEDIR);
      };
    }
    if (absl::Status walked = WalkBatch(batch_fd->get(), visitor); !walked.ok()) {
      flush();
      return walked;
    }
    if (!options.dry_run &&
        unlinkat(quarantine->quarantine_fd.get(), id->c_str(), AT_REMOVEDIR) == 0) {
      ++summary.batches_emptied;
    }
  }
  if (!flush()) return Cancellation::Status();
  summary.duration_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return summary;
}

}  // namespace sidecard::engine
