// The change feed: sidecar files created, changed and removed under the
// directories clients subscribe to, as inotify reports them, each event
// numbered so a client that reconnects with its last cursor
// (change_cursor.h) gets everything since, or an explicit reset, never a
// silent gap.
//
// The feed owns its own inotify instance rather than sharing the metadata
// cache's (directory_watcher.h): the cache watches only the directories its
// scans visited and turns events into generations, while the feed must watch
// every directory of a subscribed tree, from the moment of the subscription,
// including directories created later, and needs each event's name.
//
// A subscribed root is watched whole (every directory beneath it) and stays
// watched for the daemon's life, so a client that reconnects finds its
// changes in the journal. Per watched directory the feed remembers the names
// of its sidecar files (to tell a created file from a rewritten one) and the
// stems of its images (pairing, docs/CONTRACT.md §1). Only sidecar files are
// reported (sidecar_membership.h): not images, foreign files, or the
// daemon's working files. A file is looked at when it is closed after
// writing or renamed into place, so a rewrite through a temporary file and a
// rename (the daemon's own saves, conversions) is one `changed` event.
//
// Memory: the journal keeps the last `journal_events` events (about 150
// bytes plus the path each); a subscriber's queue holds at most
// `queue_events` references to journal events (16 bytes each) before the
// subscriber is reset as too slow; a watched directory costs its path plus
// its sidecar names (with a 40-byte stamp each) and its image names and stems.
// Each subscription also holds one gRPC server thread while it runs (the
// service's Watch handler), measured at about 36 KiB of RSS per idle
// subscriber (bench/watch_latency.py).
#ifndef SIDECARD_SERVER_ENGINE_FEED_CHANGE_FEED_H_
#define SIDECARD_SERVER_ENGINE_FEED_CHANGE_FEED_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/engine/base/unique_fd.h"
#include "server/engine/cache/watchable_filesystem.h"
#include "server/engine/documents/file_inspection.h"
#include "server/engine/fs/allowed_roots.h"
#include "server/engine/library/naming.h"

namespace sidecard::engine {

enum class ChangeKind { kCreated, kChanged, kRemoved };

// One event of the feed.
struct SidecarChange {
  uint64_t sequence = 0;
  ChangeKind kind = ChangeKind::kCreated;
  std::string path;  // absolute
  SidecarFormat format = SidecarFormat::kJson;
  // Created and changed: what the file holds now (sorted operations, and
  // whether it decodes to a valid document; the first problem otherwise).
  std::vector<std::string> operations;
  bool valid = false;
  std::string error;
};

// Why a subscriber must resynchronise (list the tree again) instead of
// getting the events it asked for.
enum class ResetReason {
  kDaemonRestarted,   // the cursor is from another daemon instance
  kEventsLost,        // the kernel's inotify queue overflowed
  kCursorExpired,     // older than the oldest event the journal still holds
  kNotWatchedThen,    // the root was not watched yet at the cursor
  kSubscriberTooSlow  // the subscriber's queue filled up
};
std::string_view ResetReasonName(ResetReason reason);

struct FeedReset {
  ResetReason reason = ResetReason::kEventsLost;
  std::string message;
  // Resume from here after resynchronising.
  std::string cursor;
};

struct ChangeFeedOptions {
  // Events a subscriber may have waiting before it is reset as too slow.
  size_t queue_events = 4096;
  // Events remembered for clients that resume from a cursor.
  size_t journal_events = 16384;
  const ImageExtensions* image_extensions = &ImageExtensions::Default();
  size_t max_sidecar_bytes = kDefaultMaxSidecarBytes;
  WatchPolicy policy = InotifySeesEveryChange;
};

class ChangeFeed;

// One client's view of the feed; unsubscribes when destroyed.
class Subscription {
 public:
  ~Subscription();
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  // What is waiting, after waiting up to `timeout` for something: a reset
  // (first, when there is one), then changes in order. `ended` once the feed
  // closed (daemon shutting down) or the tree can no longer be watched
  // whole (`end_status` says why).
  struct Delivery {
    std::optional<FeedReset> reset;
    std::vector<std::shared_ptr<const SidecarChange>> changes;
    bool ended = false;
    absl::Status end_status;
  };
  Delivery Next(absl::Duration timeout);

