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

// One directory's matches in a caller's wire form (FindOptions::encode), in
// pieces that each fit in one streamed message.
struct EncodedMatches {
  struct Piece {
    std::string bytes;
    int64_t matches = 0;
  };
  std::vector<Piece> pieces;

  size_t bytes() const;
};

struct FindOptions {
  bool recursive = true;
  FindPredicates predicates;
  // Optional: encodes one directory's matches (never called with none). Find
  // then remembers the encoded form with the directory's tally, per query
  // and encoding, and hands the sink that instead of the matches: asking
  // again about an unchanged directory costs a copy, not a match test and
  // an encoding per image.
  std::function<EncodedMatches(std::span<const FoundImage* const>)> encode;
  // What tells one encoding from another (its kind, its piece size): part of
  // the key the encoded form is remembered under.
  std::string encoding_key;
};

// What reaches Find's sink for one directory with matches: the matches, or,
// with FindOptions::encode, their encoded form.
struct DirectoryMatches {
  std::span<const FoundImage* const> matches;
  const EncodedMatches* encoded = nullptr;
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
// within a directory; the sink returns false to stop. What it is handed is
// good only during the call (it points into what Find remembers).
// Returns the summary, or Cancelled.
absl::StatusOr<FindSummary> FindImages(const std::string& root, const FindOptions& options,
                                       const EngineContext& context,
                                       const Cancellation& cancellation,
                                       const std::function<bool(const DirectoryMatches&)>& sink);

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_OPS_FIND_H_
