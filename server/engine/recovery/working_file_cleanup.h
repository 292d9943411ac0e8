// Cleanup's share of the daemon's working files (working_files.h): every
// one under the root is listed; the strays are resolved as the start-up
// sweep does (stray_resolution.h) when the run deletes or quarantines, and a
// dry run says what would happen. In quarantine mode a tmp stray moves into
// the run's quarantine batch (reversible) instead of being deleted.
#ifndef SIDECARD_SERVER_ENGINE_RECOVERY_WORKING_FILE_CLEANUP_H_
#define SIDECARD_SERVER_ENGINE_RECOVERY_WORKING_FILE_CLEANUP_H_

#include <deque>
#include <string>
#include <vector>

#include "server/engine/library/directory_scan.h"
#include "server/engine/library/tree_walk.h"
#include "server/engine/ops/cleanup.h"

namespace sidecard::engine {

class WorkingFileCleaner {
 public:
  WorkingFileCleaner(const std::string& root, const CleanupOptions& options,
                     CleanupSummary& summary)
      : root_(root), options_(options), summary_(summary) {}

  // For WalkOptions::on_directory: decides and acts on the directory's
  // working files now; their results wait for TakeBefore.
  void OnDirectory(const DirectoryScan& scan);

  // Appends to `out` the waiting results whose paths sort before `next`'s,
  // so they join the orphans' results in sorted path order (a walk's order
  // is the bytewise order of full paths); null `next`: all of them.
  void TakeBefore(const SidecarRef* next, std::vector<CleanupResult>& out);

 private:
  CleanupResult Resolve(const DirectoryScan& scan, const WorkingFile& file);

  const std::string& root_;
  const CleanupOptions& options_;
  CleanupSummary& summary_;
  // The walk's root directory (its first scan, which the walk keeps open):
  // the quarantine is made in it, never by path.
  int root_fd_ = -1;
  std::deque<CleanupResult> waiting_;
};

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_RECOVERY_WORKING_FILE_CLEANUP_H_