  // The cursor the subscription started at.
  const std::string& start_cursor() const { return start_cursor_; }

 private:
  friend class ChangeFeed;
  struct State;
  Subscription(ChangeFeed* feed, std::shared_ptr<State> state, std::string start_cursor)
      : feed_(feed), state_(std::move(state)), start_cursor_(std::move(start_cursor)) {}
  ChangeFeed* feed_;
  std::shared_ptr<State> state_;
  std::string start_cursor_;
};

class ChangeFeed {
 public:
  static absl::StatusOr<std::unique_ptr<ChangeFeed>> Create(ChangeFeedOptions options);
  ~ChangeFeed();
  ChangeFeed(const ChangeFeed&) = delete;
  ChangeFeed& operator=(const ChangeFeed&) = delete;

  // Subscribes to the sidecar changes under `root` (resolved, inside
  // `roots`) after `cursor` (empty: from now). A cursor that cannot be
  // resumed gives a subscription whose first delivery is a reset.
  // Errors: InvalidArgument (a malformed cursor, or one ahead of the feed),
  // FailedPrecondition (a directory of the tree cannot be watched: its
  // filesystem, the watch limit), Unavailable (the feed is closed), and
  // those of opening the tree.
  absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(std::shared_ptr<const AllowedRoots> roots,
                                                          const std::string& root,
                                                          std::string_view cursor);

  // Ends every subscription (their next delivery says `ended`) and refuses
  // new ones: a daemon shutting down must not wait for endless streams.
  void Close();

  const std::string& instance() const { return instance_; }
  std::string CurrentCursor() const;
  int64_t subscribers() const;
  int64_t watches() const;

  // Test seam: discards the queued events unread and handles them as a queue
  // overflow, the way the kernel reports lost events.
  void LoseEventsForTesting();

 private:
  friend class Subscription;
  struct Directory;
  struct WatchedRoot;

  ChangeFeed(UniqueFd inotify, UniqueFd wake, ChangeFeedOptions options);
  void ReadLoop();
  // One inotify event: watch descriptor, mask, the name ("" for the
  // directory itself).
  void Apply(int wd, uint32_t mask, const std::string& name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void ApplyToFile(Directory& directory, uint32_t mask, const std::string& name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Watches `path` (open as `fd`) and every directory beneath it; `announce`:
  // its sidecar files are reported as created (a directory that appeared).
  absl::Status WatchTree(const AllowedRoots& roots, UniqueFd fd, const std::string& path,
                         bool announce, std::vector<int>& added)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Forgets the directories at and beneath `path`, reporting their sidecar
  // files as removed.
  void ForgetTree(const std::string& path) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Events were lost: every subscriber is reset and what is remembered of the
  // trees is read again.
  void HandleLoss(std::string_view why) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void Publish(SidecarChange change) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void Unsubscribe(const Subscription::State* state);
  // The roots whose trees hold `path`, and the sequence since when it is watched.
  std::optional<uint64_t> WatchedSince(const std::string& path) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  const AllowedRoots* RootsFor(const std::string& path) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const UniqueFd inotify_;
  const UniqueFd wake_;
  const ChangeFeedOptions options_;
  const std::string instance_;

  mutable absl::Mutex mutex_;
  bool closed_ ABSL_GUARDED_BY(mutex_) = false;
  uint64_t sequence_ ABSL_GUARDED_BY(mutex_) = 0;
  // The last sequence at which events were lost (0: never).
  uint64_t lost_at_ ABSL_GUARDED_BY(mutex_) = 0;
  std::deque<std::shared_ptr<const SidecarChange>> journal_ ABSL_GUARDED_BY(mutex_);
  absl::flat_hash_map<int, std::unique_ptr<Directory>> directories_ ABSL_GUARDED_BY(mutex_);
  std::vector<std::unique_ptr<WatchedRoot>> roots_ ABSL_GUARDED_BY(mutex_);
  std::vector<std::shared_ptr<Subscription::State>> subscribers_ ABSL_GUARDED_BY(mutex_);
  std::thread reader_;
};

}  // namespace sidecard::engine

#endif  // SIDECARD_SERVER_ENGINE_FEED_CHANGE_FEED_H_
