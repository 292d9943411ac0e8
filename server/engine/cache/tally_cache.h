// Remembers what a tree operation made of one watched directory (its tally:
// counts, sums), so asking again about an unchanged directory costs a lookup
// instead of looking at each of its files (only while watching).
//
// A tally is proven current by the directory's watch (directory_watcher.h):
// it is kept only when every sidecar file it counts was proven at the
// generation read before the directory was listed, and that generation had
// not moved when the tally was complete; it is answered only to a scan that
// read the same generation of the same watch. Nothing else can change what a
// directory holds, with two exceptions that make a directory never
// remembered: symlinks (their targets live elsewhere) and files with other
// hard links (metadata_cache.h), which the cache's proof already excludes.
#ifndef SIDECARD_SERVER_ENGINE_CACHE_TALLY_CACHE_H_
#define SIDECARD_SERVER_ENGINE_CACHE_TALLY_CACHE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/synchronization/mutex.h"
#include "server/engine/base/bounded_lru.h"
#include "server/engine/library/directory_scan.h"

namespace sidecard::engine {

// What one operation counted in one directory; each operation derives its
// own.
class DirectoryTally {
 public:
  virtual ~DirectoryTally() = default;
  // Estimated heap bytes, all included.
  virtual size_t bytes() const = 0;
};

class DirectoryResults {
 public:
  explicit DirectoryResults(size_t max_bytes) : by_key_(max_bytes) {}

  // Whether a tally of `scan` could be remembered at all: it is watched and
  // holds no symlink.
  static bool Rememberable(const DirectoryScan& scan);

  // The tally `query` (the operation and its options) stored for `scan`'s
  // directory, if it was made at the generation `scan` read.
  std::shared_ptr<const DirectoryTally> Find(const DirectoryScan& scan, std::string_view query);

  // Remembers `tally`, made for `query` from `scan` and files the caller has
  // proven at `scan`'s generation; not when the generation has moved since.
  // Returns whether the generation held (then it is stored, within bounds).
  bool Store(const DirectoryScan& scan, std::string_view query,
             std::shared_ptr<const DirectoryTally> tally);

  size_t max_bytes() const;
  int64_t tallies() const;
  int64_t bytes() const;
  int64_t hits() const { return hits_.load(std::memory_order_relaxed); }

 private:
  struct Remembered {
    std::shared_ptr<const WatchedDirectory> watch;
    uint64_t generation = 0;
    // The listing the tally was counted from. Events reach the watch a
    // moment after the change (the reader thread), so two scans that read
    // the same generation can list a file created meanwhile differently;
    // a tally is handed out only to a scan of the same listing.
    uint64_t listing = 0;
    std::shared_ptr<const DirectoryTally> tally;
  };

  // A digest of what a directory's tally depends on in its listing: its
  // sidecar files and images, by name.
  static uint64_t ListingOf(const DirectoryScan& scan);

  static std::string KeyOf(const DirectoryScan& scan, std::string_view query);

  mutable absl::Mutex mutex_;
  BoundedLru<Remembered> by_key_ ABSL_GUARDED_BY(mutex_);
  std::atomic<int64_t> hits_{0};
};

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_CACHE_TALLY_CACHE_H_
