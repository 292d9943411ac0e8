#include "server/engine/cache/directory_watcher.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/hash/hash.h"
#include "server/engine/base/text.h"

namespace sidecard::engine {
namespace {

// Everything that changes what a directory lists or what its files hold.
// IN_DONT_FOLLOW is not set: the path is /proc/self/fd/N, whose magic link
// must be followed to the directory already opened with O_NOFOLLOW.
constexpr uint32_t kEvents = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_MODIFY |
                             IN_ATTRIB | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF |
                             IN_ONLYDIR;

constexpr size_t kBufferBytes = 64 * 1024;

}  // namespace

bool WatchedDirectory::Unchanged(std::string_view name, uint64_t since) const {
  if (since == 0) return false;
  absl::MutexLock lock(&mutex_);
  if (last_whole_event_ > since) return false;
  const auto it = last_name_event_.find(absl::Hash<std::string_view>{}(name));
  return it == last_name_event_.end() || it->second <= since;
}

// The event is recorded before the generation it carries is published, so a
// reader that saw a generation also sees every event up to it.
void WatchedDirectory::Record(std::string_view name) {
  absl::MutexLock lock(&mutex_);
  const uint64_t generation = generation_.load(std::memory_order_relaxed) + 1;
  if (name.empty() || last_name_event_.size() >= kMaxNames) {
    last_whole_event_ = generation;
    last_name_event_ = {};  // frees the table, which clear() would keep
  } else {
    last_name_event_[absl::Hash<std::string_view>{}(name)] = generation;
  }
  generation_.store(generation, std::memory_order_release);
}

void WatchedDirectory::Forget() {
  Record("");
  live_.store(false, std::memory_order_release);
}

absl::StatusOr<std::unique_ptr<DirectoryWatcher>> DirectoryWatcher::Create(size_t max_watches,
                                                                           WatchPolicy policy) {
  UniqueFd inotify(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!inotify.valid()) {
    return absl::UnavailableError(Concat("inotify_init1: ", std::strerror(errno)));
  }
  UniqueFd wake(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake.valid()) return absl::UnavailableError(Concat("eventfd: ", std::strerror(errno)));
  std::unique_ptr<DirectoryWatcher> watcher(
      new DirectoryWatcher(std::move(inotify), std::move(wake), max_watches, std::move(policy)));
  watcher->reader_ = std::thread([w = watcher.get()] { w->ReadLoop(); });
  return watcher;
}

DirectoryWatcher::DirectoryWatcher(UniqueFd inotify, UniqueFd wake, size_t max_watches,
                                   WatchPolicy policy)
    : inotify_(std::move(inotify)),
      wake_(std::move(wake)),
      max_watches_(max_watches),
      policy_(std::move(policy)) {}

DirectoryWatcher::~DirectoryWatcher() {
  const uint64_t one = 1;
  if (write(wake_.get(), &one, sizeof one) < 0) {
    // Cannot happen for an eventfd below its maximum; the join would hang.
    std::abort();
  }
  reader_.join();
}

std::shared_ptr<const WatchedDirectory> DirectoryWatcher::Watch(int dir_fd,
                                                                std::string absolute_path) {
  // Asked per directory, so a network mount inside a local tree falls back
  // to stamps for its own directories only.
  const std::optional<int64_t> filesystem = FilesystemTypeOf(dir_fd);
  if (!filesystem || !policy_(*filesystem)) {
    unwatchable_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  const std::string path = Concat("/proc/self/fd/", dir_fd);
  absl::MutexLock lock(&mutex_);
  // Events queued before the watch (re)appears must not be applied to it
  // afterwards under a reused descriptor number.
  while (DrainOnce(true)) {
  }
  const int wd = inotify_add_watch(inotify_.get(), path.c_str(), kEvents);
  if (wd < 0) {  // ENOSPC: max_user_watches reached; or no /proc
    refused_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  if (max_watches_ > 0 && by_descriptor_.size() >= max_watches_ && !by_descriptor_.contains(wd)) {
    inotify_rm_watch(inotify_.get(), wd);  // over the cap: only watched ones stay answered
    refused_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  auto [it, inserted] = by_descriptor_.try_emplace(wd);
  if (inserted) it->second = std::make_shared<WatchedDirectory>();
  it->second->path_ = std::move(absolute_path);
  return it->second;
}

void DirectoryWatcher::Sync() {
  absl::MutexLock lock(&mutex_);
  while (DrainOnce(true)) {
  }
}

int64_t DirectoryWatcher::watches() const {
  absl::MutexLock lock(&mutex_);
  return static_cast<int64_t>(by_descriptor_.size());
}

void DirectoryWatcher::LoseEventsForTesting() {
  absl::MutexLock lock(&mutex_);
  while (DrainOnce(false)) {
  }
  Overflow();
}

bool DirectoryWatcher::DrainOnce(bool apply) {
  alignas(inotify_event) char buffer[kBufferBytes];
  const ssize_t got = read(inotify_.get(), buffer, sizeof buffer);
  if (got <= 0) return false;  // EAGAIN: nothing queued
  if (!apply) return true;
  for (ssize_t at = 0; at < got;) {
    const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
    at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
    if (event->mask & IN_Q_OVERFLOW) {
      Overflow();
      continue;
    }
    const auto it = by_descriptor_.find(event->wd);
    if (it == by_descriptor_.end()) continue;
    WatchedDirectory& watched = *it->second;
    if (event->mask & IN_IGNORED) {  // the watch is gone (directory deleted, unmounted)
      watched.Forget();
      by_descriptor_.erase(it);
      continue;
    }
    // A name (NUL-padded) for events about an entry; none for the directory
    // itself.
    const std::string_view name =
        event->len > 0 ? std::string_view(event->name) : std::string_view();
    watched.Record(name);
    // A new name may be a new link to a file another directory holds,
    // whose events will come here, not there.
    if ((event->mask & (IN_CREATE | IN_MOVED_TO)) && !(event->mask & IN_ISDIR) && !name.empty() &&
        IsExtraLink(watched, name)) {
      links_seen_.fetch_add(1, std::memory_order_relaxed);
      TrustNothing();
    }
  }
  return true;
}

bool DirectoryWatcher::IsExtraLink(const WatchedDirectory& watched, std::string_view name) const {
  if (watched.path_.empty()) return false;
  const std::string path =
      watched.path_ == "/" ? Concat("/", name) : Concat(watched.path_, "/", name);
  struct stat st;
  // Gone already (a working file renamed away) or moved: nothing links to
  // a cached file through it now.
  if (fstatat(AT_FDCWD, path.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return false;
  return S_ISREG(st.st_mode) && st.st_nlink > 1;
}

void DirectoryWatcher::TrustNothing() {
  for (auto& [wd, watched] : by_descriptor_) watched->Record("");
}

// Events were lost: no directory's generation can be trusted any more.
void DirectoryWatcher::Overflow() {
  overflows_.fetch_add(1, std::memory_order_relaxed);
  TrustNothing();
}

void DirectoryWatcher::ReadLoop() {
  pollfd fds[2] = {{inotify_.get(), POLLIN, 0}, {wake_.get(), POLLIN, 0}};
  while (true) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    if (fds[0].revents != 0) Sync();
  }
}

}  // namespace sidecard::engine
