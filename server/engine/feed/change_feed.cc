#include "server/engine/feed/change_feed.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "server/engine/base/text.h"
#include "server/engine/documents/sidecar_membership.h"
#include "server/engine/feed/change_cursor.h"
#include "server/engine/fs/sandboxed_open.h"
#include "server/engine/library/directory_scan.h"
#include "server/engine/recovery/working_files.h"

namespace sidecard::engine {
namespace {

// What makes a sidecar appear, change or go. A file is looked at once it is
// closed after writing or renamed into place, never half-written. IN_ONLYDIR:
// the path is /proc/self/fd/N (the directory already opened beneath the
// root), whose magic link must be followed.
// A subscribed root's own deletion or move ends its subscriptions.
constexpr uint32_t kEvents = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE |
                             IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

constexpr size_t kBufferBytes = 64 * 1024;

std::string JoinPath(std::string_view directory, std::string_view name) {
  return directory.ends_with('/') ? Concat(directory, name) : Concat(directory, "/", name);
}

// A name that may be a sidecar (CONTRACT §1), before its content is known.
std::optional<SidecarFormat> SidecarCandidate(std::string_view name) {
  const auto format = SidecarFormatOfName(name);
  if (!format || IsForeignName(name) || ParseWorkingFileName(name)) return std::nullopt;
  return format;
}

SidecarChange MakeChange(ChangeKind kind, std::string path, SidecarFormat format,
                         const SidecarInspection* inspection) {
  SidecarChange change;
  change.kind = kind;
  change.path = std::move(path);
  change.format = format;
  if (inspection != nullptr) {
    change.operations = inspection->facts.operations;
    change.valid = inspection->valid();
    if (!change.valid) change.error = inspection->FirstError();
  }
  return change;
}

}  // namespace

std::string_view ResetReasonName(ResetReason reason) {
  switch (reason) {
    case ResetReason::kDaemonRestarted:
      return "daemon_restarted";
    case ResetReason::kEventsLost:
      return "events_lost";
    case ResetReason::kCursorExpired:
      return "cursor_expired";
    case ResetReason::kNotWatchedThen:
      return "not_watched_then";
    case ResetReason::kSubscriberTooSlow:
      return "subscriber_too_slow";
  }
  return "unknown";
}

// One subscriber's queue; guarded by the feed's mutex.
struct Subscription::State {
  std::string root;
  std::deque<std::shared_ptr<const SidecarChange>> queue;
  std::optional<FeedReset> reset;
  bool ended = false;
  absl::Status end_status;
  absl::CondVar ready;
};

// One watched directory: where it is and what it holds, to tell a new
// sidecar from a rewritten one and a sidecar from a foreign file.
struct ChangeFeed::Directory {
  std::string path;
  // Its sidecar files, each with the version last reported (zero when not
  // looked at yet): a file seen twice in one version (the scan of a new
  // directory, then the event of its last write) is reported once.
  absl::flat_hash_map<std::string, FileStamp> sidecars;
  // Image names, and their folded stems counted (IMG.jpg and IMG.CR3 share one).
  absl::flat_hash_set<std::string> images;
  absl::flat_hash_map<std::string, int> image_stems;

  void AddImage(const std::string& name) {
    if (images.insert(name).second) ++image_stems[FoldCase(SplitName(name).stem)];
  }
  void RemoveImage(const std::string& name) {
    if (!images.erase(name)) return;
    const std::string stem = FoldCase(SplitName(name).stem);
    if (--image_stems[stem] <= 0) image_stems.erase(stem);
  }

