// The one driver of the operations that only count (Validate, Stats): it
// walks a tree, inspects its sidecar files in parallel, and has each
// directory counted by the operation's counting function, a pure function of
// the directory's scan, its files' inspections and the operation's counting
// options. Each directory's tally reaches the operation in walk order, so
// sums (floating point ones too) come out the same whether a directory was
// counted now or remembered.
//
// The driver, not the operation, talks to the tree cache: it answers an
// unchanged directory from the tally remembered under the operation's key
// (counting_key.h) and offers every tally it counts back to the cache, which
// keeps it only when the directory's proof holds (tree_cache.h). When every
// directory of a walk was proven so, it also remembers the walk's tallies as
// the answer for the whole tree (subtree_answers.h): asked again while
// nothing in the tree changed, it adds them up without walking at all.
#ifndef SIDECARD_SERVER_ENGINE_OPS_DIRECTORY_COUNTING_H_
#define SIDECARD_SERVER_ENGINE_OPS_DIRECTORY_COUNTING_H_

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/engine/base/cancellation.h"
#include "server/engine/cache/tally_cache.h"
#include "server/engine/ops/engine_context.h"
#include "server/engine/ops/parallel_inspection.h"

namespace sidecard::engine {

using Inspections = std::span<const std::shared_ptr<const SidecarInspection>>;
// memos[i]: what the operation's on_files made of scan.sidecars[i]
// (InspectedSidecar::memo); empty when it made nothing.
using Memos = std::span<std::string>;

struct DirectoryCounting {
  // CountingKey(operation, counting options).
  std::string key;
  // Whether unchanged directories may be answered from remembered tallies
  // (false when the caller needs every file, as a full report does; their
  // tallies are still offered to the cache).
  bool use_remembered = true;
  // With use_remembered: the files of a remembered directory still reach
  // on_files, uninspected, each with the tally that answered its directory
  // (InspectedSidecar::answered_by), so an operation that reports every file
  // can report them from what it remembered.
  bool pass_remembered_files = false;
  // Required: counts one directory; inspections[i] is of scan.sidecars[i].
  // Called on one thread at a time, after on_files saw the directory's last
  // file.
  std::function<std::shared_ptr<const DirectoryTally>(const DirectoryScan&, Inspections, Memos)>
      count;
  // Required: receives every directory's tally, in walk order.
  std::function<void(const DirectoryTally&)> add;
  // Optional: the daemon's working files of every directory as it is
  // scanned, remembered or not: what is counted as it is now (whether one is
  // a stray changes with its age, not with an event), never remembered.
  std::function<void(const std::vector<WorkingFile>&)> on_working_files;
  // Optional: every batch of files, in walk order: inspected ones, and with
  // pass_remembered_files those of remembered directories; false stops the
  // walk (Cancelled). It may set each inspected file's memo for `count`.
  std::function<bool(std::span<InspectedSidecar>)> on_files;
};

// Counts the tree below `root` (resolved, inside the allowed roots). Returns
// the directories that could not be read, or the walk's error.
absl::StatusOr<std::vector<TreeWalk::DirectoryError>> CountByDirectory(
    const std::string& root, bool recursive, const EngineContext& context,
    const Cancellation& cancellation, const DirectoryCounting& counting);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_OPS_DIRECTORY_COUNTING_H_
