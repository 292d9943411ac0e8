// The start-up sweep: one pass over every allowed root that resolves the
// daemon's stray working files (stray_resolution.h) a crash left behind.
// It walks like every tree operation (tree_walk.h: beneath the roots'
// descriptors, never following a symlink, skipping the quarantine) and
// looks at nothing but working files.
#ifndef SIDECARD_SERVER_ENGINE_RECOVERY_WORKING_FILE_SWEEP_H_
#define SIDECARD_SERVER_ENGINE_RECOVERY_WORKING_FILE_SWEEP_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/engine/fs/allowed_roots.h"
#include "server/engine/recovery/stray_resolution.h"
#include "server/engine/recovery/working_files.h"

namespace sidecard::engine {

struct SweepFigures {
  bool started = false;
  bool finished = false;  // stopped early (shutdown) leaves it false
  bool dry_run = false;   // --read-only: strays counted, none resolved
  int64_t directories = 0;
  int64_t working_files = 0;
  int64_t strays = 0;
  int64_t removed = 0;
  int64_t restored = 0;
  int64_t kept_as_conflict = 0;
  int64_t failed = 0;
  int64_t unreadable_directories = 0;
  double duration_seconds = 0;
};

// The figures of a sweep running on another thread, for GetServerInfo.
class SweepProgress {
 public:
  void Set(const SweepFigures& figures) {
    absl::MutexLock lock(&mutex_);
    figures_ = figures;
  }
  SweepFigures Get() const {
    absl::MutexLock lock(&mutex_);
    return figures_;
  }

 private:
  mutable absl::Mutex mutex_;
  SweepFigures figures_ ABSL_GUARDED_BY(mutex_);
};

struct SweepOptions {
  bool dry_run = false;
  // The daemon's per-image write locks (stray_resolution.h); null: none.
  ImageLocks* locks = nullptr;
  // Asked between directories and files; true ends the sweep.
  std::function<bool()> stop;
  // Every working file found, with its absolute path and what became of it.
  std::function<void(const std::string& path, const WorkingFile& file,
                     const StrayResolution& resolution)>
      on_file;
  // Every directory that could not be opened or listed.
  std::function<void(const std::string& path, const std::string& reason)> on_directory_error;
};

// Sweeps every root of `roots` (a root inside another is swept once, as part
// of the outer one); `progress`, if given, follows along.
SweepFigures SweepWorkingFiles(const AllowedRoots& roots, const SweepOptions& options,
                               SweepProgress* progress);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_RECOVERY_WORKING_FILE_SWEEP_H_
