// inotify watching of the directories the cache remembers (on by default;
// `--no-watch` turns it off), so an unchanged directory's files need no stat.
//
// Every event on a watched directory (a file in it created, deleted, renamed,
// written, its attributes changed; the directory itself moved or deleted)
// bumps that directory's generation. A cached answer is trusted without a
// stat only for a state observed after the watch was added, at a generation
// that has not moved since, or has moved only for events naming other
// entries (metadata_cache.h). When events were lost (queue overflow) every
// generation moves for every entry; a directory without a live watch (the
// watch limit reached, inotify unavailable, or a filesystem where inotify
// does not see every write: NFS, SMB, FUSE, ..., watchable_filesystem.h) is
// never trusted this way: the cache falls back to stamp checks for it.
//
// Events are applied by a reader thread and, before every tree operation, by
// Sync(): the kernel queues an event before the changing call returns, so a
// change that finished before a request started is always seen by it.
//
// Hard links: inotify reports a write to the directory of the name written
// through, and a new link to no one but the directory it is made in. So a
// file with more than one link is always checked by stamp
// (metadata_cache.cc), and a new link to a file that had one is caught
// where it appears: a name created in or moved into a watched directory is
// looked at, and if it is a file with other links every generation moves,
// as for lost events (links_seen()); the files proven by watch until then
// are proven by stamp once, and the file that now has two links always
// after. Not seen: a link made outside every watched directory (outside
// the served trees) to a file with one link, and writes through a shared
// memory mapping.
#ifndef SIDECARD_SERVER_ENGINE_CACHE_DIRECTORY_WATCHER_H_
#define SIDECARD_SERVER_ENGINE_CACHE_DIRECTORY_WATCHER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "server/engine/base/unique_fd.h"
#include "server/engine/cache/watchable_filesystem.h"

namespace sidecard::engine {

// One watched directory (one inode). Generations start at 1, so 0 can mean
// "never verified". Every event moves the generation; an event about one
// entry (a file created, written, renamed, deleted, its attributes changed)
// is also remembered under that entry's name, so the directory's other files
// stay proven (Unchanged).
class WatchedDirectory {
 public:
  // The current generation, or 0 when the watch is gone.
  uint64_t TrustedGeneration() const {
    return live_.load(std::memory_order_acquire) ? generation_.load(std::memory_order_acquire) : 0;
  }

  // Whether no event since generation `since` can concern the entry `name`:
  // then what was proven of it at `since` holds at every generation read
  // before this call.
  bool Unchanged(std::string_view name, uint64_t since) const;

 private:
  friend class DirectoryWatcher;
  // Names remembered per directory before events count for every entry
  // (and the names are dropped): bounds the memory to about 2 KiB per
  // directory that sees changes.
  static constexpr size_t kMaxNames = 64;

  // Records an event about `name`, or (empty) about every entry.
  void Record(std::string_view name);
  void Forget();  // the watch is gone

  // The directory's absolute path when it was last scanned: where a new
  // name in it is looked at (guarded by DirectoryWatcher::mutex_).
  std::string path_;

  std::atomic<uint64_t> generation_{1};
  std::atomic<bool> live_{true};
  mutable absl::Mutex mutex_;
  // The last event about every entry (the directory itself, lost events).
  uint64_t last_whole_event_ ABSL_GUARDED_BY(mutex_) = 0;
  // The last event per name, by the name's hash: two names that collide
  // only make an unchanged file look changed, which costs a stat.
  absl::flat_hash_map<uint64_t, uint64_t> last_name_event_ ABSL_GUARDED_BY(mutex_);
};

class DirectoryWatcher {
 public:
  // `max_watches` caps the watches this watcher adds (0: as many as the
  // kernel's max_user_watches allows). `policy` says which filesystems'
  // directories are watched at all.
  static absl::StatusOr<std::unique_ptr<DirectoryWatcher>> Create(
      size_t max_watches = 0, WatchPolicy policy = InotifySeesEveryChange);
  ~DirectoryWatcher();
  DirectoryWatcher(const DirectoryWatcher&) = delete;
  DirectoryWatcher& operator=(const DirectoryWatcher&) = delete;

  // Watches the directory open as `dir_fd` (the inode itself, through
  // /proc/self/fd, so a path swapped meanwhile is not what gets watched),
  // scanned as `absolute_path`. The same directory gets the same object. Null when it
  // cannot be watched, or is on a filesystem the policy refuses.
  std::shared_ptr<const WatchedDirectory> Watch(int dir_fd, std::string absolute_path);

  // Applies every event queued so far.
  void Sync();

  int64_t watches() const;
  int64_t overflows() const { return overflows_.load(std::memory_order_relaxed); }
  // Watches not added: the cap or the kernel's limit reached.
  int64_t refused() const { return refused_.load(std::memory_order_relaxed); }
  // Directories not watched because of their filesystem, counted at each scan.
  int64_t unwatchable() const { return unwatchable_.load(std::memory_order_relaxed); }
  // New hard links to files seen in watched directories.
  int64_t links_seen() const { return links_seen_.load(std::memory_order_relaxed); }

  // Test seam: discards the queued events unread and handles them as a queue
  // overflow, the way the kernel reports lost events.
  void LoseEventsForTesting();

 private:
  DirectoryWatcher(UniqueFd inotify, UniqueFd wake, size_t max_watches, WatchPolicy policy);
  void ReadLoop();
  // Reads and applies queued events; false once nothing is queued.
  bool DrainOnce(bool apply) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Moves every generation: what was proven by watch is proven again by stamp.
  void TrustNothing() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void Overflow() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Whether the new name `name` in `watched` is a file with other links.
  bool IsExtraLink(const WatchedDirectory& watched, std::string_view name) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const UniqueFd inotify_;
  const UniqueFd wake_;  // eventfd that ends the reader thread
  const size_t max_watches_;
  const WatchPolicy policy_;
  mutable absl::Mutex mutex_;
  absl::flat_hash_map<int, std::shared_ptr<WatchedDirectory>> by_descriptor_
      ABSL_GUARDED_BY(mutex_);
  std::atomic<int64_t> overflows_{0};
  std::atomic<int64_t> refused_{0};
  std::atomic<int64_t> unwatchable_{0};
  std::atomic<int64_t> links_seen_{0};
  std::thread reader_;
};

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_CACHE_DIRECTORY_WATCHER_H_
