#include "server/engine/recovery/stray_resolution.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <optional>

#include "server/engine/base/text.h"
#include "server/engine/fs/atomic_file.h"
#include "server/engine/library/naming.h"

namespace sidecard::engine {
namespace {

// Conflict names carry microseconds; a run has one clock, so two strays of
// one name in a run step on by a microsecond.
constexpr int kConflictAttempts = 64;

// `error` is the errno of the step, read before anything can change it.
StrayResolution Failed(int error, std::string_view what) {
  return {StrayOutcome::kFailed, false, {}, Concat(what, ": ", std::strerror(error))};
}

// The file as it is now, when it is still the one that was found.
bool StillTheSame(int directory_fd, const WorkingFile& file) {
  struct stat st {};
  return fstatat(directory_fd, file.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
         S_ISREG(st.st_mode) && FileStamp::FromStat(st) == file.stamp;
}

bool ReadFully(int fd, char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = read(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// Whether regular files `a` and `b` of `directory_fd` hold the same bytes;
// false on any doubt (a symlink, a read error).
bool SameContent(int directory_fd, const std::string& a, const std::string& b) {
  constexpr int kFlags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC;
  UniqueFd fd_a(openat(directory_fd, a.c_str(), kFlags));
  UniqueFd fd_b(openat(directory_fd, b.c_str(), kFlags));
  struct stat st_a {};
  struct stat st_b {};
  if (!fd_a.valid() || !fd_b.valid() || fstat(fd_a.get(), &st_a) != 0 ||
      fstat(fd_b.get(), &st_b) != 0 || !S_ISREG(st_a.st_mode) || !S_ISREG(st_b.st_mode) ||
      st_a.st_size != st_b.st_size) {
    return false;
  }
  std::array<char, 65536> buffer_a;
  std::array<char, 65536> buffer_b;
  for (off_t left = st_a.st_size; left > 0;) {
    const size_t chunk = static_cast<size_t>(std::min<off_t>(left, buffer_a.size()));
    if (!ReadFully(fd_a.get(), buffer_a.data(), chunk) ||
        !ReadFully(fd_b.get(), buffer_b.data(), chunk) ||
        std::memcmp(buffer_a.data(), buffer_b.data(), chunk) != 0) {
      return false;
    }
    left -= static_cast<off_t>(chunk);
  }
  return true;
}

bool Exists(int directory_fd, const std::string& name) {
  struct stat st {};
  return fstatat(directory_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT;
}

StrayResolution ResolveTemporary(int directory_fd, const WorkingFile& file,
                                 const StrayOptions& options) {
  StrayResolution resolution{StrayOutcome::kRemoved, false, {}, {}};
  if (options.mode == StrayMode::kDryRun) return resolution;
  if (options.mode == StrayMode::kQuarantine) {
    auto target = options.quarantine();
    if (!target.ok()) {
      return {StrayOutcome::kFailed, false, {}, std::string(target.status().message())};
    }
    // RENAME_NOREPLACE: never overwrite something already in quarantine.
    if (renameat2(directory_fd, file.name.c_str(), target->get(), file.name.c_str(),
                  RENAME_NOREPLACE) != 0) {
      return Failed(errno, "cannot move to quarantine");
    }
    resolution.outcome = StrayOutcome::kQuarantined;
  } else if (unlinkat(directory_fd, file.name.c_str(), 0) != 0) {
    return Failed(errno, "cannot delete");
  }
  resolution.done = true;
  return resolution;
}

StrayResolution ResolveHeld(int directory_fd, const WorkingFile& file,
                            const StrayOptions& options) {
  const bool act = options.mode != StrayMode::kDryRun;
  if (!Exists(directory_fd, file.concerns)) {
    StrayResolution restored{StrayOutcome::kRestored, act, file.concerns, {}};
    if (!act) return restored;
    if (renameat2(directory_fd, file.name.c_str(), directory_fd, file.concerns.c_str(),
                  RENAME_NOREPLACE) == 0) {
      return restored;
    }
    if (const int error = errno; error != EEXIST) {
      return Failed(error, Concat("cannot move back to ", file.concerns));
    }
    // Taken meanwhile: kept beside it as a conflict, as below.
  } else if (SameContent(directory_fd, file.name, file.concerns)) {
    StrayResolution removed{
        StrayOutcome::kRemoved, act, {}, Concat("identical to ", file.concerns)};
    if (act && unlinkat(directory_fd, file.name.c_str(), 0) != 0) {
      return Failed(errno, "cannot delete");
    }
    return removed;
  }
  for (int attempt = 0; attempt < kConflictAttempts; ++attempt) {
    const std::string conflict =
        ConflictName(file.concerns, options.now + absl::Microseconds(attempt));
    if (!act) {
      if (Exists(directory_fd, conflict)) continue;
      return {StrayOutcome::kKeptAsConflict, false, conflict, {}};
    }
    if (renameat2(directory_fd, file.name.c_str(), directory_fd, conflict.c_str(),
                  RENAME_NOREPLACE) == 0) {
      return {StrayOutcome::kKeptAsConflict, true, conflict, {}};
    }
    if (const int error = errno; error != EEXIST) {
      return Failed(error, Concat("cannot rename to ", conflict));
    }
  }
  return {StrayOutcome::kFailed, false, {}, "no free conflict name"};
}

}  // namespace

StrayResolution ResolveStray(int directory_fd, const std::string& directory,
                             const WorkingFile& file, const StrayOptions& options) {
  if (!file.IsStray(options.now)) return {StrayOutcome::kTooRecent, false, {}, {}};
  std::optional<ImageLocks::Guard> guard;
  if (options.locks != nullptr && file.kind == WorkingFileKind::kHeld &&
      options.mode != StrayMode::kDryRun) {
    guard.emplace(options.locks->Lock(directory, std::string(SplitName(file.concerns).stem)));
  }
  // Only the version that was found may go: a write may have taken it up.
  if (!StillTheSame(directory_fd, file)) {
    return {StrayOutcome::kChanged, false, {}, "changed since it was found, kept"};
  }
  StrayResolution resolution = file.kind == WorkingFileKind::kTemporary
                                   ? ResolveTemporary(directory_fd, file, options)
                                   : ResolveHeld(directory_fd, file, options);
  if (resolution.done) {
    if (const absl::Status synced = SyncDirectory(directory_fd); !synced.ok()) {
      resolution.note = std::string(synced.message());
    }
  }
  return resolution;
}

}  // namespace sidecard::engine
