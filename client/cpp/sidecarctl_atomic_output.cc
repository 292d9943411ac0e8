#include "client/cpp/sidecarctl_atomic_output.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <iterator>

#include "absl/strings/str_cat.h"

namespace sidecard::ctl {

namespace {

// The temporary file being written, for the signal handler to remove.
char temp_path_for_signals[PATH_MAX];

// Removes the temporary file, then ends the program by the same signal.
void RemoveTempFileAndDie(int signal_number) {
  unlink(temp_path_for_signals);
  std::signal(signal_number, SIG_DFL);
  std::raise(signal_number);
}

// `what...` and the text of `error` (an errno value, taken before anything
// else runs that may change errno), as an error.
template <typename... Pieces>
absl::Status Failure(int error, const Pieces&... what) {
  return absl::UnavailableError(absl::StrCat(what..., ": ", std::strerror(error)));
}

}  // namespace

absl::Status AtomicOutput::Open(const std::string& path) {
  path_ = path;
  struct stat existing;
  if (stat(path.c_str(), &existing) == 0 && S_ISDIR(existing.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is a directory"));
  }
  for (int attempt = 0; attempt < 100; ++attempt) {
    const std::string temp = absl::StrCat(path, ".tmp-", getpid(), "-", attempt);
    if (temp.size() >= sizeof(temp_path_for_signals)) {
      return absl::InvalidArgumentError(absl::StrCat("path too long: ", temp));
    }
    fd_ = open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ < 0 && errno == EEXIST) continue;
    if (fd_ < 0) return Failure(errno, "cannot create ", temp);
    temp_ = temp;
    std::memcpy(temp_path_for_signals, temp_.c_str(), temp_.size() + 1);
    InstallSignalHandlers();
    return absl::OkStatus();
  }
  return absl::AlreadyExistsError(
      absl::StrCat("cannot create ", path, ".tmp-", getpid(), "-N: 100 such files exist"));
}

absl::Status AtomicOutput::Write(absl::string_view text) {
  while (!text.empty()) {
    const ssize_t written = write(fd_, text.data(), text.size());
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) return Failure(errno, "cannot write ", temp_);
    text.remove_prefix(static_cast<size_t>(written));
  }
  return absl::OkStatus();
}

absl::Status AtomicOutput::Commit() {
  if (fsync(fd_) != 0) return Failure(errno, "cannot write ", temp_);
  const int closed = close(fd_);
  fd_ = -1;
  if (closed != 0) return Failure(errno, "cannot write ", temp_);
  if (std::rename(temp_.c_str(), path_.c_str()) != 0) {
    return Failure(errno, "cannot rename ", temp_, " to ", path_);
  }
  temp_.clear();
  Abandon();
  return absl::OkStatus();
}

void AtomicOutput::Abandon() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  if (!temp_.empty()) unlink(temp_.c_str());
  temp_.clear();
  RestoreSignalHandlers();
}

void AtomicOutput::InstallSignalHandlers() {
  for (size_t i = 0; i < std::size(kCleanupSignals); ++i) {
    previous_handlers_[i] = std::signal(kCleanupSignals[i], RemoveTempFileAndDie);
    if (previous_handlers_[i] == SIG_IGN) std::signal(kCleanupSignals[i], SIG_IGN);
  }
  handlers_installed_ = true;
}

void AtomicOutput::RestoreSignalHandlers() {
  if (!handlers_installed_) return;
  for (size_t i = 0; i < std::size(kCleanupSignals); ++i) {
    std::signal(kCleanupSignals[i], previous_handlers_[i]);
  }
  handlers_installed_ = false;
}

}  // namespace sidecard::ctl
