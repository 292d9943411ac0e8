// What becomes of one of the daemon's stray working files (working_files.h),
// the one policy of the start-up sweep and Cleanup:
// - a `.sidecard-tmp-` stray never held acknowledged content: removed;
// - a `.sidecard-held-` stray may hold another program's content, so it is
//   never deleted unseen: it goes back to the name it concerns if that name
//   is free (renameat2 RENAME_NOREPLACE), is deleted only when byte-identical
//   to the file now there, and is otherwise kept as ConflictName(name, now).
// A working file younger than the window may belong to a write in progress
// (here or in another daemon on the same tree) and is never touched; nor is
// one that changed since it was found.
#ifndef SIDECARD_SERVER_ENGINE_RECOVERY_STRAY_RESOLUTION_H_
#define SIDECARD_SERVER_ENGINE_RECOVERY_STRAY_RESOLUTION_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/engine/base/unique_fd.h"
#include "server/engine/recovery/working_files.h"
#include "server/engine/store/image_locks.h"

namespace sidecard::engine {

enum class StrayMode {
  kDryRun,  // decide and report; change nothing
  kResolve,
  // As kResolve, but a `.sidecard-tmp-` stray is moved into the directory
  // `quarantine` returns instead of deleted.
  kQuarantine,
};

enum class StrayOutcome {
  kTooRecent,       // younger than the window: left alone
  kChanged,         // gone or changed since it was found: left alone
  kRemoved,         // deleted (a tmp stray, or a held one identical to its file)
  kQuarantined,     // a tmp stray moved into the quarantine
  kRestored,        // a held stray moved back to the name it concerns
  kKeptAsConflict,  // a held stray renamed to a conflict name beside it
  kFailed,
};

struct StrayResolution {
  StrayOutcome outcome = StrayOutcome::kTooRecent;
  // False in a dry run: the outcome is what would happen.
  bool done = false;
  // For kRestored and kKeptAsConflict: the new name, in the same directory.
  std::string new_name;
  // For kRemoved of a held stray: why that is safe; for kChanged and
  // kFailed: what happened.
  std::string note;
};

struct StrayOptions {
  StrayMode mode = StrayMode::kDryRun;
  // The clock, for the window and conflict names.
  absl::Time now;
  // kQuarantine: the directory a tmp stray of this directory moves into.
  std::function<absl::StatusOr<UniqueFd>()> quarantine;
  // The daemon's per-image write locks: a held stray is resolved holding
  // the lock of the image its name belongs to, so a save running meanwhile
  // either sees the restored file (and merges it) or makes it a conflict,
  // never overwrites it. Null: no writer shares this process.
  ImageLocks* locks = nullptr;
};

// Decides and, outside a dry run, acts on `file`, found in `directory_fd`
// (whose absolute path is `directory`).
StrayResolution ResolveStray(int directory_fd, const std::string& directory,
                             const WorkingFile& file, const StrayOptions& options);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_RECOVERY_STRAY_RESOLUTION_H_
