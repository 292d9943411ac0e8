// Remembers what a counting walk (Validate's summary, Stats) made of a whole
// tree, so asking again about an unchanged tree costs one check per
// directory in memory: no directory is opened or listed, no file looked at.
//
// An answer is the walk's per-directory tallies in walk order (tally_cache.h)
// with the watch and generation each directory was read at. It is handed out
// only while every one of those watches is still at that generation: any
// event in any directory of the tree (a file or subdirectory added, removed,
// renamed, written; the directory itself moved or deleted; lost events)
// moves one of them. The operation stores an answer only when every
// directory of the walk was watched and proven the way a tally is, and
// nothing it counted depends on anything but those directories (no symlinks,
// no working files, no unreadable directory).
#ifndef SIDECARD_SERVER_ENGINE_CACHE_SUBTREE_ANSWERS_H_
#define SIDECARD_SERVER_ENGINE_CACHE_SUBTREE_ANSWERS_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "server/engine/base/bounded_lru.h"
#include "server/engine/cache/directory_watcher.h"
#include "server/engine/cache/tally_cache.h"

namespace sidecard::engine {

struct SubtreeAnswer {
  struct Directory {
    std::shared_ptr<const WatchedDirectory> watch;
    uint64_t generation = 0;
  };
  // Every directory the walk scanned.
  std::vector<Directory> directories;
  // Their tallies, in walk order.
  std::vector<std::shared_ptr<const DirectoryTally>> tallies;

  // Whether every directory's watch is still at the generation it was read at.
  bool Current() const;
  size_t bytes() const;
};

class SubtreeAnswers {
 public:
  explicit SubtreeAnswers(size_t max_bytes) : answers_(max_bytes) {}

  // The answer stored under `key` while it is current (the caller has
  // applied the queued events first: DirectoryWatcher::Sync).
  std::shared_ptr<const SubtreeAnswer> Find(std::string_view key);
  void Store(std::string key, std::shared_ptr<const SubtreeAnswer> answer);

  size_t max_bytes() const;
  int64_t answers() const;
  int64_t bytes() const;
  int64_t hits() const { return hits_.load(std::memory_order_relaxed); }

 private:
  mutable absl::Mutex mutex_;
  BoundedLru<std::shared_ptr<const SubtreeAnswer>> answers_ ABSL_GUARDED_BY(mutex_);
  std::atomic<int64_t> hits_{0};
};

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_CACHE_SUBTREE_ANSWERS_H_
