#include "server/daemon/socket_claim.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"

namespace sidecard::daemon {
namespace {

// Whether something accepts connections on the Unix socket at `path` now. A
// full backlog (EAGAIN) is a listener too; a refused connection or no file
// is nobody.
bool SomethingAnswers(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof(address.sun_path)) return false;  // gRPC refuses it anyway
  std::memcpy(address.sun_path, path.data(), path.size());
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const bool answers =
      connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0 ||
      errno == EAGAIN || errno == EINPROGRESS;
  close(fd);
  return answers;
}

// The pid the holder of the lock file `fd` wrote into it, as " (pid N)", or
// "" when it has not written one (yet).
std::string HolderPid(int fd) {
  char buffer[32] = {};
  const ssize_t got = pread(fd, buffer, sizeof(buffer) - 1, 0);
  int pid = 0;
  if (got <= 0 || !absl::SimpleAtoi(absl::StripAsciiWhitespace(buffer), &pid) || pid <= 0) {
    return "";
  }
  return " (pid " + std::to_string(pid) + ")";
}

bool SameFile(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SocketClaim>> SocketClaim::Claim(const std::string& address) {
  const std::string path = address.substr(std::string("unix:").size());
  const std::string lock_path = path + ".lock";
  // A holder that exits removes the file while we may have it open: then we
  // locked a file nobody else will look at, and try again.
  for (int attempt = 0; attempt < 8; ++attempt) {
    // 0600: whoever may open the file may lock it, and so keep the daemon
    // from starting.
    const int fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
      return absl::UnavailableError("cannot listen on " + address + ": cannot open its lock file " +
                                    lock_path + ": " + std::strerror(errno));
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int error = errno;
      const std::string pid = HolderPid(fd);
      close(fd);
      if (error == EWOULDBLOCK) {
        return absl::AlreadyExistsError("another sidecard is already listening on " + address +
                                        pid + "; not starting");
      }
      return absl::UnavailableError("cannot listen on " + address + ": cannot lock " + lock_path +
                                    ": " + std::strerror(error));
    }
    struct stat held {};
    struct stat named {};
    if (fstat(fd, &held) != 0 || lstat(lock_path.c_str(), &named) != 0 || !SameFile(held, named)) {
      close(fd);
      continue;
    }
    if (SomethingAnswers(path)) {
      close(fd);  // not ours to remove: it may be the other daemon's
      return absl::AlreadyExistsError(
          "something is already listening on " + address +
          " (a sidecard older than its lock file, or another program); not starting");
    }
    const std::string pid = std::to_string(getpid()) + "\n";
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) < 0) {
      // Only the message of a refused daemon lacks the pid then.
    }
    return std::unique_ptr<SocketClaim>(new SocketClaim(lock_path, fd));
  }
  return absl::UnavailableError("cannot listen on " + address + ": its lock file " + lock_path +
                                " keeps being replaced");
}

SocketClaim::~SocketClaim() {
  // Removed while still locked: a daemon that opened it meanwhile sees that
  // the file it locked is no longer at the path.
  unlink(lock_path_.c_str());
  close(fd_);
}

}  // namespace sidecard::daemon
