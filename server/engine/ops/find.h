// Find (docs/CONTRACT.md §4): the images under a root whose sidecar facts
// match a query (find_predicates.h), streamed directory by directory.
//
// It is a counting operation (directory_counting.h): each directory's tally
// is what Find knows of every image in it (and of every orphaned sidecar
// document), whatever the query, so an unchanged directory is answered from
// the tree cache for any query and only the predicates run again.
#ifndef SIDECARD_SERVER_ENGINE_OPS_FIND_H_
#define SIDECARD_SERVER_ENGINE_OPS_FIND_H_

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/engine/base/cancellation.h"
#include "server/engine/library/tree_walk.h"
#include "server/engine/ops/engine_context.h"
#include "server/engine/ops/find_predicates.h"

namespace sidecard::engine {

struct FindOptions {
  bool recursive = true;
  FindPredicates predicates;
};

struct FindSummary {
  std::string root;
  // Images looked at (each once, a symlinked one too).
  int64_t images = 0;
  // Orphaned sidecar documents looked at (matched only by an orphans query).
  int64_t orphans = 0;
  int64_t matched = 0;
  std::vector<TreeWalk::DirectoryError> directory_errors;
  double duration_seconds = 0;
};

// Finds what matches under `root` (resolved and checked by the caller).
// Matches reach `sink` directory by directory in walk order, names sorted
// within a directory; the sink returns false to stop. The pointers are good
// only during the call (they point into what Find remembers).
// Returns the summary, or Cancelled.
absl::StatusOr<FindSummary> FindImages(
    const std::string& root, const FindOptions& options, const EngineContext& context,
    const Cancellation& cancellation,
    const std::function<bool(std::span<const FoundImage* const>)>& sink);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_OPS_FIND_H_