  bool Pairs(std::string_view name, SidecarFormat format) const {
    const std::string_view stem = SplitName(name).stem;
    if (image_stems.contains(FoldCase(stem))) return true;
    const auto legacy = SplitLegacyOperationStem(stem);
    return legacy && format == SidecarFormat::kJson &&
           image_stems.contains(FoldCase(legacy->image_stem));
  }
};

// A subscribed tree: watched whole since `since`.
struct ChangeFeed::WatchedRoot {
  std::string path;
  uint64_t since = 0;
  std::shared_ptr<const AllowedRoots> roots;
};

Subscription::~Subscription() { feed_->Unsubscribe(state_.get()); }

Subscription::Delivery Subscription::Next(absl::Duration timeout) {
  absl::MutexLock lock(&feed_->mutex_);
  const absl::Time deadline = absl::Now() + timeout;
  while (!state_->ended && !state_->reset && state_->queue.empty()) {
    if (state_->ready.WaitWithDeadline(&feed_->mutex_, deadline)) break;
  }
  Delivery delivery;
  delivery.reset = std::exchange(state_->reset, std::nullopt);
  delivery.changes.assign(std::make_move_iterator(state_->queue.begin()),
                          std::make_move_iterator(state_->queue.end()));
  state_->queue.clear();
  delivery.ended = state_->ended;
  delivery.end_status = state_->end_status;
  return delivery;
}

absl::StatusOr<std::unique_ptr<ChangeFeed>> ChangeFeed::Create(ChangeFeedOptions options) {
  UniqueFd inotify(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!inotify.valid()) {
    return absl::FailedPreconditionError(Concat("inotify_init1: ", std::strerror(errno)));
  }
  UniqueFd wake(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake.valid()) return absl::UnavailableError(Concat("eventfd: ", std::strerror(errno)));
  std::unique_ptr<ChangeFeed> feed(
      new ChangeFeed(std::move(inotify), std::move(wake), std::move(options)));
  feed->reader_ = std::thread([f = feed.get()] { f->ReadLoop(); });
  return feed;
}

ChangeFeed::ChangeFeed(UniqueFd inotify, UniqueFd wake, ChangeFeedOptions options)
    : inotify_(std::move(inotify)),
      wake_(std::move(wake)),
      options_(std::move(options)),
      instance_(NewInstanceId()) {}

ChangeFeed::~ChangeFeed() {
  Close();
  const uint64_t one = 1;
  if (write(wake_.get(), &one, sizeof one) < 0) {
    // An eventfd write fails only on counter overflow; the reader still wakes.
  }
  if (reader_.joinable()) reader_.join();
}

void ChangeFeed::Close() {
  absl::MutexLock lock(&mutex_);
  closed_ = true;
  for (const auto& subscriber : subscribers_) {
    subscriber->ended = true;
    subscriber->end_status =
        absl::UnavailableError("sidecard is shutting down; reconnect with the last cursor");
    subscriber->ready.Signal();
  }
}

std::string ChangeFeed::CurrentCursor() const {
  absl::MutexLock lock(&mutex_);
  return FormatCursor(instance_, sequence_);
}

int64_t ChangeFeed::subscribers() const {
  absl::MutexLock lock(&mutex_);
  return static_cast<int64_t>(subscribers_.size());
}

int64_t ChangeFeed::watches() const {
  absl::MutexLock lock(&mutex_);
  return static_cast<int64_t>(directories_.size());
}

absl::StatusOr<std::unique_ptr<Subscription>> ChangeFeed::Subscribe(
    std::shared_ptr<const AllowedRoots> roots, const std::string& root, std::string_view cursor) {
  std::optional<ChangeCursor> resume;
  if (!cursor.empty()) {
    auto parsed = ParseCursor(cursor);
    if (!parsed.ok()) return parsed.status();
    resume = *std::move(parsed);
  }
  absl::MutexLock lock(&mutex_);
  if (closed_) return absl::UnavailableError("sidecard is shutting down");
  if (!WatchedSince(root)) {
    auto fd = OpenDirectoryBeneath(*roots, root);
    if (!fd.ok()) return fd.status();
    std::vector<int> added;
    if (auto watched = WatchTree(*roots, *std::move(fd), root, false, added); !watched.ok()) {
      for (const int wd : added) {
        inotify_rm_watch(inotify_.get(), wd);
        directories_.erase(wd);
      }
      return watched;
    }
    roots_.push_back(std::make_unique<WatchedRoot>(WatchedRoot{root, sequence_, roots}));
  }
  const uint64_t since = *WatchedSince(root);
  auto state = std::make_shared<Subscription::State>();
  state->root = root;
  const std::string now = FormatCursor(instance_, sequence_);
  std::string start = now;
  if (resume) {
    const auto reset = [&](ResetReason reason, std::string message) {
      state->reset = FeedReset{reason, std::move(message), now};
      start = now;
    };
    start = std::string(cursor);
    if (resume->instance != instance_) {
      reset(ResetReason::kDaemonRestarted,
            "the cursor is from another daemon instance (it restarted since): resynchronise");
    } else if (resume->sequence > sequence_) {
      return absl::InvalidArgumentError(
          Concat("cursor \"", cursor, "\" is ahead of this daemon's feed (", now, ")"));
    } else if (resume->sequence < since) {
      reset(ResetReason::kNotWatchedThen,
            Concat(root, " was not watched yet at that cursor: resynchronise"));
    } else if (lost_at_ > resume->sequence) {
      reset(ResetReason::kEventsLost, "events were lost since that cursor: resynchronise");
    } else if (resume->sequence < sequence_ &&
               (journal_.empty() || journal_.front()->sequence > resume->sequence + 1)) {
      reset(ResetReason::kCursorExpired, Concat("the cursor is older than the ", journal_.size(),
                                                " events this daemon remembers: resynchronise"));
    } else {
      for (const auto& change : journal_) {
        if (change->sequence > resume->sequence && IsWithin(change->path, root)) {
          state->queue.push_back(change);
        }
      }
    }
  }
  subscribers_.push_back(state);
  return std::unique_ptr<Subscription>(new Subscription(this, std::move(state), std::move(start)));
}

void ChangeFeed::Unsubscribe(const Subscription::State* state) {
  absl::MutexLock lock(&mutex_);
  std::erase_if(subscribers_, [state](const auto& s) { return s.get() == state; });
}

std::optional<uint64_t> ChangeFeed::WatchedSince(const std::string& path) const {
  std::optional<uint64_t> since;
  for (const auto& root : roots_) {
    if (IsWithin(path, root->path)) since = std::min(since.value_or(root->since), root->since);
  }
  return since;
}

const AllowedRoots* ChangeFeed::RootsFor(const std::string& path) const {
  for (const auto& root : roots_) {
    if (IsWithin(path, root->path)) return root->roots.get();
  }
  return nullptr;
}

absl::Status ChangeFeed::WatchTree(const AllowedRoots& roots, UniqueFd fd, const std::string& path,
                                   bool announce, std::vector<int>& added) {
  if (const auto type = FilesystemTypeOf(fd.get()); type && !options_.policy(*type)) {
    return absl::FailedPreconditionError(
        Concat(path, " is on a ", UnwatchableFilesystemName(*type).value_or("network"),
               " filesystem, where inotify does not see every change: it cannot be watched"));
  }
  const std::string proc_path = Concat("/proc/self/fd/", fd.get());
  const int wd = inotify_add_watch(inotify_.get(), proc_path.c_str(), kEvents);
  if (wd < 0) {
    const int error = errno;
    return absl::FailedPreconditionError(
        error == ENOSPC
            ? Concat("cannot watch ", path,
                     ": the inotify watch limit is reached (fs.inotify.max_user_watches)")
            : Concat("cannot watch ", path, ": ", std::strerror(error)));
  }
  std::unique_ptr<Directory>& slot = directories_[wd];
  if (slot == nullptr) {
    slot = std::make_unique<Directory>();
    added.push_back(wd);
  }
  Directory& directory = *slot;  // stable: the map holds pointers
  directory.path = path;

  ScanOptions scan_options;
  scan_options.image_extensions = options_.image_extensions;
  scan_options.allowed_roots = &roots;
  auto scan = ScanDirectory(std::move(fd), "", path, scan_options);
  if (!scan.ok()) {
    // Gone again already: its parent's event says so.
    return absl::IsNotFound(scan.status()) ? absl::OkStatus() : scan.status();
  }
  directory.images.clear();
  directory.image_stems.clear();
  for (const ImageEntry& image : scan->images) directory.AddImage(image.name);
  absl::flat_hash_map<std::string, FileStamp> sidecars;
  for (const SidecarFile& file : scan->sidecars) {
    if (file.image && !announce) {  // paired: a sidecar whatever it holds
      sidecars.emplace(file.name, FileStamp{});
      continue;
    }
    const SidecarInspection inspection =
        InspectSidecarAt(scan->fd.get(), file.name, file.format, options_.max_sidecar_bytes);
    if (!IsReportedSidecar(ClassifySidecar(file, inspection))) continue;
    sidecars.emplace(file.name, inspection.stamp);
    if (announce && !directory.sidecars.contains(file.name)) {
      Publish(
          MakeChange(ChangeKind::kCreated, JoinPath(path, file.name), file.format, &inspection));
    }
  }
  directory.sidecars = std::move(sidecars);
  for (const std::string& name : scan->subdirectories) {
    UniqueFd child(
        openat(scan->fd.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!child.valid()) continue;  // gone or replaced meanwhile: its event follows
    if (auto watched = WatchTree(roots, std::move(child), JoinPath(path, name), announce, added);
        !watched.ok()) {
      return watched;
    }
  }
  return absl::OkStatus();
}

void ChangeFeed::ForgetTree(const std::string& path) {
  std::vector<std::pair<std::string, SidecarFormat>> removed;
  for (auto it = directories_.begin(); it != directories_.end();) {
    const Directory& directory = *it->second;
    if (!IsWithin(directory.path, path)) {
      ++it;
      continue;
    }
    for (const auto& [name, stamp] : directory.sidecars) {
      removed.emplace_back(JoinPath(directory.path, name), *SidecarFormatOfName(name));
    }
    inotify_rm_watch(inotify_.get(), it->first);
    directories_.erase(it++);
  }
  std::sort(removed.begin(), removed.end());
  for (auto& [file, format] : removed) {
    Publish(MakeChange(ChangeKind::kRemoved, std::move(file), format, nullptr));
  }
  // A subscribed root that went with it: nothing more can be told there.
  const absl::Status gone =
      absl::NotFoundError(Concat(path, " was deleted or moved away: watch it where it is now"));
  for (const auto& subscriber : subscribers_) {
    if (!IsWithin(subscriber->root, path) || subscriber->ended) continue;
    subscriber->ended = true;
    subscriber->end_status = gone;
    subscriber->ready.Signal();
  }
  std::erase_if(roots_, [&](const auto& root) { return IsWithin(root->path, path); });
}

void ChangeFeed::Publish(SidecarChange change) {
  change.sequence = ++sequence_;
  auto shared = std::make_shared<const SidecarChange>(std::move(change));
  journal_.push_back(shared);
  while (journal_.size() > options_.journal_events) journal_.pop_front();
  for (const auto& subscriber : subscribers_) {
    if (subscriber->ended || !IsWithin(shared->path, subscriber->root)) continue;
    if (subscriber->queue.size() >= options_.queue_events) {
      subscriber->queue.clear();
      subscriber->reset = FeedReset{
          ResetReason::kSubscriberTooSlow,
          Concat("more than ", options_.queue_events,
                 " changes waited for this subscriber (--watch-queue-events): resynchronise"),
          FormatCursor(instance_, sequence_)};
    } else {
      subscriber->queue.push_back(shared);
    }
    subscriber->ready.Signal();
  }
}

void ChangeFeed::HandleLoss(std::string_view why) {
  lost_at_ = ++sequence_;
  for (const auto& subscriber : subscribers_) {
    subscriber->queue.clear();
    subscriber->reset = FeedReset{ResetReason::kEventsLost, Concat(why, ": resynchronise"),
                                  FormatCursor(instance_, sequence_)};
    subscriber->ready.Signal();
  }
  // What each directory holds is read again, and directories made meanwhile
  // are watched, silently: every subscriber resynchronises anyway.
  for (const auto& root : roots_) {
    auto fd = OpenDirectoryBeneath(*root->roots, root->path);
    std::vector<int> added;
    if (fd.ok()) WatchTree(*root->roots, *std::move(fd), root->path, false, added).IgnoreError();
  }
}

void ChangeFeed::ApplyToFile(Directory& directory, uint32_t mask, const std::string& name) {
  if (options_.image_extensions->IsImageName(name)) {
    if (mask & (IN_CREATE | IN_MOVED_TO)) directory.AddImage(name);
    if (mask & (IN_DELETE | IN_MOVED_FROM)) directory.RemoveImage(name);
    return;
  }
  const auto format = SidecarCandidate(name);
  if (!format) return;
  const auto known_at = directory.sidecars.find(name);
  const bool known = known_at != directory.sidecars.end();
  const bool written = mask & (IN_CLOSE_WRITE | IN_MOVED_TO);
  if (!written && !known) return;  // created and gone before it was looked at
  // The name's state now decides, not the event alone: a replace by
  // RENAME_EXCHANGE moves the old file away from the name after moving the
  // new one in, and the name is never missing.
  const std::string path = JoinPath(directory.path, name);
  const AllowedRoots* roots = RootsFor(directory.path);
  std::optional<SidecarInspection> inspection;
  if (roots != nullptr) {
    if (auto fd = OpenDirectoryBeneath(*roots, directory.path); fd.ok()) {
      struct stat status;
      if (fstatat(fd->get(), name.c_str(), &status, AT_SYMLINK_NOFOLLOW) == 0 &&
          S_ISREG(status.st_mode)) {
        SidecarFile file;
        file.name = name;
        file.format = *format;
        if (directory.Pairs(name, *format)) file.image = 0;
        inspection = InspectSidecarAt(fd->get(), name, *format, options_.max_sidecar_bytes);
        if (!IsReportedSidecar(ClassifySidecar(file, *inspection))) inspection.reset();
      }
    }
  }
  if (!inspection) {
    if (known) {
      directory.sidecars.erase(name);
      Publish(MakeChange(ChangeKind::kRemoved, path, *format, nullptr));
    }
    return;
  }
  if (!written) return;  // replaced: the event that moved the new file in reports it
  if (known && known_at->second.inode != 0 && known_at->second.SameVersionAs(inspection->stamp)) {
    return;  // already reported in this version
  }
  Publish(
      MakeChange(known ? ChangeKind::kChanged : ChangeKind::kCreated, path, *format, &*inspection));
  directory.sidecars[name] = inspection->stamp;
}

void ChangeFeed::Apply(int wd, uint32_t mask, const std::string& name) {
  if (mask & IN_Q_OVERFLOW) {
    HandleLoss("the kernel's inotify queue overflowed (fs.inotify.max_queued_events)");
    return;
  }
  const auto it = directories_.find(wd);
  if (it == directories_.end()) return;
  if (mask & IN_IGNORED) {  // the watch is gone: directory deleted or unwatched
    directories_.erase(it);
    return;
  }
  if (name.empty()) {  // the directory itself: a subscribed root deleted or moved
    const std::string path = it->second->path;
    const bool is_root = std::any_of(roots_.begin(), roots_.end(),
                                     [&](const auto& root) { return root->path == path; });
    if ((mask & (IN_DELETE_SELF | IN_MOVE_SELF)) && is_root) ForgetTree(path);
    return;
  }
  Directory& directory = *it->second;
  if (!(mask & IN_ISDIR)) {
    ApplyToFile(directory, mask, name);
    return;
  }
  const std::string path = JoinPath(directory.path, name);
  if (mask & (IN_DELETE | IN_MOVED_FROM)) {
    ForgetTree(path);
    return;
  }
  if (name == kQuarantineDirName) return;
  const AllowedRoots* roots = RootsFor(path);
  if (roots == nullptr) return;
  auto fd = OpenDirectoryBeneath(*roots, path);
  if (!fd.ok()) return;  // gone again: its own event follows
  std::vector<int> added;
  if (auto watched = WatchTree(*roots, *std::move(fd), path, true, added); !watched.ok()) {
    // A hole in a watched tree: its subscribers cannot be told every change.
    for (const auto& subscriber : subscribers_) {
      if (!IsWithin(path, subscriber->root) || subscriber->ended) continue;
      subscriber->ended = true;
      subscriber->end_status = watched;
      subscriber->ready.Signal();
    }
    std::erase_if(roots_, [&](const auto& root) { return IsWithin(path, root->path); });
  }
}

void ChangeFeed::ReadLoop() {
  alignas(inotify_event) char buffer[kBufferBytes];
  pollfd fds[2] = {{inotify_.get(), POLLIN, 0}, {wake_.get(), POLLIN, 0}};
  while (true) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    const ssize_t length = read(inotify_.get(), buffer, sizeof buffer);
    if (length <= 0) continue;
    absl::MutexLock lock(&mutex_);
    for (ssize_t offset = 0; offset < length;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer + offset);
      Apply(event->wd, event->mask, event->len > 0 ? std::string(event->name) : std::string());
      offset += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
    }
  }
}

void ChangeFeed::LoseEventsForTesting() {
  absl::MutexLock lock(&mutex_);
  char buffer[kBufferBytes];
  while (read(inotify_.get(), buffer, sizeof buffer) > 0) {
  }
  HandleLoss("events were lost (test)");
}

}  // namespace sidecard::engine
