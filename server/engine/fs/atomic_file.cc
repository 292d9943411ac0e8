#include "server/engine/fs/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <random>

#include "server/engine/base/text.h"
#include "server/engine/base/unique_fd.h"

namespace sidecard::engine {
namespace {

bool WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

absl::Status FileSystemFailure(std::string_view step, std::string_view name) {
  const int error = errno;
  const std::string message = Concat("cannot ", step, " ", name, ": ", std::strerror(error));
  // A full disk, a quota, or a file size limit (RLIMIT_FSIZE): the caller
  // can free space; nothing is wrong with the request.
  if (error == ENOSPC || error == EDQUOT || error == EFBIG) {
    return absl::ResourceExhaustedError(message);
  }
  if (error == EACCES || error == EPERM || error == EROFS) {
    return absl::PermissionDeniedError(message);
  }
  return absl::InternalError(message);
}

std::string ConflictName(std::string_view name, absl::Time now) {
  return Concat(name, ".conflict-", absl::FormatTime("%Y%m%dT%H%M%E6SZ", now, absl::UTCTimeZone()));
}

std::string NewWorkingFileName(std::string_view prefix, std::string_view name) {
  // Starts at a random value: a daemon restarted with the same pid (pid 1 in
  // a container) must not meet the names of its predecessor's strays.
  static std::atomic<uint64_t> counter{[] {
    std::random_device random;
    return (static_cast<uint64_t>(random()) << 32 | random()) >> 1;
  }()};
  return Concat(prefix, name, ".", static_cast<int64_t>(getpid()), ".",
                static_cast<uint64_t>(counter.fetch_add(1)));
}

absl::StatusOr<TemporaryFile> WriteTemporaryFile(int directory_fd, const std::string& name,
                                                 std::string_view bytes, mode_t mode) {
  TemporaryFile temporary{NewWorkingFileName(kTemporaryPrefix, name), {}};
  UniqueFd fd(openat(directory_fd, temporary.name.c_str(),
                     O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!fd.valid()) return FileSystemFailure("create a temporary file for", name);
  const auto discard = [&](absl::Status status) {
    unlinkat(directory_fd, temporary.name.c_str(), 0);
    return status;
  };
  if (!WriteAll(fd.get(), bytes)) return discard(FileSystemFailure("write", name));
  if (fsync(fd.get()) != 0) return discard(FileSystemFailure("sync", name));
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return discard(FileSystemFailure("check", name));
  temporary.stamp = FileStamp::FromStat(st);
  return temporary;
}

absl::Status SyncDirectory(int directory_fd) {
  if (fsync(directory_fd) != 0) return FileSystemFailure("sync", "the directory");
  return absl::OkStatus();
}

}  // namespace sidecard::engine
